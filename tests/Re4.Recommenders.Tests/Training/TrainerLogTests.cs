using System.Globalization;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The trainer's source-generated log messages: one start line, one line per validation with that validation's
/// numbers, one stop line, each with its event id, and nothing formatted when the level is off.</summary>
public sealed class TrainerLogTests
{
    private sealed class CapturingLogger(LogLevel minimum) : ILogger
    {
        public List<(LogLevel Level, EventId Id, string Message)> Entries { get; } = new();

        public int Formatted { get; private set; }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Formatted++;
            Entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }

    private static DataSplit Split()
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 200, Items = 120, Topics = 6, MinLength = 6, MaxLength = 12, Seed = 9 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 8);
    }

    [Fact]
    public void Fit_LogsStartEachValidationAndStop_WithTheValidationsNumbers()
    {
        var split = Split();
        var logger = new CapturingLogger(LogLevel.Information);
        var config = new ModelConfig { Encoder = YouTubeDnnDescriptor.EncoderName, ItemCount = split.Dataset.ItemCount, Dimension = 8, MaxLength = 8 };
        using var trainer = new MultiInterestTrainer(split, config, new TrainerOptions { BatchSize = 16, NegativeCount = 32, MaxSteps = 30, EvaluateEvery = 10, Seed = 2 }, logger);

        var result = trainer.Fit();

        logger.Entries.Select(e => e.Id.Id).Should().Equal(1, 2, 2, 2, 3);
        logger.Entries.Should().OnlyContain(e => e.Level == LogLevel.Information);
        logger.Entries[0].Message.Should().StartWith("Training YouTubeDnn (K = 1, d = 8) on " + split.TrainCount.ToString(CultureInfo.InvariantCulture) + " training users");
        for (var i = 0; i < 3; i++)
        {
            var h = result.History[i];
            var expected = string.Create(CultureInfo.CurrentCulture, $"step {h.Step}: loss {h.Loss:F4}, valid recall@50 {h.Metrics["recall@50"]:F4}");
            logger.Entries[i + 1].Message.Should().StartWith(expected);
        }

        logger.Entries[4].Message.Should().Be(string.Create(CultureInfo.CurrentCulture,
            $"Stopped (max-steps) after 30 steps; best validation recall@50 = {result.BestValidation["recall@50"]:F4} at step {result.BestStep}"));
    }

    [Fact]
    public void Fit_WarnsOnce_WhenValidatingALargeSetCostsFarMoreThanItsSteps_AndNotForASample()
    {
        // 11,000 validation users over 60 items: each validation takes far longer than one tiny step.
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 110_000, Items = 60, Topics = 6, MinLength = 5, MaxLength = 6, Seed = 4 });
        var split = DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 5);
        split.Valid.Count.Should().BeGreaterThan(MultiInterestTrainer.SuggestedValidationUsers);
        var config = new ModelConfig { Encoder = YouTubeDnnDescriptor.EncoderName, ItemCount = split.Dataset.ItemCount, Dimension = 4, MaxLength = 5 };
        TrainerOptions Options(int? validationUsers) => new() { BatchSize = 4, NegativeCount = 8, MaxSteps = 3, EvaluateEvery = 1, Seed = 2, ValidationUsers = validationUsers };
        var all = new CapturingLogger(LogLevel.Information);
        var sampled = new CapturingLogger(LogLevel.Information);

        using (var trainer = new MultiInterestTrainer(split, config, Options(null), all)) trainer.Fit();
        using (var trainer = new MultiInterestTrainer(split, config, Options(MultiInterestTrainer.SuggestedValidationUsers), sampled)) trainer.Fit();

        var warning = all.Entries.Where(e => e.Id.Id == 6).Should().ContainSingle("three validations, one warning").Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().StartWith(string.Create(CultureInfo.InvariantCulture, $"Validating {split.Valid.Count} users took "))
            .And.Contain("the 1 steps before it").And.Contain("--valid-users 10000");
        sampled.Entries.Should().NotContain(e => e.Id.Id == 6);
        sampled.Entries.Should().Contain(e => e.Id.Id == 5 && e.Message.StartsWith("Validating on 10000 of the ", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_WithInformationOff_FormatsNothing()
    {
        var split = Split();
        var logger = new CapturingLogger(LogLevel.Warning);
        var config = new ModelConfig { Encoder = YouTubeDnnDescriptor.EncoderName, ItemCount = split.Dataset.ItemCount, Dimension = 8, MaxLength = 8 };
        using var trainer = new MultiInterestTrainer(split, config, new TrainerOptions { BatchSize = 16, NegativeCount = 32, MaxSteps = 20, EvaluateEvery = 10, Seed = 2 }, logger);

        trainer.Fit();

        logger.Formatted.Should().Be(0);
    }
}
