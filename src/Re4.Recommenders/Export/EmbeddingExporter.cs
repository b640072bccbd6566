using System.Text;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Export;

/// <summary>
/// Writes a trained model's embeddings in formats Python, pgvector and other vector stores read without this library:
/// <c>item_embeddings.npy</c> (float32, shape <c>(N, d)</c>) with <c>item_ids.txt</c> (the original id of row i on line
/// i + 1), and, for a file of histories, <c>interests.npy</c> (float32, shape <c>(U, K, d)</c>: each user's K retrieval
/// vectors, those <see cref="MultiInterestRecommender.InterestVectors"/> gives) with <c>users.txt</c>. Each file is
/// written to a temporary sibling and renamed, so a crash leaves no half-written file.
/// </summary>
public static class EmbeddingExporter
{
    /// <summary>The item table.</summary>
    public const string ItemEmbeddingsFile = "item_embeddings.npy";

    /// <summary>The items' original ids, one per line, in the rows' order.</summary>
    public const string ItemIdsFile = "item_ids.txt";

    /// <summary>The users' interest vectors.</summary>
    public const string InterestsFile = "interests.npy";

    /// <summary>The users' ids as the histories file gives them, one per line, in the rows' order.</summary>
    public const string UsersFile = "users.txt";

    // Histories are encoded this many at a time: bounded memory for any file.
    private const int BatchSize = 256;

    /// <summary>Writes the item table and, when <paramref name="historiesPath"/> is given, the interests of its users into
    /// <paramref name="outDirectory"/> (created if needed; files of the same names are replaced).</summary>
    /// <param name="model">The model and its item ids (borrowed).</param>
    /// <param name="outDirectory">Where to write.</param>
    /// <param name="historiesPath">A file of histories, one user per line, <c>user item item ...</c> oldest first,
    /// separated by spaces or tabs, with the data's original ids (the <c>sequence</c> format); null for the items only.
    /// Items the model does not know are skipped and counted.</param>
    /// <exception cref="InvalidDataException">A line of the histories file has no item, or none the model knows (the message
    /// names file and line).</exception>
    public static ExportReport Export(LoadedModel model, string outDirectory, string? historiesPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(outDirectory);
        List<(string User, int[] Items)>? histories = null;
        long unknown = 0;
        // Read first: a bad histories file writes nothing.
        if (historiesPath is not null) histories = ReadHistories(historiesPath, model.ItemIds, out unknown);

        Directory.CreateDirectory(outDirectory);
        var config = model.Model.Config;
        var files = new List<string>();
        var table = MultiInterestRecommender.ItemTable(model.Model);   // [N + 1, d]; row 0 is padding, not exported
        var d = config.Dimension;
        var n = config.ItemCount;
        files.Add(WriteAtomic(Path.Combine(outDirectory, ItemEmbeddingsFile), s => NpyFile.Write(s, [n, d], table.Rows(1, n))));
        files.Add(WriteAtomic(Path.Combine(outDirectory, ItemIdsFile), s => WriteLines(s, Enumerable.Range(1, n).Select(i => model.ItemIds[i]))));
        var k = config.EffectiveInterests;
        if (histories is null) return new ExportReport(n, d, 0, k, 0, files);

        var vectors = new float[(long)histories.Count * k * d];
        using (var recommender = new MultiInterestRecommender(model.Model))
        {
            for (var start = 0; start < histories.Count; start += BatchSize)
            {
                var batch = histories.Skip(start).Take(BatchSize).Select(h => h.Items).ToList();
                recommender.InterestVectors(HistoryBatch.FromHistories(batch)).CopyTo(vectors, (long)start * k * d);
            }
        }

        files.Add(WriteAtomic(Path.Combine(outDirectory, InterestsFile), s => NpyFile.Write(s, [histories.Count, k, d], vectors)));
        files.Add(WriteAtomic(Path.Combine(outDirectory, UsersFile), s => WriteLines(s, histories.Select(h => h.User))));
        return new ExportReport(n, d, histories.Count, k, unknown, files);
    }

    private static List<(string User, int[] Items)> ReadHistories(string path, IdMap items, out long unknown)
    {
        unknown = 0;
        var result = new List<(string, int[])>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length == 1)
                throw new InvalidDataException($"{path}:{number}: user {fields[0]} has no items; expected 'user item item ...'.");
            var known = new List<int>(fields.Length - 1);
            foreach (var field in fields.AsSpan(1))
            {
                if (items.TryGetIndex(field, out var item)) known.Add(item);
                else unknown++;
            }

            if (known.Count == 0)
                throw new InvalidDataException($"{path}:{number}: none of user {fields[0]}'s {fields.Length - 1} items is known to the model (unseen in training or removed by the data filter).");
            result.Add((fields[0], known.ToArray()));
        }

        return result;
    }

    private static void WriteLines(Stream stream, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (var line in lines) writer.WriteLine(line);
    }

    /// <summary>Writes <paramref name="path"/> through a temporary sibling, flushed to disk, then a rename.</summary>
    private static string WriteAtomic(string path, Action<Stream> write)
    {
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }

        return path;
    }
}
