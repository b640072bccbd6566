using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary><c>re4 train</c>: trains a multi-interest model, selects it on validation users, reports test users once.</summary>
internal static class TrainCommand
{
    public const string Help =
        "re4 train --data PATH|synthetic --model NAME --out DIR [options]\n" +
        "Trains a model, validates every --eval-every steps, keeps the best model on validation users (early stopping),\n" +
        "evaluates the test users once with it, and writes DIR/metrics.json, DIR/model/ (the model) and DIR/resume/.\n\n" +
        DataSource.Help +
        "  --model NAME              comirec-sa|comirec-dr|mind|youtube-dnn|gru4rec (ComiRec training), re4|re4-dr|re4-mind\n" +
        "                            (the encoder + Re4's three backward flows), re4-reference (the Re4 reference code's setup)\n" +
        "  --interests K             interests per user (default 4; 1 for youtube-dnn and gru4rec)\n" +
        "  --dim D                   embedding size (default 64)\n" +
        "  --batch-size B            (default 128)\n" +
        "  --lr X                    Adam learning rate (default 0.001; re4-reference 0.003)\n" +
        "  --weight-decay X          Adam L2 weight decay (default 0; re4-reference 1e-6)\n" +
        "  --sampler S               uniform|log-uniform|full: negatives of the sampled softmax (default log-uniform)\n" +
        "  --negatives N             negatives per batch (default 10*B for log-uniform, 5000 for uniform)\n" +
        "  --train-sampler S         random-cut|every-prefix (default random-cut, ComiRec's)\n" +
        "  --flows F                 backward flows: none or a list of contrast,attend,construct (default none; re4*: all three)\n" +
        "  --lambda-contrast X       re-contrast weight (default 0.1)\n" +
        "  --lambda-attend X         re-attend weight (default 0.001)\n" +
        "  --lambda-construct X      re-construct weight (default 0.1)\n" +
        "  --tau X                   re-contrast temperature (default 0.02)\n" +
        "  --threshold T             positives: adaptive (A > 1/n, default) or a fixed A > T\n" +
        "  --flow-average A          all-cells (reference code, default) | positives\n" +
        "  --detach-attend           stop the gradient through the re-attention target\n" +
        "  --sa-flavor F             comirec (position embedding, biases; default) | re4 (reference code: value projection, tanh head)\n" +
        "  --init I                  xavier (default) | normal (std 1, the Re4 reference code)\n" +
        "  --reverse-history         feed histories most recent first (the Re4 reference code)\n" +
        "  --max-steps S             (default 1000000)\n" +
        "  --max-epochs E            stop after E sampler epochs\n" +
        "  --max-minutes M           stop after M minutes of training (not deterministic; prefer --max-steps)\n" +
        "  --eval-every N            validate every N steps (default 1000)\n" +
        "  --patience P              stop after P validations without a recall@50 gain (default 50)\n" +
        "  --device cpu|cuda         (default cpu)\n" +
        "  --resume                  continue the run saved in --out DIR (same data options; --max-steps may be raised)\n" +
        "  --dump                    also writes DIR/split.json and DIR/recommendations.tsv for the test users\n";

    internal static readonly IReadOnlyDictionary<string, NegativeSampling> Samplers = new Dictionary<string, NegativeSampling>
    {
        ["uniform"] = NegativeSampling.Uniform,
        ["log-uniform"] = NegativeSampling.LogUniform,
        ["full"] = NegativeSampling.Full,
    };

    internal static readonly IReadOnlyDictionary<string, TrainingSamplerKind> TrainSamplers = new Dictionary<string, TrainingSamplerKind>
    {
        ["random-cut"] = TrainingSamplerKind.RandomCut,
        ["every-prefix"] = TrainingSamplerKind.EveryPrefix,
    };

    internal static readonly IReadOnlyDictionary<string, EmbeddingInitialization> Inits = new Dictionary<string, EmbeddingInitialization>
    {
        ["xavier"] = EmbeddingInitialization.XavierUniform,
        ["normal"] = EmbeddingInitialization.StandardNormal,
    };

    internal static readonly IReadOnlyDictionary<string, string> SaFlavors = new Dictionary<string, string> { ["comirec"] = "comirec", ["re4"] = "re4" };

    private static readonly IReadOnlyDictionary<string, FlowNormalization> Averages = new Dictionary<string, FlowNormalization>
    {
        ["all-cells"] = FlowNormalization.AllCells,
        ["positives"] = FlowNormalization.Positives,
    };

