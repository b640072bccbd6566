using System.Text.Json;
using Re4.Cli;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Models;

/// <summary>Checkpoints of text item ids (format 3, item_keys.bin), numeric ones unchanged (format 2, item_ids.bin), and
/// <c>re4 recommend</c> with text ids end to end.</summary>
public sealed class TextIdCheckpointTests
{
    private static MultiInterestModel Build(int items) =>
        new(new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = items, Dimension = 8, Interests = 2, MaxLength = 4 });

    [Fact]
    public void SaveLoad_RoundTripsTextItemIds()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "m");
        var ids = IdMap.FromStrings(["B00ABC", "7", "ü-ß SKU", "9223372036854775808"], firstIndex: 1);
        using (var model = Build(4)) ModelCheckpoint.Save(folder, model, ids);

        using var loaded = ModelCheckpoint.Load(folder);

        File.Exists(Path.Combine(folder, ModelCheckpoint.ItemKeysFile)).Should().BeTrue();
        File.Exists(Path.Combine(folder, ModelCheckpoint.ItemIdsFile)).Should().BeFalse();
        File.ReadAllText(Path.Combine(folder, ModelCheckpoint.ConfigFile)).Should().Contain("\"format\": 3");
        Enumerable.Range(1, 4).Select(i => loaded.ItemIds[i]).Should().Equal("B00ABC", "7", "ü-ß SKU", "9223372036854775808");
        loaded.TryGetItem("ü-ß SKU", out var sku).Should().BeTrue();
        sku.Should().Be(3);
        loaded.TryGetItem(7, out var seven).Should().BeTrue();
        seven.Should().Be(2);
        FluentActions.Invoking(() => loaded.OriginalItemIds.ToArray()).Should().Throw<InvalidOperationException>().WithMessage("*ItemIds*");
    }

    [Fact]
    public void Save_WritesNumericIdsAsBefore()
    {
        // The numeric file is RE4IDS01, int32 N + 1, then N + 1 int64 with slot 0 = 0: worked out by hand for ids 501, 77.
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "m");
        using (var model = Build(2)) ModelCheckpoint.Save(folder, model, new long[] { 0, 501, 77 });

        var bytes = File.ReadAllBytes(Path.Combine(folder, ModelCheckpoint.ItemIdsFile));

        var expected = "RE4IDS01"u8.ToArray().Concat(BitConverter.GetBytes(3)).Concat(BitConverter.GetBytes(0L)).Concat(BitConverter.GetBytes(501L)).Concat(BitConverter.GetBytes(77L));
        bytes.Should().Equal(expected);
        File.ReadAllText(Path.Combine(folder, ModelCheckpoint.ConfigFile)).Should().Contain("\"format\": 2");
        using var loaded = ModelCheckpoint.Load(folder);
        loaded.OriginalItemIds.ToArray().Should().Equal(0L, 501L, 77L);
    }

    [Fact]
    public void Save_TakesTheDataSet_AndThrowsForAnotherItemCount()
    {
        using var dir = new TempDir();
        var dataset = SequenceDataset.FromInteractions([("u", "a", 1L), ("u", "b", 2L)], r => r.Item1, r => r.Item2, r => r.Item3);
        using var model = Build(2);
        ModelCheckpoint.Save(Path.Combine(dir.Path, "m"), model, dataset);
        using (var loaded = ModelCheckpoint.Load(Path.Combine(dir.Path, "m"))) loaded.ItemIds[2].Should().Be("b");

        using var bigger = Build(3);
        FluentActions.Invoking(() => ModelCheckpoint.Save(Path.Combine(dir.Path, "n"), bigger, dataset))
            .Should().Throw<ArgumentException>().WithParameterName("itemIds").WithMessage("*1..3*");
    }

    [Fact]
    public void Cli_TrainsAndRecommends_WithTextIds()
    {
        using var dir = new TempDir();
        var raw = PlantedInterestGenerator.Generate(new() { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = 3 });
        // The same sequences with ASIN-like ids: user u17, item B000000042.
        var lines = Enumerable.Range(0, raw.UserCount).Select(u =>
            $"u{raw.OriginalUserId(u)} " + string.Join(' ', raw.Sequence(u).ToArray().Select(i => $"B{raw.OriginalItemId(i):D9}")));
        var data = Path.Combine(dir.Path, "asins.txt");
        File.WriteAllLines(data, lines);
        var run = Path.Combine(dir.Path, "run");
        var (code, _, err) = Run("train", "--data", data, "--model", "comirec-sa", "--out", run, "--dump", "--dim", "8", "--interests", "2",
            "--batch-size", "16", "--negatives", "32", "--max-steps", "20", "--eval-every", "20", "--quiet");
        code.Should().Be(0, err);

        var history = File.ReadLines(data).First().Split(' ').Skip(1).Take(3).ToArray();
        var (recCode, recOut, recErr) = Run("recommend", "--checkpoint", run, "--history", string.Join(' ', history), "--top", "5");

        recCode.Should().Be(0, recErr);
        using var rec = JsonDocument.Parse(recOut);
        rec.RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetString()).Should().Equal(history);
        var items = rec.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("item").GetString()!).ToArray();
        items.Should().HaveCount(5).And.OnlyContain(i => i.StartsWith('B') && i.Length == 10);
        var tsv = File.ReadAllLines(Path.Combine(run, "recommendations.tsv"));
        tsv.Should().NotBeEmpty().And.OnlyContain(l => l.StartsWith('u') && l.Contains("\tB"));
        using var split = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "split.json")));
        split.RootElement.GetProperty("test").EnumerateArray().Should().OnlyContain(e => e.ValueKind == JsonValueKind.String);

        var (badCode, _, badErr) = Run("recommend", "--checkpoint", run, "--history", "B999999999 NOPE");
        badCode.Should().Be(1);
        badErr.Should().Contain("B999999999, NOPE");
    }
}
