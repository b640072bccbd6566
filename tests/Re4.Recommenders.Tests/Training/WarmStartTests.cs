using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>Issue 12, incremental data: a warm start keeps the rows of the items the checkpoint knows (by original id),
/// initialises new items' rows as a fresh model would, drops the others, copies the extractor, and refuses another
/// architecture naming the option.</summary>
public sealed class WarmStartTests
{
    // Old data: items i0..i29; new data: i10..i39. By hand: 20 kept (i10..i29), 10 added (i30..i39), 10 dropped (i0..i9).
    private static DataSplit Split(int firstItem, int seed)
    {
        var records = new List<(string User, string Item, long Time)>();
        for (var u = 0; u < 60; u++)
        {
            for (var t = 0; t < 8; t++)
            {
                // Every item of the range appears (u + 7t covers all residues mod 30 as u runs over 0..29).
                records.Add(($"u{u}", $"i{firstItem + (u + 7 * t + seed) % 30}", t));
            }
        }

        var dataset = DatasetPreparation.Prepare(SequenceDataset.FromInteractions(records, r => r.User, r => r.Item, r => r.Time), DatasetFilter.None);
        return DataSplitter.ComiRec(dataset, seed: 1, maxLength: 8);
    }

    private static ModelConfig Config(DataSplit split) =>
        new() { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = split.Dataset.ItemCount, Dimension = 8, Interests = 2, MaxLength = 8 };

    private static TrainerOptions Options(long steps = 5) => new() { BatchSize = 16, LearningRate = 0.05, NegativeCount = 8, MaxSteps = steps, EvaluateEvery = 5, Seed = 7 };

    /// <summary>A checkpoint trained a few steps on the old data (so its rows are not a fresh model's), loaded back.</summary>
    private static LoadedModel OldCheckpoint(TempDir dir)
    {
        var old = Split(firstItem: 0, seed: 0);
        using var trainer = new MultiInterestTrainer(old, Config(old), Options(steps: 10));
        trainer.Fit();
        var folder = Path.Combine(dir.Path, "old");
        ModelCheckpoint.Save(folder, trainer.Model, old.Dataset);
        return ModelCheckpoint.Load(folder);
    }

    private static float[] Row(Tensor table, long row) => table[row].detach().cpu().data<float>().ToArray();

    [Fact]
    public void WarmStart_KeepsKnownRows_InitialisesNewOnes_AndCopiesTheExtractor()
    {
        using var dir = new TempDir();
        using var checkpoint = OldCheckpoint(dir);
        var split = Split(firstItem: 10, seed: 3);

        using var trainer = MultiInterestTrainer.WarmStart(checkpoint, split, options: Options());

        trainer.WarmStartReport.Should().Be(new WarmStartReport(Kept: 20, Added: 10, Dropped: 10));
        using var scope = NewDisposeScope();
        var ids = split.Dataset.ItemIds;
        var table = trainer.Model.ItemEmbeddings;
        var oldTable = checkpoint.Model.ItemEmbeddings;
        // The rows a fresh model of this seed and catalogue has: what new items must get.
        manual_seed(7);
        using var fresh = new MultiInterestModel(Config(split));
        Row(table, 0).Should().OnlyContain(v => v == 0f, "row 0 is padding");
        for (var item = 1; item <= ids.Count; item++)
        {
            var original = ids[item];
            var number = int.Parse(original[1..], System.Globalization.CultureInfo.InvariantCulture);
            if (number < 30)
            {
                checkpoint.ItemIds.TryGetIndex(original, out var old).Should().BeTrue();
                Row(table, item).Should().Equal(Row(oldTable, old), $"{original} is known: its row is the checkpoint's");
            }
            else
            {
                checkpoint.ItemIds.TryGetIndex(original, out _).Should().BeFalse();
                Row(table, item).Should().Equal(Row(fresh.ItemEmbeddings, item), $"{original} is new: initialised as a fresh model's row");
                for (var old = 1; old <= checkpoint.ItemIds.Count; old++) Row(table, item).Should().NotEqual(Row(oldTable, old));
            }
        }

        var expected = checkpoint.Model.Extractor.state_dict();
        var actual = trainer.Model.Extractor.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, value) in expected) actual[name].detach().cpu().data<float>().ToArray().Should().Equal(value.detach().cpu().data<float>().ToArray(), name);
    }

    [Fact]
    public void WarmStart_ThenFit_TrainsOnTheNewData()
    {
        using var dir = new TempDir();
        using var checkpoint = OldCheckpoint(dir);
        var split = Split(firstItem: 10, seed: 3);
        using var trainer = MultiInterestTrainer.WarmStart(checkpoint, split, options: Options(steps: 5));
        var before = Row(trainer.Model.ItemEmbeddings, 1);

        var result = trainer.Fit();

        result.Steps.Should().Be(5);
        Row(trainer.Model.ItemEmbeddings, 1).Should().NotEqual(before, "training moves the rows");
        trainer.Model.Config.ItemCount.Should().Be(30);
    }

    [Theory]
    [InlineData("Dimension")]
    [InlineData("Interests")]
    [InlineData("Encoder")]
    [InlineData("EncoderOptions.PositionEmbedding")]
    public void WarmStart_RefusesAnotherArchitecture_NamingTheOption(string option)
    {
        using var dir = new TempDir();
        using var checkpoint = OldCheckpoint(dir);
        var split = Split(firstItem: 10, seed: 3);
        var config = Config(split);
        config = option switch
        {
            "Dimension" => config with { Dimension = 16 },
            "Interests" => config with { Interests = 3 },
            "Encoder" => config with { Encoder = ComiRecDrDescriptor.EncoderName },
            _ => config with { EncoderOptions = new SelfAttentiveOptions { PositionEmbedding = false } },
        };

        var act = () => MultiInterestTrainer.WarmStart(checkpoint, split, config, Options());

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == option).WithMessage($"*{option}*checkpoint*");
    }

    [Fact]
    public void WarmStart_AcceptsTheCheckpointsOwnArchitecture()
    {
        using var dir = new TempDir();
        using var checkpoint = OldCheckpoint(dir);
        var split = Split(firstItem: 10, seed: 3);

        using var trainer = MultiInterestTrainer.WarmStart(checkpoint, split, Config(split), Options());

        trainer.Model.Config.Should().Be(checkpoint.Model.Config with { ItemCount = 30 });
    }
}
