using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The defaults since 0.3 (the recipe measured best on validation users, docs/reproduction.md): every prefix,
/// most recent item first, and <see cref="NegativeSampling.Auto"/>, a full softmax while the catalogue has at most
/// <see cref="TrainerOptions.FullSoftmaxItemLimit"/> items and log-uniform negatives beyond; and
/// <see cref="TrainerOptions.ComiRec"/>, the defaults before.</summary>
public sealed class TrainerDefaultsTests
{
    private sealed class CapturingLogger : ILogger
    {
        public List<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }

    [Fact]
    public void Defaults_AreEveryPrefixMostRecentFirstAndAutoSoftmax()
    {
        var options = new TrainerOptions();
        options.Sampler.Should().Be(TrainingSamplerKind.EveryPrefix);
        options.Negatives.Should().Be(NegativeSampling.Auto);
        options.FullSoftmaxItemLimit.Should().Be(50_000);
        new ModelConfig().ReverseHistory.Should().BeTrue();
        new ModelConfig().MatrixInitialization.Should().Be(MatrixInitialization.Default);
    }

    [Fact]
    public void ComiRec_IsTheDefaultsBefore03()
    {
        var comiRec = TrainerOptions.ComiRec();
        comiRec.Sampler.Should().Be(TrainingSamplerKind.RandomCut);
        comiRec.Negatives.Should().Be(NegativeSampling.LogUniform);
        comiRec.ResolvedNegativeCount.Should().Be(10 * comiRec.BatchSize);
        comiRec.LearningRate.Should().Be(0.001);
        comiRec.BatchSize.Should().Be(128);
    }

    [Theory]
    [InlineData(1, NegativeSampling.Full)]
    [InlineData(50_000, NegativeSampling.Full)]
    [InlineData(50_001, NegativeSampling.LogUniform)]
    [InlineData(1_700_000, NegativeSampling.LogUniform)]
    public void Auto_ResolvesByCatalogueSize(int items, NegativeSampling expected)
    {
        new TrainerOptions().ResolveNegatives(items).Should().Be(expected);
    }

    [Fact]
    public void Auto_FollowsTheLimit_AndAnExplicitChoiceIsKept()
    {
        new TrainerOptions { FullSoftmaxItemLimit = 99 }.ResolveNegatives(100).Should().Be(NegativeSampling.LogUniform);
        new TrainerOptions { FullSoftmaxItemLimit = 100 }.ResolveNegatives(100).Should().Be(NegativeSampling.Full);
        foreach (var kind in new[] { NegativeSampling.Full, NegativeSampling.Uniform, NegativeSampling.LogUniform })
            new TrainerOptions { Negatives = kind }.ResolveNegatives(10_000_000).Should().Be(kind);
    }

    [Fact]
    public void Validate_RefusesANonPositiveLimit_AndAnUnknownKind_WithTheirNames()
    {
        new TrainerOptions { FullSoftmaxItemLimit = 0 }.Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>()
            .Which.ParamName.Should().Be(nameof(TrainerOptions.FullSoftmaxItemLimit));
        new TrainerOptions { Negatives = (NegativeSampling)9 }.Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>()
            .Which.ParamName.Should().Be(nameof(TrainerOptions.Negatives));
    }

    [Theory]
    [InlineData(1000, NegativeSampling.Full, "full softmax (auto: 120 items ≤ 1000)")]
    [InlineData(100, NegativeSampling.LogUniform, "320 LogUniform (auto: 120 items > 100)")]
    public void Trainer_ResolvesAutoForItsCatalogue_AndLogsTheChoice(int limit, NegativeSampling expected, string logged)
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 200, Items = 120, Topics = 6, MinLength = 6, MaxLength = 12, Seed = 9 });
        var split = DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 8);
        split.Dataset.ItemCount.Should().Be(120);
        var logger = new CapturingLogger();
        var config = new ModelConfig { Encoder = YouTubeDnnDescriptor.EncoderName, ItemCount = 120, Dimension = 8, MaxLength = 8 };
        using var trainer = new MultiInterestTrainer(split, config, new TrainerOptions { BatchSize = 32, MaxSteps = 2, EvaluateEvery = 2, FullSoftmaxItemLimit = limit }, logger);

        trainer.Softmax.Should().Be(expected);
        trainer.Fit();
        logger.Messages[0].Should().Contain($", {logged} negatives, flows");
    }
}
