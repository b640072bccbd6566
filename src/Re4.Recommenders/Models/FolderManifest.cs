using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;

namespace Re4.Recommenders.Models;

/// <summary>
/// <c>manifest.json</c>: the size and XxHash128 of every other file of a checkpoint folder (<c>model/</c>, <c>resume/</c>),
/// written last into the temporary folder of a save and verified before anything is read, so that a flipped bit or a
/// truncated copy is refused with the name of the file instead of being served. Folders written before the manifest
/// existed have none and load unverified.
/// </summary>
internal static class FolderManifest
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "manifest.json";

    private const int FormatVersion = 1;
    private const string Algorithm = "xxhash128";

    /// <summary>Hashes every file of <paramref name="directory"/> (but the manifest) into its manifest, flushed to disk.</summary>
    public static void Write(string directory)
    {
        var files = System.IO.Directory.GetFiles(directory)
            .Where(f => Path.GetFileName(f) != FileName)
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .Select(f => new Entry(Path.GetFileName(f), new FileInfo(f).Length, Hash(f)))
            .ToList();
        var path = Path.Combine(directory, FileName);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        JsonSerializer.Serialize(stream, new Document(FormatVersion, Algorithm, files), ModelCheckpoint.Json);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Checks every file the manifest of <paramref name="directory"/> lists: present, of its size and hash.</summary>
    /// <returns>True when verified; false when the folder has no manifest (written before manifests existed: unverified).</returns>
    /// <exception cref="InvalidDataException">The manifest is damaged, or a file it lists is missing or differs; the message
    /// names the file.</exception>
    public static bool Verify(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return false;
        Document document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonSerializer.Deserialize<Document>(stream, ModelCheckpoint.Json) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is damaged: {e.Message}", e);
        }

        if (document.Format != FormatVersion || document.Algorithm != Algorithm || document.Files is null)
            throw new InvalidDataException($"{path} has manifest format {document.Format} ({document.Algorithm}); this version reads format {FormatVersion} ({Algorithm}).");
        foreach (var entry in document.Files)
        {
            // A name with a separator would check a file outside the folder: the manifest is damaged.
            if (string.IsNullOrEmpty(entry.Name) || entry.Name != Path.GetFileName(entry.Name) || entry.Hash is null)
                throw new InvalidDataException($"{path} is damaged (an entry names '{entry.Name}').");
            var file = Path.Combine(directory, entry.Name);
            if (!File.Exists(file)) throw new InvalidDataException($"{file} is missing ({FileName} lists it).");
            var size = new FileInfo(file).Length;
            if (size != entry.Size)
                throw new InvalidDataException($"{file} has {size} bytes; {FileName} records {entry.Size}: the file is truncated or damaged.");
            if (!string.Equals(Hash(file), entry.Hash, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{file} does not match its {Algorithm} checksum in {FileName}: the file is damaged or was changed after it was saved.");
        }

        return true;
    }

    private static string Hash(string file)
    {
        var hash = new XxHash128();
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16)) hash.Append(stream);
        return Convert.ToHexString(hash.GetCurrentHash()).ToLower(CultureInfo.InvariantCulture);
    }

    private sealed record Entry(string Name, long Size, string Hash);

    private sealed record Document(int Format, string Algorithm, List<Entry>? Files);
}
