using Re4.Recommenders.Data;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training.Runs;

/// <summary>Issue 11, item 1: a diverged run never validates, snapshots or saves weights the update ruined, says which
/// checkpoint is the last good one, and warns of losses that explode while still finite.</summary>
public sealed class DivergenceTests
{
    [Fact]
    public void Fit_AbsurdLearningRate_SavesNoModelAndSaysNoneWasSaved()
    {
        // lr 1e20: one update leaves finite weights of ~1e20 whose scores overflow (the repro). Before the fix the
        // validation of step 1 saved that model as "the last good checkpoint".
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var options = TinyRun.Options(run, maxSteps: 20, lr: 1e20);
        options.EvaluateEvery = 1;
        using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), options);

        var e = trainer.Invoking(t => t.Fit()).Should().Throw<TrainingDivergedException>().Which;

        e.Step.Should().Be(1);
        e.Part.Should().BeOneOf("weights", "scores");
        e.LastGoodStep.Should().BeNull();
        e.Message.Should().Contain("No checkpoint was saved");
        Directory.Exists(Path.Combine(run, MultiInterestTrainer.ModelFolder)).Should().BeFalse();
        Directory.Exists(Path.Combine(run, MultiInterestTrainer.ResumeFolder)).Should().BeFalse();
    }

    [Fact]
    public void Fit_WeightRuinedByAStep_IsCaughtBeforeTheValidation_NamingTheLastGoodCheckpoint()
    {
        // The objective's own weight (not in the loss, so no loss check can see it) turns NaN in step 10, the last step
        // before a validation: that validation must not save it, and the message names step 5's model.
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        manual_seed(7);
        var model = new MultiInterestModel(TinyRun.Config());
        using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, model, new RuiningObjective(ruinAtStep: 10), TinyRun.Options(run));

        var e = trainer.Invoking(t => t.Fit()).Should().Throw<TrainingDivergedException>().Which;

        e.Step.Should().Be(10);
        e.Part.Should().Be("weights");
        e.LastGoodStep.Should().Be(5);
        e.LastGoodCheckpoint.Should().Be(Path.Combine(run, MultiInterestTrainer.ModelFolder));
        e.Message.Should().Contain("step 5").And.Contain(Path.Combine(run, MultiInterestTrainer.ModelFolder)).And.Contain("0.spare");
        using var resumed = MultiInterestTrainer.Resume(run, TinyRun.Split.Value, objective: _ => new RuiningObjective(ruinAtStep: -1));
        resumed.Step.Should().Be(5);   // resume/ is still step 5's
    }

    [Fact]
    public void Save_RefusesNonFiniteWeights_NamingTheWeight()
    {
        using var dir = new TempDir();
        manual_seed(3);
        using var model = new MultiInterestModel(TinyRun.Config());
        using (no_grad()) model.ItemEmbeddings[2, 1] = tensor(float.PositiveInfinity);
        var ids = Enumerable.Range(0, model.Config.ItemCount + 1).Select(i => (long)i).ToArray();

        var act = () => ModelCheckpoint.Save(Path.Combine(dir.Path, "m"), model, ids);

        act.Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*items.weight*NaN or infinite*");
        Directory.Exists(Path.Combine(dir.Path, "m")).Should().BeFalse();
    }

    [Fact]
    public void Load_RefusesNonFiniteWeights_NamingTheFile()
    {
        // Written without Save's check (as a version before the fix did): Load refuses it.
        using var dir = new TempDir();
        manual_seed(3);
        using var model = new MultiInterestModel(TinyRun.Config());
        using (no_grad()) model.ItemEmbeddings[2, 1] = tensor(float.NaN);
        var ids = IdMap.Numeric(Enumerable.Range(1, model.Config.ItemCount).Select(i => (long)i).ToArray(), firstIndex: 1);
        ModelCheckpoint.WriteFiles(dir.Path, model, ids);

        var act = () => ModelCheckpoint.Load(dir.Path);

        act.Should().Throw<InvalidDataException>().WithMessage($"*{ModelCheckpoint.WeightsFile}*items.weight*NaN or infinite*");
    }

    [Fact]
    public void Fit_ExplodingButFiniteLoss_Warns()
    {
        // lr 1e15 drives the loss to ~1e30 while it stays finite (issue 11's 1e32 example).
        var logger = new WarningLogger();
        using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), TinyRun.Options(null, maxSteps: 10, lr: 1e15), logger);

        try
        {
            trainer.Fit();
        }
        catch (TrainingDivergedException)
        {
            // It may also end in a non-finite loss: the warning must have come first.
        }

        logger.Warnings.Should().Contain(m => m.Contains("training is diverging"));
    }

    private sealed class WarningLogger : ILogger
    {
        public List<string> Warnings { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }

    /// <summary>The main loss, and a spare weight of its own, outside the loss, that it sets to NaN in one step (as an update
    /// that blew up would).</summary>
    private sealed class RuiningObjective(long ruinAtStep) : ITrainingObjective
    {
        private readonly nn.Module _module = nn.Sequential(("spare", nn.Linear(2, 2)));

        public IReadOnlyList<WeightedBackwardFlow> Flows => [];

        public IReadOnlyList<nn.Module> Modules => [_module];

        public Tensor ComputeLoss(TrainingStepContext context, StepLossParts parts)
        {
            var main = MultiInterestObjective.ComputeMainLoss(context);
            parts.Add("main", main);
            if (parts.Step == ruinAtStep)
            {
                using var noGrad = no_grad();
                using var nan = float.NaN.ToScalar();   // kept alive through the native call (TorchScalars)
                foreach (var p in _module.parameters()) p.fill_(nan);
            }

            return main;
        }
    }
}
