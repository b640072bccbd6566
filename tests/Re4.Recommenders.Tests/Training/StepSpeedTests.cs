using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>What makes the step faster or measures it must not change what it computes: prefetched batches and a
/// profiled step give the weights and losses of the plain step, bit for bit.</summary>
public sealed class StepSpeedTests
{
    private static readonly Lazy<DataSplit> TinySplit = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 400, Items = 300, Topics = 10, MinLength = 8, MaxLength = 20, Seed = 5 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 10);
    });

    private static ModelConfig Config() =>
        new() { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 16, Interests = 3, MaxLength = 10 };

    private static TrainerOptions Options(int prefetch, TrainingSamplerKind sampler = TrainingSamplerKind.RandomCut, bool flows = false) => new()
    {
        BatchSize = 32,
        LearningRate = 0.01,
        Negatives = NegativeSampling.Full,
        Sampler = sampler,
        MaxSteps = 24,
        EvaluateEvery = 8,
        Seed = 7,
        PrefetchBatches = prefetch,
        BackwardFlows = flows
            ? new BackwardFlowOptions { Contrast = new ReContrastOptions(), Attend = new ReAttendOptions(), Construct = new ReConstructOptions() }
            : new BackwardFlowOptions(),
    };

    private static Dictionary<string, float[]> Weights(MultiInterestTrainer trainer) =>
        trainer.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().data<float>().ToArray());

    private static void SameWeights(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        a.Keys.Should().BeEquivalentTo(b.Keys);
        foreach (var (name, values) in a)
        {
            // Bitwise: float equality would let -0 and 0 pass, and NaN fail.
            values.Select(BitConverter.SingleToInt32Bits).Should().Equal(b[name].Select(BitConverter.SingleToInt32Bits), name);
        }
    }

    [Theory]
    [InlineData(TrainingSamplerKind.RandomCut, false)]
    [InlineData(TrainingSamplerKind.EveryPrefix, true)]
    public void Fit_IsBitIdentical_WithPrefetchedBatches(TrainingSamplerKind sampler, bool flows)
    {
        using var plain = new MultiInterestTrainer(TinySplit.Value, Config(), Options(0, sampler, flows));
        var plainResult = plain.Fit();
        using var prefetched = new MultiInterestTrainer(TinySplit.Value, Config(), Options(2, sampler, flows));
        var prefetchedResult = prefetched.Fit();

        prefetchedResult.History.Select(h => h.Loss).Should().Equal(plainResult.History.Select(h => h.Loss));
        prefetchedResult.History.Select(h => h.Loss).Distinct().Should().HaveCount(3, "the losses move, so equal ones mean equal batches");
        SameWeights(Weights(prefetched), Weights(plain));
    }

    [Fact]
    public void Profile_TakesTheStepsFitTakes_AndItsPhasesAddUpToTheStep()
    {
        var options = Options(2, flows: true);
        options.MaxSteps = 12;
        options.EvaluateEvery = 12;
        using var fitted = new MultiInterestTrainer(TinySplit.Value, Config(), options);
        fitted.Fit();
        using var profiled = new MultiInterestTrainer(TinySplit.Value, Config(), options);

        var profile = profiled.Profile(steps: 10, warmupSteps: 2);

        profiled.Step.Should().Be(12);
        SameWeights(Weights(profiled), Weights(fitted));
        profile.Steps.Should().Be(10);
        profile.Phases.Sum(p => p.SecondsPerStep).Should().BeApproximately(profile.SecondsPerStep, 1e-12);
        profile.SamplesPerSecond.Should().BeApproximately(32 / profile.SecondsPerStep, 1e-6);
        profile.Phases.Select(p => p.Name).Should().Equal(
            "sampling", "batch", "embedding-gather", "extractor", "interest-selection", "logits", "softmax-cross-entropy", "objective",
            "contrast", "attend", "construct", "backward", "optimizer");
        profile.Phases.Should().OnlyContain(p => p.SecondsPerStep >= 0);
        profile.SecondsOf(StepPhase.Flow).Should().Be(profile.Phases.Where(p => p.Phase == StepPhase.Flow).Sum(p => p.SecondsPerStep));
    }

    [Fact]
    public void Options_RefusePrefetchOutOfRange()
    {
        var options = Options(-1);
        ((Action)options.Validate).Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(TrainerOptions.PrefetchBatches));
        options.PrefetchBatches = TrainerOptions.MaxPrefetchBatches + 1;
        ((Action)options.Validate).Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(TrainerOptions.PrefetchBatches));
    }
}
