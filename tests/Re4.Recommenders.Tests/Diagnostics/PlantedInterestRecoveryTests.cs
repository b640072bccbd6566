using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Diagnostics;

/// <summary>What the backward flows claim, checked on planted-interest data with fixed seeds.</summary>
public sealed class PlantedInterestRecoveryTests
{
    private const int Topics = 10;

    private static readonly Lazy<DataSplit> Split = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 1500, Items = 600, Topics = Topics, Seed = 11 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 3);
    });

    private static InterestDiagnosticsReport TrainAndMeasure(BackwardFlowOptions flows, int seed) => TrainMeasureAndValidate(flows, seed).Diagnostics;

    /// <summary>Trains ComiRec-SA with <paramref name="flows"/>; returns the interest diagnostics and the validation recall@50.</summary>
    private static (InterestDiagnosticsReport Diagnostics, double ValidRecall) TrainMeasureAndValidate(BackwardFlowOptions flows, int seed)
    {
        var split = Split.Value;
        // The configuration measured in docs/reproduction.md: ComiRec's recipe (random cut, oldest item first, log-uniform
        // negatives), the defaults before 0.3, set explicitly.
        var config = new ModelConfig
        {
            Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = split.Dataset.ItemCount, Dimension = 32, Interests = 4, MaxLength = split.MaxLength,
            ReverseHistory = false,
        };
        var options = TrainerOptions.ComiRec();
        options.BatchSize = 64;
        options.NegativeCount = 256;
        options.LearningRate = 0.005;
        options.MaxSteps = 600;
        options.EvaluateEvery = 300;
        options.Seed = seed;
        options.BackwardFlows = flows;
        using var trainer = new MultiInterestTrainer(split, config, options);
        trainer.Fit();
        var dataset = split.Dataset;
        var diagnostics = InterestDiagnostics.Compute(trainer.Model, split.Valid, item => PlantedInterestGenerator.TopicOf(dataset.OriginalItemId(item), Topics));
        return (diagnostics, trainer.Evaluate(split.Valid)[MetricNames.Recall(50)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ReAttend_BringsTheForwardAttentionCloseToRetrievalRelevance(int seed)
    {
        // Re-attend trains A towards R = softmax(Z·Xᵀ) directly. Without it, nothing ties the two: the scorer's softmax
        // is free to disagree with the dot products retrieval uses. The claim checked: KL(R‖A) falls by at least a quarter
        // after 600 steps at λ = 0.01. A flow that did not reach A (detached, wrong tensor, zero weight) leaves the ratio
        // near 1; longer training widens the gap (the CLI's 1500-step synthetic run cut it from 13.9 to 4.7 at λ = 0.001).
        // Meanwhile the interests stay as pure (planted-topic purity within 0.05 of the plain model's).
        var plain = TrainAndMeasure(new BackwardFlowOptions(), seed);
        var attend = TrainAndMeasure(new BackwardFlowOptions { Attend = new ReAttendOptions { Weight = 0.01 } }, seed);

        attend.AttentionDisagreement.Should().BeLessThan(0.75 * plain.AttentionDisagreement);
        attend.TopicPurity!.Value.Should().BeGreaterThan(plain.TopicPurity!.Value - 0.05);
    }

    [Fact]
    public void ReContrastTemperature_DecidesWhetherRe4KeepsThePlantedTopics()
    {
        // Measured on this data (seeds 1-5, docs/reproduction.md): at the reference τ = 0.02 re-contrast pulls a user's K
        // interests onto the same confidently attended items, so the positives of each interest mix topics (purity
        // 0.76-0.83 against ComiRec-SA's 0.91-0.96); at τ = 0.2 the softer contrast keeps purity at the plain model's
        // level (0.90-0.94) and validation recall@50 above it in all five seeds (by 0.018 to 0.050). Checked here on
        // seeds 1 and 2 with margins of about half the smallest gap seen: Re4 at τ = 0.2 beats ComiRec-SA on mean
        // validation recall by more than 0.01 and keeps at least 0.05 more purity than Re4 at τ = 0.02 in each seed.
        // A flow that did nothing would fail the recall margin; a τ that was ignored would fail the purity gap.
        var plainRecall = 0.0;
        var softRecall = 0.0;
        foreach (var seed in new[] { 1, 2 })
        {
            var plain = TrainMeasureAndValidate(new BackwardFlowOptions(), seed);
            var reference = TrainMeasureAndValidate(BackwardFlowOptions.Reference, seed);
            var soft = TrainMeasureAndValidate(BackwardFlowOptions.Reference with { Contrast = new ReContrastOptions { Temperature = 0.2 } }, seed);
            plainRecall += plain.ValidRecall / 2;
            softRecall += soft.ValidRecall / 2;
            soft.Diagnostics.TopicPurity!.Value.Should().BeGreaterThan(reference.Diagnostics.TopicPurity!.Value + 0.05, $"seed {seed}");
        }

        softRecall.Should().BeGreaterThan(plainRecall + 0.01);
    }
}
