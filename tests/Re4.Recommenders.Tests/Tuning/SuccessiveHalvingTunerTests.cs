using Microsoft.Extensions.Logging;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Training;
using Re4.Recommenders.Tests.Training.Runs;
using Re4.Recommenders.Tuning;

namespace Re4.Recommenders.Tests.Tuning;

public sealed class SuccessiveHalvingTunerTests
{
    // 4 configurations, η = 2, 10 steps: rung 0 trains 4 to step 10, rung 1 the best 2 to step 20, rung 2 the best to step 40.
    private static readonly SuccessiveHalvingSchedule Schedule = new(4, 2, 10);

    private static readonly SearchSpace Space = new(new Dictionary<TunedParameter, SearchRange>
    {
        [TunedParameter.Temperature] = new(0.05, 1),
        [TunedParameter.LambdaContrast] = new(0.01, 1),
        [TunedParameter.LearningRate] = new(0.003, 0.03),
    });

    private static TrainerOptions Options()
    {
        var options = TinyRun.Options(checkpoint: null);
        options.BackwardFlows = new BackwardFlowOptions { Contrast = new ReContrastOptions() };
        return options;
    }

    private static SuccessiveHalvingTuner Tuner(DataSplit split, string directory, ILogger? logger = null) =>
        new(split, TinyRun.Config(), Options(), Space, Schedule, directory, logger);

    [Fact]
    public void Run_PromotesTheBestOfEachRung_AndGivesEachRungItsSteps()
    {
        using var dir = new TempDir();

        var result = Tuner(TinyRun.Split.Value, dir.Path).Run();

        var trials = result.Trials;
        trials.Select(t => (t.Rung, t.Configuration)).Take(4).Should().Equal((0, 0), (0, 1), (0, 2), (0, 3));
        trials.Where(t => t.Rung == 0).Should().OnlyContain(t => t.Budget == 10 && t.Steps == 10);
        // The best two of rung 0 by validation recall@50 (ties: the earlier configuration), ranked here independently.
        var second = trials.Where(t => t.Rung == 0).OrderBy(t => -t.Validation["recall@50"]).ThenBy(t => t.Configuration).Take(2)
            .Select(t => t.Configuration).Order().ToArray();
        trials.Where(t => t.Rung == 1).Select(t => t.Configuration).Should().Equal(second);
        trials.Where(t => t.Rung == 1).Should().OnlyContain(t => t.Budget == 20 && t.Steps == 20);
        var third = trials.Where(t => t.Rung == 1).OrderBy(t => -t.Validation["recall@50"]).ThenBy(t => t.Configuration).First().Configuration;
        trials.Where(t => t.Rung == 2).Select(t => (t.Configuration, t.Budget, t.Steps)).Should().Equal((third, 40L, 40L));
        trials.Should().HaveCount(7);
        result.Best.Should().Be(third);
        result.BestTrial.Should().Be(trials[^1]);
        result.Configurations.Should().BeEquivalentTo(Space.Sample(4, Options().Seed));
    }

    [Fact]
    public void Run_ContinuesAPromotedConfiguration_ExactlyAsOneRunToTheLongerBudget()
    {
        using var dir = new TempDir();
        var result = Tuner(TinyRun.Split.Value, dir.Path).Run();
        var promoted = result.Trials.First(t => t.Rung == 1);

        // One uninterrupted run of that configuration to step 20 on the same users.
        var options = SearchSpace.Apply(Options(), result.Configurations[promoted.Configuration]);
        options.MaxSteps = 20;
        using var trainer = new MultiInterestTrainer(SuccessiveHalvingTuner.WithoutTestUsers(TinyRun.Split.Value), TinyRun.Config(), options);
        var straight = trainer.Fit();

        promoted.Validation.Should().Equal(straight.BestValidation);
        promoted.BestStep.Should().Be(straight.BestStep);
    }

