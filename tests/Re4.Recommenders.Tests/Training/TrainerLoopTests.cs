using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The loop's stop reasons, the objective it is given, and the run folder its checkpointer writes.</summary>
public sealed class TrainerLoopTests
{
    private static readonly Lazy<DataSplit> TinySplit = new(() =>
    {
        var raw = PlantedInterestGenerator.Generate(new SyntheticDataOptions { Users = 400, Items = 300, Topics = 10, MinLength = 8, MaxLength = 20, Seed = 5 });
        return DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 10);
    });

    private static ModelConfig Config(string encoder = ComiRecSaDescriptor.EncoderName) =>
        new() { Encoder = encoder, ItemCount = TinySplit.Value.Dataset.ItemCount, Dimension = 16, Interests = 3, MaxLength = 10 };

    private static TrainerOptions Options(long maxSteps = 40, string? checkpoint = null) => new()
    {
        BatchSize = 32,
        LearningRate = 0.01,
        NegativeCount = 64,
        MaxSteps = maxSteps,
        EvaluateEvery = 20,
        Seed = 7,
        CheckpointDirectory = checkpoint,
    };

    private static TrainingResult Train(TrainerOptions options)
    {
        using var trainer = new MultiInterestTrainer(TinySplit.Value, Config(), options);
        return trainer.Fit();
    }

    [Fact]
    public void StopReasonToIdentifier_IsTheCommandLinesText()
    {
        StopReason.MaxSteps.ToIdentifier().Should().Be("max-steps");
        StopReason.MaxEpochs.ToIdentifier().Should().Be("max-epochs");
        StopReason.MaxDuration.ToIdentifier().Should().Be("max-duration");
        StopReason.EarlyStopping.ToIdentifier().Should().Be("early-stopping");
        ((Action)(() => ((StopReason)42).ToIdentifier())).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("reason");
    }

    [Fact]
    public void Fit_ReportsItsReason_ForEachStopCondition()
    {
        Train(Options(maxSteps: 20)).StopReason.Should().Be(StopReason.MaxSteps);

        var epochs = Options(maxSteps: 100_000);
        epochs.Sampler = TrainingSamplerKind.EveryPrefix;
        epochs.MaxEpochs = 1;
        epochs.EvaluateEvery = 1000;
        var byEpochs = Train(epochs);
        byEpochs.StopReason.Should().Be(StopReason.MaxEpochs);
        byEpochs.Steps.Should().BeLessThan(100_000);

        var duration = Options(maxSteps: 100_000);
        duration.MaxDuration = TimeSpan.FromTicks(1);
        var byDuration = Train(duration);
        byDuration.StopReason.Should().Be(StopReason.MaxDuration);
        byDuration.Steps.Should().Be(1, "one step takes more than a tick");

        // A learning rate too small to change recall: the second validation is no gain, and patience 1 stops there.
        var patience = Options(maxSteps: 100_000);
        patience.LearningRate = 1e-30;
        patience.Patience = 1;
        var early = Train(patience);
        early.StopReason.Should().Be(StopReason.EarlyStopping);
        early.Steps.Should().Be(40);
    }

    [Fact]
    public void TrainerOptions_SerialiseEveryDataOptionAndNothingElse()
    {
        var options = new TrainerOptions
        {
            BatchSize = 7, LearningRate = 0.0123, WeightDecay = 1e-6, Negatives = NegativeSampling.Uniform, NegativeCount = 99, FullSoftmaxItemLimit = 321,
            Sampler = TrainingSamplerKind.EveryPrefix, MaxSteps = 1234, MaxEpochs = 3, MaxDuration = TimeSpan.FromSeconds(90.5),
            EvaluateEvery = 11, Patience = 4, SelectionMetric = "ndcg@20", Seed = -5, EvaluationBatchSize = 17, ExcludeHistory = true,
            Cutoffs = [20, 100],
            BackwardFlows = new BackwardFlowOptions { Contrast = new ReContrastOptions { Temperature = 0.2, NeighbourNegatives = false }, Construct = new() },
            CustomFlows = [new WeightedBackwardFlow(new ReAttendFlow(new ReAttendOptions()), 0.5)],
            CheckpointDirectory = "runs/x",
            LogitsKernel = LogitsKernel.Managed,
            ValidationUsers = 123,
        };

        var json = JsonSerializer.Serialize(options, ModelCheckpoint.Json);
        var back = JsonSerializer.Deserialize<TrainerOptions>(json, ModelCheckpoint.Json)!;

        var node = JsonNode.Parse(json)!.AsObject();
        node.Select(p => p.Key).Should().BeEquivalentTo(["batch_size", "learning_rate", "weight_decay", "negatives", "full_softmax_item_limit", "item_updates", "negative_count", "sampler",
            "max_steps", "max_epochs", "max_duration", "evaluate_every", "patience", "selection_metric", "seed", "evaluation_batch_size",
            "exclude_history", "cutoffs", "backward_flows", "logits_kernel", "validation_users"]);
        back.Should().BeEquivalentTo(options, o => o.Excluding(x => x.CustomFlows).Excluding(x => x.CheckpointDirectory));
        back.BackwardFlows.Should().Be(options.BackwardFlows);
        back.CustomFlows.Should().BeEmpty();
        back.CheckpointDirectory.Should().BeNull();
    }

    [Fact]
    public void ResumeState_StoresTheOptionsOnce_AndResumeReadsThemBack()
    {
        using var dir = new TempDir();
        var options = Options(maxSteps: 20, checkpoint: dir.Path);
        options.WeightDecay = 1e-5;
        options.Patience = 9;
        options.BackwardFlows = new BackwardFlowOptions { Attend = new ReAttendOptions { Weight = 0.25 } };
        Train(options);

        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, MultiInterestTrainer.ResumeFolder, "trainer.json")))!;
        state["options"]!["weight_decay"]!.GetValue<double>().Should().Be(1e-5);
        state["options"]!["checkpoint_directory"].Should().BeNull();
        using var resumed = MultiInterestTrainer.Resume(dir.Path, TinySplit.Value);

        resumed.Flows.Should().ContainSingle().Which.Weight.Should().Be(0.25);
        resumed.Step.Should().Be(20);
    }

    [Fact]
    public void Resume_OfARunThatStoppedEarly_TrainsNoFurther_AndGivesItsResultAgain()
    {
        // The early-stopping run of Fit_ReportsItsReason_ForEachStopCondition: patience 1 is spent at step 40.
        using var dir = new TempDir();
        var options = Options(maxSteps: 100_000, checkpoint: dir.Path);
        options.LearningRate = 1e-30;
        options.Patience = 1;
        var first = Train(options);
        first.StopReason.Should().Be(StopReason.EarlyStopping);

        using var resumed = MultiInterestTrainer.Resume(dir.Path, TinySplit.Value);
        var again = resumed.Fit();

        again.StopReason.Should().Be(StopReason.EarlyStopping);
        again.Steps.Should().Be(first.Steps, "its patience was already spent");
        again.BestStep.Should().Be(first.BestStep);
        again.Test.Should().Equal(first.Test);
        again.History.Select(h => h.Step).Should().Equal(first.History.Select(h => h.Step));
    }

    [Fact]
    public void Resume_OfARunStoppedByItsStepLimit_GoesOn_EvenWhenItsLastUnscheduledValidationSpentThePatience()
    {
        // Validations at 10 (the first best), 20 (no gain: 1) and, after the limit of 25, an unscheduled one (no gain: 2 =
        // patience). Uninterrupted with a limit of 100, the run stops early at 30; resumed, it must too, not at 25.
        using var dir = new TempDir();
        var first = Train(NoGain(25, dir.Path));
        first.StopReason.Should().Be(StopReason.MaxSteps);
        using var other = new TempDir();
        var whole = Train(NoGain(100, other.Path));

        using var resumed = MultiInterestTrainer.Resume(dir.Path, TinySplit.Value, maxSteps: 100);
        var again = resumed.Fit();

        whole.StopReason.Should().Be(StopReason.EarlyStopping);
        whole.Steps.Should().Be(30);
        again.StopReason.Should().Be(StopReason.EarlyStopping);
        again.Steps.Should().Be(30);
    }

    /// <summary>Options whose recall never changes (learning rate 1e-30), validated every 10 steps, patience 2.</summary>
    private static TrainerOptions NoGain(long maxSteps, string checkpoint)
    {
        var options = Options(maxSteps, checkpoint);
        options.LearningRate = 1e-30;
        options.EvaluateEvery = 10;
        options.Patience = 2;
        return options;
    }

    [Fact]
    public void ReadResumeDefinition_GivesTheRunsConfigAndOptions_WithoutLoadingIt()
    {
        using var dir = new TempDir();
        var options = Options(maxSteps: 20, checkpoint: dir.Path);
        options.Patience = 9;
        Train(options);

        var (config, saved) = MultiInterestTrainer.ReadResumeDefinition(dir.Path);

        config.Should().BeEquivalentTo(Config(), o => o.Excluding(c => c.EncoderOptions));
        config.EncoderOptions.Should().BeOfType<SelfAttentiveOptions>("a model records its encoder's options resolved");
        saved.Patience.Should().Be(9);
        saved.MaxSteps.Should().Be(20);
        saved.LearningRate.Should().Be(0.01);
        var missing = () => MultiInterestTrainer.ReadResumeDefinition(Path.Combine(dir.Path, "nothing-here"));
        missing.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Resume_CostsWhatResumingEarlyDoes_ForARunABillionStepsIn()
    {
        // The state of a run at step 20, rewritten by hand to claim a billion steps and batches: resuming reads the
        // sampler's stored state and replays nothing (a replay of a billion batches would take hours).
        using var dir = new TempDir();
        Train(Options(maxSteps: 20, checkpoint: dir.Path));
        var statePath = Path.Combine(dir.Path, MultiInterestTrainer.ResumeFolder, "trainer.json");
        var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        state["step"] = 1_000_000_000L;
        state["sampler"]!["batches"] = 1_000_000_000L;
        File.WriteAllText(statePath, state.ToJsonString());
        FolderManifest.Write(Path.GetDirectoryName(statePath)!);   // re-sealed, as a run that got there would have written it

        var clock = Stopwatch.StartNew();
        using var resumed = MultiInterestTrainer.Resume(dir.Path, TinySplit.Value, maxSteps: 1_000_000_005);
        clock.Stop();

        resumed.Step.Should().Be(1_000_000_000);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30));
        resumed.Fit().Steps.Should().Be(1_000_000_005);
    }

    [Fact]
    public void Fit_TrainsBitIdentically_WithTheDefaultObjectiveGivenExplicitly()
    {
        var viaOptions = Options();
        viaOptions.BackwardFlows = BackwardFlowOptions.Reference;
        var expected = Train(viaOptions);

        // The trainer's own order of draws from torch's generator: seed, model, then the objective's modules.
        manual_seed(7);
        var model = new MultiInterestModel(Config());
        var objective = new MultiInterestObjective(Config(), BackwardFlowOptions.Reference);
        using var trainer = new MultiInterestTrainer(TinySplit.Value, model, objective, Options());
        var actual = trainer.Fit();

        trainer.Objective.Should().BeSameAs(objective);
        trainer.Flows.Select(f => f.Flow.Name).Should().Equal("contrast", "attend", "construct");
        objective.Modules.Should().ContainSingle().Which.Should().BeOfType<ReConstructFlow>();
        actual.Test.Should().Equal(expected.Test!);
        actual.History.Select(h => h.LossParts).Should().BeEquivalentTo(expected.History.Select(h => h.LossParts), o => o.WithStrictOrdering());
    }

    [Fact]
    public void Fit_ReportsTheParts_AndMinimisesTheTotal_OfAnObjectiveOfYourOwn()
    {
        manual_seed(7);
        var model = new MultiInterestModel(Config());
        var objective = new ScaledMainObjective(factor: 3.0);
        using var trainer = new MultiInterestTrainer(TinySplit.Value, model, objective, Options(maxSteps: 20));

        var result = trainer.Fit();

        var parts = result.History.Single().LossParts;
        parts.Keys.Should().Equal("main", "total");
        // total = 3·main at every step, so also for their means over the 20 steps.
        parts["total"].Should().BeApproximately(3 * parts["main"], 1e-5 * parts["total"]);
        objective.Calls.Should().Be(20);
    }

    [Fact]
    public void Constructor_ThrowsForAnObjectiveAndFlowsInTheOptions()
    {
        var options = Options();
        options.BackwardFlows = BackwardFlowOptions.Reference;
        using var model = new MultiInterestModel(Config());

        var act = () => new MultiInterestTrainer(TinySplit.Value, model, new ScaledMainObjective(1), options);

        act.Should().Throw<ArgumentException>().WithParameterName("options");
        ((Action)(() => _ = new MultiInterestTrainer(TinySplit.Value, model, (ITrainingObjective)null!, Options()))).Should().Throw<ArgumentNullException>().WithParameterName("objective");
    }

    [Fact]
    public void Fit_StopsNamingThePartAndTheStep_ForANonFinitePartOfYourOwn()
    {
        manual_seed(7);
        var model = new MultiInterestModel(Config());
        using var trainer = new MultiInterestTrainer(TinySplit.Value, model, new ScaledMainObjective(1, nanAtStep: 3), Options());

        var e = trainer.Invoking(t => t.Fit()).Should().Throw<TrainingDivergedException>().Which;

        e.Part.Should().Be("bad");
        e.Step.Should().Be(3);
        trainer.Step.Should().Be(2);
    }

    [Fact]
    public void StepLossPartsAdd_ThrowsForTheTrainersPartAndARepeatedName()
    {
        var parts = new StepLossParts();
        using var one = tensor(1f);

        parts.Add("main", one).Should().Be(1.0);
        ((Action)(() => parts.Add("main", one))).Should().Throw<ArgumentException>().WithParameterName("name");
        ((Action)(() => parts.Add(StepLossParts.Total, one))).Should().Throw<ArgumentException>().WithParameterName("name");
        parts.Values.Select(p => p.Key).Should().Equal("main");
    }

    /// <summary>A hand-written objective: the library's main loss times a factor; optionally a NaN part at one step.</summary>
    private sealed class ScaledMainObjective(double factor, long nanAtStep = -1) : ITrainingObjective
    {
        private long _calls;

        public long Calls => _calls;

        public IReadOnlyList<WeightedBackwardFlow> Flows => [];

        public IReadOnlyList<nn.Module> Modules => [];

        public Tensor ComputeLoss(TrainingStepContext context, StepLossParts parts)
        {
            _calls++;
            var main = MultiInterestObjective.ComputeMainLoss(context);
            parts.Add("main", main);
            if (parts.Step == nanAtStep) parts.Add("bad", tensor(float.NaN));
            using var f = factor.ToScalar();
            return main.mul(f);
        }
    }
}