    public static int Run(CliArguments args, ILoggerFactory loggers, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("train");
        var source = DataSource.Parse(args);
        var spec = TrainSpec.Parse(args, args.Required("model").ToLowerInvariant(), source.Seed);
        var resume = args.Flag("resume");
        var outDir = args.Required("out");
        var dump = args.Flag("dump");
        args.EnsureAllUsed("train");

        var (dataset, split) = source.Load(logger);
        var run = Train(spec, source, dataset, split, outDir, resume, dump, logger, stderr, cancellationToken);
        var result = run.Result;
        run.Report.PrintSummary(stdout, result.BestValidation, result.Test ?? new Dictionary<string, double>());
        if (run.Diagnostics is not null) PrintDiagnostics(stdout, run.Diagnostics);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Steps} steps ({result.StopReason.ToIdentifier()}), best at step {result.BestStep}; {result.TrainSeconds:F1} s of training, {result.SamplesPerSecond:F0} samples/s"));
        stdout.WriteLine($"wrote {Path.Combine(outDir, "metrics.json")}, {Path.Combine(outDir, TrainingPlot)} and the model in {Path.Combine(outDir, MultiInterestTrainer.ModelFolder)}");
        return 0;
    }

    /// <summary>The picture of a run's loss parts and validation metrics, written beside <c>metrics.json</c>.</summary>
    public const string TrainingPlot = "training.png";

    /// <summary>One training run as <c>train</c> does it (shared with <c>compare</c>): trains on <paramref name="split"/>,
    /// measures the interests of the test users, and writes <c>metrics.json</c>, <c>training.png</c>, the model and the
    /// resume state (and the dump files) in <paramref name="outDir"/>.</summary>
    public static TrainRun Train(TrainSpec spec, DataSource source, SequenceDataset dataset, DataSplit split, string outDir, bool resume, bool dump,
        ILogger logger, TextWriter stderr, CancellationToken cancellationToken)
    {
        var options = spec.Options;
        options.CheckpointDirectory = outDir;
        using var trainer = resume
            ? MultiInterestTrainer.Resume(outDir, split, spec.MaxStepsGiven ? options.MaxSteps : null, logger, spec.Device)
            : new MultiInterestTrainer(split, spec.Config(dataset, source.MaxLength), options, logger, spec.Device);
        var progress = new ConsoleProgress(stderr, !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error));
        var result = trainer.Fit(progress, cancellationToken);
        progress.Finish();

        var model = trainer.Model;
        var name = CliModels.Name(model.Config);
        var generator = trainer.Flows.Select(f => f.Flow).OfType<ReConstructFlow>().FirstOrDefault();
        var diagnostics = split.Test.Count > 0
            ? InterestDiagnostics.Compute(model, split.Test, source.TopicOf(dataset), generator)
            : null;
        var report = new RunReport(name, dataset, split, source, excludeHistory: false);
        report.WriteMetrics(Path.Combine(outDir, "metrics.json"), result.BestValidation, result.Test ?? new Dictionary<string, double>(), w =>
        {
            w.WriteNumber("train_seconds", Math.Round(result.TrainSeconds, 3));
            w.WriteNumber("train_samples_per_second", Math.Round(result.SamplesPerSecond, 1));
            w.WriteNumber("best_step", result.BestStep);
            w.WriteNumber("steps", result.Steps);
            w.WriteString("stop_reason", result.StopReason.ToIdentifier());
            w.WriteString("encoder", CliModels.Name(model.Config.Encoder));
            w.WriteNumber("interests", model.Config.EffectiveInterests);
            w.WriteNumber("dim", model.Config.Dimension);
            w.WriteNumber("batch_size", options.BatchSize);
            w.WriteNumber("lr", options.LearningRate);
            w.WriteString("sampler", Samplers.First(s => s.Value == options.Negatives).Key);
            w.WriteStartObject("flows");
            foreach (var (flow, weight) in trainer.Flows) w.WriteNumber(flow.Name, weight);
            w.WriteEndObject();
            if (diagnostics is not null) WriteDiagnostics(w, diagnostics);
            w.WriteStartArray("history");
            foreach (var h in result.History)
            {
                w.WriteStartObject();
                w.WriteNumber("step", h.Step);
                w.WriteNumber("loss", h.Loss);
                foreach (var (part, value) in h.LossParts) w.WriteNumber("loss_" + part, value);
                foreach (var (key, value) in h.Metrics) w.WriteNumber("valid_" + key, value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        Plots.TryDraw(logger, Path.Combine(outDir, TrainingPlot), path => Plots.Training(path, $"{name} on {dataset.Name} (seed {source.Seed})", result.History, result.BestStep));
        if (dump)
        {
            var test = trainer.Evaluate(split.Test, keepRecommendations: true);
            report.WriteSplit(Path.Combine(outDir, "split.json"));
            report.WriteRecommendations(Path.Combine(outDir, "recommendations.tsv"), split.Test, test);
        }

        return new TrainRun(name, result, diagnostics, report);
    }

    internal static BackwardFlowOptions ParseFlows(CliArguments args, ModelPreset preset)
    {
        var text = (args.Optional("flows") ?? preset.Flows).ToLowerInvariant();
        var names = text == "none" ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names)
        {
            if (n is not ("contrast" or "attend" or "construct"))
                throw new UsageException($"option --flows expects none or a comma-separated list of contrast, attend, construct; '{n}' is none of them");
        }

        var thresholdText = args.Optional("threshold") ?? "adaptive";
        var threshold = PositiveThreshold.Adaptive;
        var fixedThreshold = 0.1;
        if (thresholdText != "adaptive")
        {
            if (!double.TryParse(thresholdText, NumberStyles.Float, CultureInfo.InvariantCulture, out fixedThreshold) || fixedThreshold is < 0 or >= 1)
                throw new UsageException($"option --threshold expects adaptive or a number in [0, 1), not '{thresholdText}'");
            threshold = PositiveThreshold.Fixed;
        }

        var average = args.Choice("flow-average", FlowNormalization.AllCells, Averages);
        var lambdaContrast = Double(args, "lambda-contrast", 0.1);
        var lambdaAttend = Double(args, "lambda-attend", 0.001);
        var lambdaConstruct = Double(args, "lambda-construct", 0.1);
        var tau = Double(args, "tau", 0.02);
        var detach = args.Flag("detach-attend");
        if (tau <= 0) throw new UsageException("option --tau must be positive");
        return new BackwardFlowOptions
        {
            Contrast = names.Contains("contrast") ? new ReContrastOptions { Weight = lambdaContrast, Temperature = tau, Threshold = threshold, FixedThreshold = fixedThreshold, Normalization = average } : null,
            Attend = names.Contains("attend") ? new ReAttendOptions { Weight = lambdaAttend, DetachTarget = detach } : null,
            Construct = names.Contains("construct") ? new ReConstructOptions { Weight = lambdaConstruct, Threshold = threshold, FixedThreshold = fixedThreshold, Normalization = average } : null,
        };
    }

    internal static void WriteDiagnostics(Utf8JsonWriter w, InterestDiagnosticsReport d)
    {
        w.WriteStartObject("diagnostics");
        w.WriteNumber("users", d.Users);
        if (double.IsFinite(d.Distinctness)) w.WriteNumber("interest_cosine", d.Distinctness);
        if (double.IsFinite(d.AttentionDisagreement)) w.WriteNumber("attention_kl", d.AttentionDisagreement);
        if (d.ReconstructionError is { } r && double.IsFinite(r)) w.WriteNumber("reconstruction_mse", r);
        if (d.TopicPurity is { } p && double.IsFinite(p)) w.WriteNumber("topic_purity", p);
        if (d.TopicCoverage is { } c && double.IsFinite(c)) w.WriteNumber("topic_coverage", c);
        w.WriteEndObject();
    }

    internal static void PrintDiagnostics(TextWriter output, InterestDiagnosticsReport d)
    {
        var parts = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"interest cosine {d.Distinctness:F4}"),
            string.Create(CultureInfo.InvariantCulture, $"attention KL(R||A) {d.AttentionDisagreement:F4}"),
        };
        if (d.ReconstructionError is { } r) parts.Add(string.Create(CultureInfo.InvariantCulture, $"reconstruction MSE {r:F4}"));
        if (d.TopicPurity is { } p) parts.Add(string.Create(CultureInfo.InvariantCulture, $"topic purity {p:F4}"));
        if (d.TopicCoverage is { } c) parts.Add(string.Create(CultureInfo.InvariantCulture, $"topic coverage {c:F4}"));
        output.WriteLine($"diagnostics (test users): {string.Join(", ", parts)}");
    }

    internal static double Double(CliArguments args, string name, double fallback)
    {
        var text = args.Optional(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0)
            throw new UsageException($"option --{name} expects a non-negative number, not '{text}'");
        return v;
    }
}