    [Fact]
    public void Run_NeverReadsTheTestUsers()
    {
        var split = TinyRun.Split.Value;
        // The same split with every test user's history and ground truth replaced by items that do not exist: encoding or
        // scoring them would fail, and any metric of them would differ.
        var missing = split.Dataset.ItemCount + 1000;
        var count = split.Test.Count;
        var poisonedTest = new EvaluationSet(Enumerable.Range(0, count).Select(split.Test.User).ToArray(), Enumerable.Range(0, count + 1).ToArray(),
            Enumerable.Repeat(missing, count).ToArray(), Enumerable.Range(0, count + 1).ToArray(), Enumerable.Repeat(missing + 1, count).ToArray());
        var poisoned = new DataSplit(split.Dataset, split.Protocol, split.Seed, split.MaxLength,
            Enumerable.Range(0, split.TrainCount).Select(split.TrainUser).ToArray(),
            Enumerable.Range(0, split.TrainCount).Select(i => split.TrainSequence(i).Length).ToArray(), split.Valid, poisonedTest, split.SkippedEvaluationUsers);
        count.Should().BeGreaterThan(0);
        using var clean = new TempDir();
        using var dirty = new TempDir();

        var a = Tuner(split, clean.Path).Run();
        var b = Tuner(poisoned, dirty.Path).Run();

        b.Trials.Select(t => t with { TrainSeconds = 0 }).Should().BeEquivalentTo(a.Trials.Select(t => t with { TrainSeconds = 0 }), o => o.WithStrictOrdering());
        // The saved state, byte for byte but for the measured training seconds.
        WithoutSeconds(File.ReadAllText(Path.Combine(dirty.Path, "tune-state.json"))).Should().Be(WithoutSeconds(File.ReadAllText(Path.Combine(clean.Path, "tune-state.json"))));
    }

    [Fact]
    public void Run_AfterAStop_SkipsEveryFinishedTrial_AndEndsAsAnUninterruptedSearch()
    {
        using var whole = new TempDir();
        using var stopped = new TempDir();
        var uninterrupted = Tuner(TinyRun.Split.Value, whole.Path).Run();

        // Stop in the middle of the fourth trial (steps 1-30 are the first three trials; step 5 of the fourth is validated).
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        var stop = new StepProgress(_ =>
        {
            if (++steps == 37) cancel.Cancel();
        });
        var first = () => Tuner(TinyRun.Split.Value, stopped.Path).Run(stop, cancel.Token);
        first.Should().Throw<OperationCanceledException>();
        var log = new EventLog();

        var resumed = Tuner(TinyRun.Split.Value, stopped.Path, log).Run();

        log.Events.Count(e => e == "TrialKept").Should().Be(3);
        log.Events.Count(e => e == "TrialStarted").Should().Be(4);
        resumed.Trials.Select(t => t with { TrainSeconds = 0 }).Should().BeEquivalentTo(uninterrupted.Trials.Select(t => t with { TrainSeconds = 0 }), o => o.WithStrictOrdering());
        resumed.Best.Should().Be(uninterrupted.Best);
    }

    [Fact]
    public void Run_RefusesTheStateOfAnotherSearch()
    {
        using var dir = new TempDir();
        Tuner(TinyRun.Split.Value, dir.Path).Run();

        var other = new SuccessiveHalvingTuner(TinyRun.Split.Value, TinyRun.Config(), Options(), Space, new SuccessiveHalvingSchedule(4, 2, 20), dir.Path);

        other.Invoking(t => t.Run()).Should().Throw<InvalidOperationException>().WithMessage("*another search*schedule*");
    }

    [Fact]
    public void Constructor_ThrowsForARangeOfAFlowTheOptionsLack()
    {
        var space = new SearchSpace(new Dictionary<TunedParameter, SearchRange> { [TunedParameter.LambdaAttend] = new(0.001, 0.1) });

        FluentActions.Invoking(() => new SuccessiveHalvingTuner(TinyRun.Split.Value, TinyRun.Config(), Options(), space, Schedule, "x"))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("space");
    }

    private static string WithoutSeconds(string state) =>
        System.Text.RegularExpressions.Regex.Replace(state, "\"train_seconds\": [0-9.eE+-]+", "\"train_seconds\": 0");

    private sealed class StepProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Records the event names of what is logged.</summary>
    private sealed class EventLog : ILogger
    {
        public List<string> Events { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name is { } name) Events.Add(name);
        }
    }
}
