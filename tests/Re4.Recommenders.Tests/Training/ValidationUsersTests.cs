using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary><see cref="TrainerOptions.ValidationUsers"/>: validation on users spread evenly through the validation set.</summary>
public sealed class ValidationUsersTests
{
    private static readonly Lazy<DataSplit> Split = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 400, Items = 300, Topics = 10, MinLength = 8, MaxLength = 20, Seed = 5 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 10);
    });

    private static ModelConfig Config() =>
        new() { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = Split.Value.Dataset.ItemCount, Dimension = 16, Interests = 3, MaxLength = 10 };

    private static TrainerOptions Options(int? validationUsers) => new()
    {
        BatchSize = 32,
        LearningRate = 0.01,
        NegativeCount = 64,
        MaxSteps = 20,
        EvaluateEvery = 20,
        Seed = 7,
        ValidationUsers = validationUsers,
    };

    /// <summary>Ten users whose history is [u + 100] and targets [u + 200, u + 300].</summary>
    private static EvaluationSet TenUsers()
    {
        var users = Enumerable.Range(0, 10).ToArray();
        var historyOffsets = Enumerable.Range(0, 11).ToArray();
        var targetOffsets = Enumerable.Range(0, 11).Select(i => 2 * i).ToArray();
        var histories = users.Select(u => u + 100).ToArray();
        var targets = users.SelectMany(u => new[] { u + 200, u + 300 }).ToArray();
        return new EvaluationSet(users, historyOffsets, histories, targetOffsets, targets);
    }

    [Fact]
    public void Spread_TakesEntriesEvenlySpaced_InOrder()
    {
        var set = TenUsers();

        var four = set.Spread(4);

        // Entries ⌊i·10/4⌋ for i = 0..3: 0, 2 (2.5), 5, 7 (7.5).
        four.Count.Should().Be(4);
        Enumerable.Range(0, 4).Select(four.User).Should().Equal(0, 2, 5, 7);
        Enumerable.Range(0, 4).Select(i => four.History(i).ToArray().Single()).Should().Equal(100, 102, 105, 107);
        Enumerable.Range(0, 4).SelectMany(i => four.Targets(i).ToArray()).Should().Equal(200, 300, 202, 302, 205, 305, 207, 307);
        set.Spread(10).Should().BeSameAs(set);
        set.Spread(25).Should().BeSameAs(set);
        FluentActions.Invoking(() => set.Spread(0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Validation_EvaluatesTheSpreadUsers_AsAnEvaluationOfThemByHand()
    {
        var valid = Split.Value.Valid;
        const int n = 7;
        valid.Count.Should().BeGreaterThan(3 * n, "the sample must be a real subset of the validation users");
        using var trainer = new MultiInterestTrainer(Split.Value, Config(), Options(n));

        var result = trainer.Fit();   // one validation, at step 20, the last step: the selected model is the final one

        trainer.ValidationUserCount.Should().Be(n);
        // The same users picked independently: entry ⌊i·Count/n⌋, rebuilt through the public constructor.
        var picked = Enumerable.Range(0, n).Select(i => (int)((long)i * valid.Count / n)).ToArray();
        var byHand = new EvaluationSet(
            picked.Select(valid.User).ToArray(),
            Offsets(picked.Select(e => valid.History(e).Length)),
            picked.SelectMany(e => valid.History(e).ToArray()).ToArray(),
            Offsets(picked.Select(e => valid.Targets(e).Length)),
            picked.SelectMany(e => valid.Targets(e).ToArray()).ToArray());
        result.BestStep.Should().Be(20);
        result.BestValidation.Should().Equal(trainer.Evaluate(byHand).Metrics);
        result.History.Single().Metrics.Should().Equal(result.BestValidation);
        // Not the whole validation set's figures.
        trainer.Evaluate(valid).Metrics.Should().NotEqual(result.BestValidation);
    }

    [Fact]
    public void Validation_UsesEveryUser_ByDefaultAndWhenTheSampleIsLarger()
    {
        using var all = new MultiInterestTrainer(Split.Value, Config(), Options(null));
        using var larger = new MultiInterestTrainer(Split.Value, Config(), Options(Split.Value.Valid.Count + 1));

        all.ValidationUserCount.Should().Be(Split.Value.Valid.Count);
        larger.ValidationUserCount.Should().Be(Split.Value.Valid.Count);
        all.Fit().BestValidation.Should().Equal(larger.Fit().BestValidation);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Options_RefuseAValidationSampleBelowOne(int users)
    {
        var options = Options(users);

        var act = options.Validate;

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(nameof(TrainerOptions.ValidationUsers));
    }

    private static int[] Offsets(IEnumerable<int> lengths)
    {
        var offsets = new List<int> { 0 };
        foreach (var length in lengths) offsets.Add(offsets[^1] + length);
        return offsets.ToArray();
    }
}