/// <summary>What <see cref="TrainCommand.Train"/> returns: the run's report name, result, test-user diagnostics and
/// the writer of its result files.</summary>
internal sealed record TrainRun(string Name, TrainingResult Result, InterestDiagnosticsReport? Diagnostics, RunReport Report);

/// <summary>A training run as the <c>train</c> flags describe it (the model preset, then every flag over it), parsed once
/// per model and seed so that <c>compare</c> applies the same flags to every run.</summary>
/// <param name="ModelName">The --model name (a preset of <see cref="ModelPreset.All"/>).</param>
/// <param name="Preset">What the name sets.</param>
/// <param name="Interests">K.</param>
/// <param name="Dimension">d.</param>
/// <param name="SaFlavor">comirec or re4.</param>
/// <param name="Init">The item embedding initialisation.</param>
/// <param name="ReverseHistory">Whether histories are fed most recent first.</param>
/// <param name="Options">The trainer's options (seeded).</param>
/// <param name="MaxStepsGiven">Whether --max-steps was given (a resumed run keeps its saved limit otherwise).</param>
/// <param name="Device">Where to train.</param>
internal sealed record TrainSpec(string ModelName, ModelPreset Preset, int Interests, int Dimension, string SaFlavor, EmbeddingInitialization Init,
    bool ReverseHistory, TrainerOptions Options, bool MaxStepsGiven, TorchSharp.torch.Device Device)
{
    /// <summary>Reads the training flags for <paramref name="modelName"/> trained with <paramref name="seed"/>; the data
    /// flags are read by <see cref="DataSource"/>.</summary>
    public static TrainSpec Parse(CliArguments args, string modelName, int seed)
    {
        var preset = ModelPreset.All.TryGetValue(modelName, out var p) ? p
            : modelName.Length == 0 ? ModelPreset.All["comirec-sa"]
            : throw new UsageException($"option --model expects one of {ModelPreset.Names}, not '{modelName}'");
        var interests = args.Int("interests", 4, min: 1);
        var dim = args.Int("dim", 64, min: 1);
        var saFlavor = args.Choice("sa-flavor", preset.SaFlavor, TrainCommand.SaFlavors);
        var init = args.Choice("init", preset.Init, TrainCommand.Inits);
        var reverse = args.Flag("reverse-history") || preset.ReverseHistory;
        var options = new TrainerOptions
        {
            BatchSize = args.Int("batch-size", 128, min: 1),
            LearningRate = TrainCommand.Double(args, "lr", preset.LearningRate),
            WeightDecay = TrainCommand.Double(args, "weight-decay", preset.WeightDecay),
            Negatives = args.Choice("sampler", preset.Sampler, TrainCommand.Samplers),
            NegativeCount = args.Optional("negatives") is null ? null : args.Int("negatives", 0, min: 1),
            Sampler = args.Choice("train-sampler", preset.TrainSampler, TrainCommand.TrainSamplers),
            MaxSteps = args.Int("max-steps", 1_000_000, min: 1),
            MaxEpochs = args.Optional("max-epochs") is null ? null : args.Int("max-epochs", 0, min: 1),
            MaxDuration = args.Optional("max-minutes") is null ? null : TimeSpan.FromMinutes(TrainCommand.Double(args, "max-minutes", 0)),
            EvaluateEvery = args.Int("eval-every", 1000, min: 1),
            Patience = args.Int("patience", 50, min: 1),
            Seed = seed,
            Cutoffs = EvaluateCommand.Cutoffs,
            BackwardFlows = TrainCommand.ParseFlows(args, preset),
        };
        var device = CliModels.ParseDevice(args);
        if (preset.Kind.OptionsType != typeof(SelfAttentiveOptions) && saFlavor != "comirec")
            throw new UsageException($"option --sa-flavor applies to the self-attentive encoder, not to {modelName}");
        return new TrainSpec(modelName, preset, interests, dim, saFlavor, init, reverse, options, args.Optional("max-steps") is not null, device);
    }

    /// <summary>The architecture for <paramref name="dataset"/>.</summary>
    public ModelConfig Config(SequenceDataset dataset, int maxLength) => new()
    {
        Label = ModelName.StartsWith("re4", StringComparison.Ordinal) ? ModelName : null,
        Encoder = Preset.Kind.Name,
        ItemCount = dataset.ItemCount,
        Dimension = Dimension,
        Interests = Interests,
        MaxLength = maxLength,
        ReverseHistory = ReverseHistory,
        ItemInitialization = Init,
        EncoderOptions = SaFlavor == "re4" ? SelfAttentiveOptions.Re4Reference() : null,
    };
}
