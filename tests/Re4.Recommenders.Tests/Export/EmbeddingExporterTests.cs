using System.Buffers.Binary;
using System.Text;
using Re4.Cli;
using Re4.Recommenders.Data;
using Re4.Recommenders.Export;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Tests.Export;

/// <summary>Issue 12, embeddings out: the .npy files are read back by a minimal reader written here from NumPy's format
/// description (not the library's writer), and their values, ids and interests compared with the model's.</summary>
public sealed class EmbeddingExporterTests
{
    private static readonly string[] Items = ["B00ABC", "7", "ü-ß", "9223372036854775808", "x-5"];

    /// <summary>A saved checkpoint of text item ids (d = 8, K = 2), loaded back.</summary>
    private static LoadedModel Checkpoint(TempDir dir)
    {
        var folder = Path.Combine(dir.Path, "m");
        TorchSharp.torch.manual_seed(3);
        using (var model = new MultiInterestModel(new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = Items.Length, Dimension = 8, Interests = 2, MaxLength = 4 }))
            ModelCheckpoint.Save(folder, model, IdMap.FromStrings(Items, firstIndex: 1));
        return ModelCheckpoint.Load(folder);
    }

    /// <summary>Reads a version 1.0 .npy of little-endian float32: the header dict's text, the shape it declares, the values.</summary>
    private static (string Header, long[] Shape, float[] Values) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[0].Should().Be(0x93);
        Encoding.ASCII.GetString(bytes, 1, 5).Should().Be("NUMPY");
        bytes[6].Should().Be(1, "major version");
        bytes[7].Should().Be(0, "minor version");
        int headerLength = BitConverter.ToUInt16(bytes, 8) is var h && BitConverter.IsLittleEndian ? h : BinaryPrimitives.ReverseEndianness(h);
        ((10 + headerLength) % 64).Should().Be(0, "the data start on a 64-byte boundary");
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        header.Should().EndWith("\n");
        var open = header.IndexOf("'shape': (", StringComparison.Ordinal) + "'shape': (".Length;
        var shape = header[open..header.IndexOf(')', open)].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = bytes.AsSpan(10 + headerLength);
        var values = new float[data.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(data[(4 * i)..]));
        return (header, shape, values);
    }

    [Fact]
    public void Export_WritesTheItemTableAsNpy_WithTheOriginalIds()
    {
        using var dir = new TempDir();
        using var loaded = Checkpoint(dir);
        var outDir = Path.Combine(dir.Path, "out");

        var report = EmbeddingExporter.Export(loaded, outDir);

        var (header, shape, values) = ReadNpy(Path.Combine(outDir, EmbeddingExporter.ItemEmbeddingsFile));
        const string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 8), }";
        // 10 bytes + 59 characters + newline = 70 bytes, padded to 128: 58 spaces before the newline.
        header.Should().Be(dict + new string(' ', 128 - 10 - dict.Length - 1) + "\n");
        shape.Should().Equal(5L, 8L);
        var table = MultiInterestRecommender.ItemTable(loaded.Model);
        values.Should().Equal(table.Rows(1, 5).ToArray(), "row i is item i + 1's embedding, padding row left out");
        File.ReadAllText(Path.Combine(outDir, EmbeddingExporter.ItemIdsFile), Encoding.UTF8).Should().Be(string.Join("", Items.Select(i => i + "\n")));
        report.Items.Should().Be(5);
        File.Exists(Path.Combine(outDir, EmbeddingExporter.InterestsFile)).Should().BeFalse("no histories were given");
        Directory.GetFiles(outDir, "*.tmp").Should().BeEmpty();
    }

    [Fact]
    public void Export_WritesEachUsersInterests_AsTheRecommenderEncodesThem()
    {
        using var dir = new TempDir();
        using var loaded = Checkpoint(dir);
        var histories = Path.Combine(dir.Path, "histories.txt");
        // u2's "unknown" item is skipped; u3 gives a numeric-looking text id.
        File.WriteAllText(histories, "u1 B00ABC 7\n\nu2 ü-ß unknown x-5\tB00ABC\nu3 9223372036854775808\n");
        var outDir = Path.Combine(dir.Path, "out");

        var report = EmbeddingExporter.Export(loaded, outDir, histories);

        var (_, shape, values) = ReadNpy(Path.Combine(outDir, EmbeddingExporter.InterestsFile));
        shape.Should().Equal(3L, 2L, 8L);
        using var recommender = new MultiInterestRecommender(loaded.Model);
        var expected = recommender.InterestVectors(HistoryBatch.FromHistories([[1, 2], [3, 5, 1], [4]]));
        values.Should().Equal(expected);
        File.ReadAllLines(Path.Combine(outDir, EmbeddingExporter.UsersFile)).Should().Equal("u1", "u2", "u3");
        report.Should().BeEquivalentTo(new { Users = 3, Interests = 2, Dimension = 8, UnknownItems = 1L });
    }

    [Fact]
    public void Export_ThrowsForAHistoryWithNoKnownItem_NamingFileAndLine()
    {
        using var dir = new TempDir();
        using var loaded = Checkpoint(dir);
        var histories = Path.Combine(dir.Path, "histories.txt");
        File.WriteAllText(histories, "u1 7\nu2 nope never\n");
        var outDir = Path.Combine(dir.Path, "out");

        var act = () => EmbeddingExporter.Export(loaded, outDir, histories);

        act.Should().Throw<InvalidDataException>().WithMessage($"{histories}:2:*u2*");
        Directory.Exists(outDir).Should().BeFalse("a bad histories file writes nothing");
    }

    [Fact]
    public void ExportVerb_WritesTheFiles_AndRefusesAMissingHistoriesFile()
    {
        using var dir = new TempDir();
        using (Checkpoint(dir))
        {
        }

        var histories = Path.Combine(dir.Path, "h.txt");
        File.WriteAllText(histories, "alice 7 x-5\n");
        var outDir = Path.Combine(dir.Path, "out");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = Program.Run(["export", "--checkpoint", Path.Combine(dir.Path, "m"), "--out", outDir, "--histories", histories], stdout, stderr);

        code.Should().Be(0, stderr.ToString());
        ReadNpy(Path.Combine(outDir, EmbeddingExporter.ItemEmbeddingsFile)).Shape.Should().Equal(5L, 8L);
        ReadNpy(Path.Combine(outDir, EmbeddingExporter.InterestsFile)).Shape.Should().Equal(1L, 2L, 8L);
        File.ReadAllLines(Path.Combine(outDir, EmbeddingExporter.UsersFile)).Should().Equal("alice");

        var missing = Program.Run(["export", "--checkpoint", Path.Combine(dir.Path, "m"), "--out", outDir, "--histories", Path.Combine(dir.Path, "none.txt")], new StringWriter(), stderr = new StringWriter());
        missing.Should().Be(2);
        stderr.ToString().Should().Contain("--histories").And.Contain("none.txt");
    }
}
