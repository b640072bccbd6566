using Re4.Recommenders.Data;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The prefetching sampler hands out exactly the inner sampler's batches, in order, and reports the position of
/// the batches handed out, not of those drawn ahead.</summary>
public sealed class PrefetchingSamplerTests
{
    private static readonly Lazy<DataSplit> Planted = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 300, Items = 200, Topics = 8, MinLength = 3, MaxLength = 30, Seed = 9 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 2, maxLength: 10);
    });

    private static ITrainingSampler Plain(TrainingSamplerKind kind) => kind == TrainingSamplerKind.RandomCut
        ? new RandomCutSampler(Planted.Value, 32, seed: 11)
        : new EveryPrefixSampler(Planted.Value, 32, seed: 11);

    private static void SameBatch(TrainingBatch a, TrainingBatch b)
    {
        a.Histories.Should().Equal(b.Histories);
        a.Lengths.Should().Equal(b.Lengths);
        a.Targets.Should().Equal(b.Targets);
    }

    [Theory]
    [InlineData(TrainingSamplerKind.RandomCut, 1)]
    [InlineData(TrainingSamplerKind.EveryPrefix, 2)]
    public void Next_HandsOutTheInnerSamplersBatches_WithTheirStateAndEpoch(TrainingSamplerKind kind, int depth)
    {
        var plain = Plain(kind);
        using var prefetching = new PrefetchingSampler(Plain(kind), depth);

        for (var i = 0; i < 200; i++)
        {
            SameBatch(prefetching.Next(), plain.Next());
            // The producer is ahead by up to `depth` batches; the position reported is the plain sampler's.
            prefetching.State.Should().BeEquivalentTo(plain.State);
            prefetching.Epoch.Should().Be(plain.Epoch);
        }

        plain.Epoch.Should().BeGreaterThan(0, "200 batches of 32 pass over the data at least once");
    }

    [Theory]
    [InlineData(TrainingSamplerKind.RandomCut)]
    [InlineData(TrainingSamplerKind.EveryPrefix)]
    public void State_SetMidway_DropsTheBatchesDrawnAheadAndContinuesFromTheGivenPosition(TrainingSamplerKind kind)
    {
        var plain = Plain(kind);
        for (var i = 0; i < 7; i++) plain.Next();
        var saved = plain.State;
        var expected = Enumerable.Range(0, 10).Select(_ => plain.Next()).ToList();

        using var prefetching = new PrefetchingSampler(Plain(kind), 2);
        for (var i = 0; i < 3; i++) prefetching.Next();   // the producer now holds batches 4 and 5 (or is drawing them)
        prefetching.State = saved;

        foreach (var batch in expected) SameBatch(prefetching.Next(), batch);
    }

    [Fact]
    public void Next_RethrowsTheInnerSamplersError_WhenItsBatchIsDue()
    {
        using var prefetching = new PrefetchingSampler(new FailingSampler(failAt: 3), 2);

        prefetching.Next().Targets.Should().Equal([1]);
        prefetching.Next().Targets.Should().Equal([2]);
        ((Action)(() => prefetching.Next())).Should().Throw<InvalidOperationException>().WithMessage("batch 3");
    }

    [Fact]
    public void Constructor_RefusesADepthBelowOne()
    {
        ((Action)(() => _ = new PrefetchingSampler(Plain(TrainingSamplerKind.RandomCut), 0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("depth");
    }

    /// <summary>Batches whose one target is their number; the <c>failAt</c>-th draw throws.</summary>
    private sealed class FailingSampler(int failAt) : ITrainingSampler
    {
        private int _drawn;

        public int Epoch => 0;

        public SamplerState State { get; set; } = new();

        public TrainingBatch Next()
        {
            _drawn++;
            if (_drawn == failAt) throw new InvalidOperationException($"batch {_drawn}");
            var batch = new TrainingBatch(1, 1);
            batch.Targets[0] = _drawn;
            return batch;
        }
    }
}
