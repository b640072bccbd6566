using System.Globalization;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary><c>re4 train</c>: trains a multi-interest model, selects it on validation users, reports test users once.</summary>
internal static class TrainCommand
{
    public const string Help =
        "re4 train --data PATH|synthetic --model comirec-sa|comirec-dr|mind|youtube-dnn|gru4rec --out DIR [options]\n" +
        "Trains a model, validates every --eval-every steps, keeps the best model on validation users (early stopping),\n" +
        "evaluates the test users once with it, and writes DIR/metrics.json, DIR/model/ (the model) and DIR/resume/.\n\n" +
        DataSource.Help +
        "  --model M                 comirec-sa|comirec-dr|mind|youtube-dnn|gru4rec\n" +
        "  --interests K             interests per user (default 4; 1 for youtube-dnn and gru4rec)\n" +
        "  --dim D                   embedding size (default 64)\n" +
        "  --batch-size B            (default 128)\n" +
        "  --lr X                    Adam learning rate (default 0.001)\n" +
        "  --weight-decay X          Adam L2 weight decay (default 0)\n" +
        "  --sampler S               uniform|log-uniform|full: negatives of the sampled softmax (default log-uniform)\n" +
        "  --negatives N             negatives per batch (default 10*B for log-uniform, 5000 for uniform)\n" +
        "  --train-sampler S         random-cut|every-prefix (default random-cut, ComiRec's)\n" +
        "  --max-steps S             (default 1000000)\n" +
        "  --max-epochs E            stop after E sampler epochs\n" +
        "  --max-minutes M           stop after M minutes of training (not deterministic; prefer --max-steps)\n" +
        "  --eval-every N            validate every N steps (default 1000)\n" +
        "  --patience P              stop after P validations without a recall@50 gain (default 50)\n" +
        "  --device cpu|cuda         (default cpu)\n" +
        "  --resume                  continue the run saved in --out DIR (same data options; --max-steps may be raised)\n" +
        "  --dump                    also writes DIR/split.json and DIR/recommendations.tsv for the test users\n";

    private static readonly IReadOnlyDictionary<string, NegativeSampling> Samplers = new Dictionary<string, NegativeSampling>
    {
        ["uniform"] = NegativeSampling.Uniform,
        ["log-uniform"] = NegativeSampling.LogUniform,
        ["full"] = NegativeSampling.Full,
    };

    private static readonly IReadOnlyDictionary<string, TrainingSamplerKind> TrainSamplers = new Dictionary<string, TrainingSamplerKind>
    {
        ["random-cut"] = TrainingSamplerKind.RandomCut,
        ["every-prefix"] = TrainingSamplerKind.EveryPrefix,
    };

    public static int Run(CliArguments args, ILoggerFactory loggers, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("train");
        var source = DataSource.Parse(args);
        var kind = args.Choice("model", ModelKind.ComiRecSA, CliModels.Kinds);
        if (args.Optional("model") is null) args.Required("model");
        var interests = args.Int("interests", 4, min: 1);
        var dim = args.Int("dim", 64, min: 1);
        var options = new TrainerOptions
        {
            BatchSize = args.Int("batch-size", 128, min: 1),
            LearningRate = Double(args, "lr", 0.001),
            WeightDecay = Double(args, "weight-decay", 0),
            Negatives = args.Choice("sampler", NegativeSampling.LogUniform, Samplers),
            NegativeCount = args.Optional("negatives") is null ? null : args.Int("negatives", 0, min: 1),
            Sampler = args.Choice("train-sampler", TrainingSamplerKind.RandomCut, TrainSamplers),
            MaxSteps = args.Int("max-steps", 1_000_000, min: 1),
            MaxEpochs = args.Optional("max-epochs") is null ? null : args.Int("max-epochs", 0, min: 1),
            MaxDuration = args.Optional("max-minutes") is null ? null : TimeSpan.FromMinutes(Double(args, "max-minutes", 0)),
            EvaluateEvery = args.Int("eval-every", 1000, min: 1),
            Patience = args.Int("patience", 50, min: 1),
            Seed = source.Seed,
            Cutoffs = EvaluateCommand.Cutoffs,
        };
        var device = CliModels.ParseDevice(args);
        var resume = args.Flag("resume");
        var outDir = args.Required("out");
        var dump = args.Flag("dump");
        args.EnsureAllUsed("train");
        options.CheckpointDirectory = outDir;

        var (dataset, split) = source.Load(logger);
        var config = new ModelConfig
        {
            Kind = kind,
            ItemCount = dataset.ItemCount,
            Dimension = dim,
            Interests = interests,
            MaxLength = source.MaxLength,
        };
        using var trainer = resume
            ? MultiInterestTrainer.Resume(outDir, split, args.Optional("max-steps") is null ? null : options.MaxSteps, logger, device)
            : new MultiInterestTrainer(split, config, options, logger, device);
        var progress = new ConsoleProgress(stderr, !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error));
        var result = trainer.Fit(progress, cancellationToken);
        progress.Finish();

        var name = CliModels.Name(trainer.Model.Config.Kind);
        var report = new RunReport(name, dataset, split, source, excludeHistory: false);
        report.WriteMetrics(Path.Combine(outDir, "metrics.json"), result.BestValidation, result.Test ?? new Dictionary<string, double>(), w =>
        {
            w.WriteNumber("train_seconds", Math.Round(result.TrainSeconds, 3));
            w.WriteNumber("train_samples_per_second", Math.Round(result.SamplesPerSecond, 1));
            w.WriteNumber("best_step", result.BestStep);
            w.WriteNumber("steps", result.Steps);
            w.WriteString("stop_reason", result.StopReason);
            w.WriteNumber("interests", trainer.Model.Config.EffectiveInterests);
            w.WriteNumber("dim", trainer.Model.Config.Dimension);
            w.WriteNumber("batch_size", options.BatchSize);
            w.WriteNumber("lr", options.LearningRate);
            w.WriteString("sampler", Samplers.First(s => s.Value == options.Negatives).Key);
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
        if (dump)
        {
            var test = trainer.Evaluate(split.Test, keepRecommendations: true);
            report.WriteSplit(Path.Combine(outDir, "split.json"));
            report.WriteRecommendations(Path.Combine(outDir, "recommendations.tsv"), split.Test, test);
        }

        report.PrintSummary(stdout, result.BestValidation, result.Test ?? new Dictionary<string, double>());
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Steps} steps ({result.StopReason}), best at step {result.BestStep}; {result.TrainSeconds:F1} s of training, {result.SamplesPerSecond:F0} samples/s"));
        stdout.WriteLine($"wrote {Path.Combine(outDir, "metrics.json")} and the model in {Path.Combine(outDir, MultiInterestTrainer.ModelFolder)}");
        return 0;
    }

    private static double Double(CliArguments args, string name, double fallback)
    {
        var text = args.Optional(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0)
            throw new UsageException($"option --{name} expects a non-negative number, not '{text}'");
        return v;
    }
}
