using Re4.Recommenders.Data;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The samplers' states: a sampler given another's state continues its batches, and a state is set in constant
/// time whatever the batch count it records.</summary>
public sealed class SamplerStateTests
{
    private static readonly Lazy<DataSplit> Planted = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 200, Topics = 8, MinLength = 3, MaxLength = 30, Seed = 9 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 2, maxLength: 10);
    });

    private static void SameBatch(TrainingBatch a, TrainingBatch b)
    {
        a.Histories.Should().Equal(b.Histories);
        a.Lengths.Should().Equal(b.Lengths);
        a.Targets.Should().Equal(b.Targets);
    }

    /// <summary>ComiRec's random cut written plainly over System.Random, as the sampler was before it had a state: the
    /// sampler must draw exactly these batches, so seeded runs are unchanged.</summary>
    private static IEnumerable<int[]> NaiveRandomCutTargets(DataSplit split, int batchSize, int seed)
    {
        var eligible = Enumerable.Range(0, split.TrainCount).Where(i => split.TrainSequence(i).Length >= 2).ToArray();
        var rng = new Random(seed);
        while (true)
        {
            var targets = new int[batchSize];
            var chosen = new HashSet<int>();
            for (var b = 0; b < batchSize;)
            {
                var user = eligible[rng.Next(eligible.Length)];
                if (!chosen.Add(user)) continue;
                var seq = split.TrainSequence(user);
                targets[b++] = seq[rng.Next(Math.Min(4, seq.Length - 1), seq.Length)];
            }

            yield return targets;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2022)]
    [InlineData(-17)]
    [InlineData(int.MinValue)]
    public void RandomCut_DrawsTheBatchesOfASystemRandomSampler(int seed)
    {
        var sampler = new RandomCutSampler(Planted.Value, 32, seed);

        foreach (var expected in NaiveRandomCutTargets(Planted.Value, 32, seed).Take(300))
            sampler.Next().Targets.Should().Equal(expected);
    }

    [Theory]
    [InlineData(TrainingSamplerKind.RandomCut)]
    [InlineData(TrainingSamplerKind.EveryPrefix)]
    public void State_LetsASamplerContinueAnothersBatches(TrainingSamplerKind kind)
    {
        ITrainingSampler Make() => kind == TrainingSamplerKind.RandomCut
            ? new RandomCutSampler(Planted.Value, 16, seed: 5)
            : new EveryPrefixSampler(Planted.Value, 16, seed: 5);
        var original = Make();
        // Past an epoch boundary of the every-prefix sampler (a few hundred prefixes), so position and epoch both matter.
        for (var i = 0; i < 250; i++) original.Next();

        var resumed = Make();
        resumed.State = original.State;

        resumed.Epoch.Should().Be(original.Epoch);
        resumed.State.Should().BeEquivalentTo(original.State);
        for (var i = 0; i < 100; i++) SameBatch(resumed.Next(), original.Next());
        resumed.Epoch.Should().Be(original.Epoch);
    }

    [Fact]
    public void EveryPrefixState_IsPositionAndEpochAndTheBatchCount()
    {
        var sampler = new EveryPrefixSampler(Planted.Value, 16, seed: 1);
        var examples = sampler.ExampleCount;
        var batches = examples / 16 + 3;   // into the second pass
        for (var i = 0; i < batches; i++) sampler.Next();

        var state = sampler.State;

        state.Epoch.Should().Be(1);
        state.Position.Should().Be(batches * 16 - examples);
        state.Batches.Should().Be(batches);
        state.Random.Should().BeNull();
    }

    [Fact]
    public void State_DrawsNothingAndContinuesWhereTheStateSays_WhenSetAtABillionBatches()
    {
        // A state written by hand: a billion batches in, at a given position. Replaying that many batches would take
        // hours; setting it must cost what setting a state at batch 10 costs.
        var near = new EveryPrefixSampler(Planted.Value, 16, seed: 3);
        var far = new EveryPrefixSampler(Planted.Value, 16, seed: 3);
        for (var i = 0; i < 10; i++) near.Next();
        var position = near.State.Position;

        far.State = new SamplerState { Batches = 1_000_000_000, Epoch = 40_000_000, Position = position };

        far.Epoch.Should().Be(40_000_000);
        for (var i = 0; i < 20; i++) far.Next().Targets.Should().Equal(near.Next().Targets);
        far.State.Batches.Should().Be(1_000_000_020);
    }

    [Fact]
    public void RandomCutEpoch_FollowsTheStoredBatchCount()
    {
        var sampler = new RandomCutSampler(Planted.Value, 16, seed: 3);
        var eligible = Enumerable.Range(0, Planted.Value.TrainCount).Count(i => Planted.Value.TrainSequence(i).Length >= 2);

        sampler.State = sampler.State with { Batches = 1_000_000_000 };

        sampler.Epoch.Should().Be((int)(1_000_000_000L * 16 / eligible));
    }

    [Fact]
    public void State_ThrowsForInvalidStates()
    {
        var prefix = new EveryPrefixSampler(Planted.Value, 16, seed: 3);
        var cut = new RandomCutSampler(Planted.Value, 16, seed: 3);

        ((Action)(() => prefix.State = new SamplerState { Position = prefix.ExampleCount })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("value");
        ((Action)(() => prefix.State = new SamplerState { Epoch = -1 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("value");
        ((Action)(() => cut.State = new SamplerState { Batches = 3 })).Should().Throw<ArgumentException>().WithParameterName("value");
        ((Action)(() => cut.State = cut.State with { Batches = -1 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("value");
    }
}
