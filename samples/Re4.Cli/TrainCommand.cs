using System.Globalization;
using System.CommandLine;
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
    private const string Synopsis =
        "re4 train --data PATH|synthetic --model NAME --out DIR [options]\n" +
        "Trains a model, validates every --eval-every steps, keeps the best model on validation users (early stopping),\n" +
        "evaluates the test users once with it, and writes DIR/metrics.json, DIR/model/ (the model) and DIR/resume/.\n\n";

    internal static readonly IReadOnlyDictionary<string, NegativeSampling> Samplers = new Dictionary<string, NegativeSampling>
    {
        ["uniform"] = NegativeSampling.Uniform,
        ["log-uniform"] = NegativeSampling.LogUniform,
        ["full"] = NegativeSampling.Full,
        ["auto"] = NegativeSampling.Auto,
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

    internal static readonly IReadOnlyDictionary<string, FlowNormalization> Averages = new Dictionary<string, FlowNormalization>
    {
        ["all-cells"] = FlowNormalization.AllCells,
        ["positives"] = FlowNormalization.Positives,
    };

    /// <summary>The <c>train</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var data = new DataOptions();
        var model = CliOptions.Parsed("model", "NAME",
            "comirec-sa|comirec-dr|mind|youtube-dnn|gru4rec (ComiRec training), re4|re4-dr|re4-mind\n" +
            "(the encoder + Re4's three backward flows), re4-reference (the Re4 reference code's setup)", ModelPreset.ParseName);
        model.Required = true;
        var flags = new TrainFlags();
        var outDir = CliOptions.Text("out", "DIR", "writes DIR/metrics.json, DIR/training.png, DIR/model/ and DIR/resume/", required: true);
        var resume = CliOptions.Flag("resume", "continue the run saved in --out DIR with its own options (flags that contradict them are refused;\n--max-steps may be raised)");
        var overwrite = CliOptions.Flag("overwrite", "replace the run in a non-empty --out DIR (its model, resume state and result files)");
        var dump = CliOptions.Flag("dump", "also writes DIR/split.json and DIR/recommendations.tsv for the test users");
        var warmStart = CliOptions.Text("warm-start", "DIR",
            "start from the model of an earlier run (its folder or model/ folder) on new data: known items keep their\n" +
            "embeddings, new items are initialised, the encoder's weights are copied; the architecture must be the same");
        var verb = new Verb("train", "train a multi-interest model (ComiRec-SA/-DR, MIND, YouTube DNN, GRU4Rec) and evaluate it", Synopsis);
        verb.AddOptions([.. data.All, model, .. flags.All, outDir, resume, overwrite, dump, warmStart]);
        // What defines a run: resumed, the run's own values are used and these flags may only repeat them. --data is not
        // among them (the file may move): the data's fingerprint is checked instead. --max-steps may be raised.
        Option[] defining = [.. data.All.Where(o => o != data.Data), model, .. flags.All.Where(o => o != flags.MaxSteps && o != flags.Device)];
        Program.SetRun(verb, context, (parse, c) =>
        {
            var modelName = parse.GetValue(model)!;
            if (flags.Problem(parse, modelName) is { } problem) return c.Usage(problem);
            var outPath = parse.GetValue(outDir)!;
            var isResume = parse.GetValue(resume);
            var isOverwrite = parse.GetValue(overwrite);
            var warmFrom = parse.GetValue(warmStart);
            if (isResume && warmFrom is not null)
                return c.Usage("options --resume and --warm-start exclude each other: --resume continues the run in --out, --warm-start starts a new run from an earlier model");
            if (isResume && isOverwrite)
                return c.Usage("options --resume and --overwrite exclude each other: --resume continues the run in --out, --overwrite replaces it");
            if (!isResume && !isOverwrite && RunFolder.HoldsAnything(outPath))
                return c.Usage($"option --out: {outPath} is not empty; pass --resume to continue the run there, or --overwrite to replace it");
            RunFolder.EnsureWritable(outPath);   // before any data are loaded: a read-only folder fails in a second, not after training

            var runParse = parse;
            if (isResume && RunFolder.ReadArguments(outPath) is { } saved)
            {
                var savedParse = Reparse(parse, saved, outPath);
                if (Contradiction(parse, savedParse, outPath, defining, data, model, flags) is { } option)
                {
                    var was = Given(savedParse, option) is { } tokens ? string.Join(' ', tokens) : $"{option.Name}'s default";
                    return c.Usage($"option {option.Name} contradicts the run in {outPath} (trained with {was}); drop it to resume the run, or start a new one");
                }

                var savedMax = savedParse.GetValue(flags.MaxSteps);
                if (parse.GetResult(flags.MaxSteps) is { Implicit: false } && parse.GetValue(flags.MaxSteps) < savedMax)
                    return c.Usage($"option --max-steps may only be raised on --resume (the run's limit is {savedMax})");
                runParse = savedParse;
                // The raised limit is the run's from now on (a later --resume may not lower it again).
                if (parse.GetResult(flags.MaxSteps) is { Implicit: false })
                    RunFolder.WriteArguments(outPath, defining.Prepend(data.Data).SelectMany(o => Given(savedParse, o) ?? []).Concat(Given(parse, flags.MaxSteps)!).ToList());
            }
            else if (!isResume)
            {
                if (isOverwrite) RunFolder.Clear(outPath);
                RunFolder.WriteArguments(outPath, defining.Prepend(data.Data).Append(flags.MaxSteps).SelectMany(o => Given(parse, o) ?? []).ToList());
            }

            // The run's data options with the --data given now; the run's flags with the --max-steps and --device given now.
            var source = data.Read(runParse) with { Data = parse.GetValue(data.Data)! };
            var spec = flags.Read(runParse, runParse.GetValue(model)!, source.Seed);
            if (parse.GetResult(flags.MaxSteps) is { Implicit: false }) spec.Options.MaxSteps = parse.GetValue(flags.MaxSteps);
            spec = spec with { MaxStepsGiven = parse.GetResult(flags.MaxSteps) is { Implicit: false }, Device = parse.GetValue(flags.Device)! };
            return Run(c, source, spec, outPath, isResume, parse.GetValue(dump), warmFrom);
        });
        return verb;
    }

    /// <summary>The tokens of <paramref name="option"/> as given (<c>--name value...</c>), or null when it was not given.</summary>
    private static string[]? Given(ParseResult parse, Option option) =>
        parse.GetResult(option) is { Implicit: false } r ? [option.Name, .. r.Tokens.Select(t => t.Value)] : null;

    /// <summary><paramref name="arguments"/> parsed as a <c>train</c> command line (for the saved arguments of a run).</summary>
    private static ParseResult Reparse(ParseResult parse, IEnumerable<string> arguments, string outPath)
    {
        var reparsed = parse.RootCommandResult.Command.Parse(["train", .. arguments, "--out", outPath], new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (reparsed.Errors.Count > 0 || reparsed.UnmatchedTokens.Count > 0)
            throw new InvalidDataException($"{Path.Combine(outPath, RunFolder.ArgumentsFile)} holds arguments this version does not accept: {string.Join("; ", reparsed.Errors.Select(e => e.Message).Concat(reparsed.UnmatchedTokens))}.");
        return reparsed;
    }

    /// <summary>The first run-defining option given now whose value changes the run (the run's arguments with that option
    /// as given now describe another run than the run's own), or null. Effective values are compared, so repeating a
    /// default or a preset's value is no contradiction.</summary>
    private static Option? Contradiction(ParseResult parse, ParseResult saved, string outPath, Option[] defining, DataOptions data, Option<string?> model, TrainFlags flags)
    {
        var groups = defining.Select(o => (Option: o, Tokens: Given(saved, o))).Where(g => g.Tokens is not null).ToDictionary(g => g.Option, g => g.Tokens!);
        var runKey = RunKey(saved, data, model, flags);
        foreach (var option in defining)
        {
            if (Given(parse, option) is not { } now) continue;
            var merged = new Dictionary<Option, string[]>(groups) { [option] = now };
            ParseResult changed;
            try
            {
                changed = Reparse(parse, merged.Values.SelectMany(t => t).Prepend(saved.GetValue(data.Data)!).Prepend(data.Data.Name), outPath);
            }
            catch (InvalidDataException)
            {
                return option;   // together with the run's options it does not even parse (e.g. --sa-flavor of another encoder)
            }

            if (flags.Problem(changed, changed.GetValue(model)!) is not null || RunKey(changed, data, model, flags) != runKey) return option;
        }

        return null;
    }

    /// <summary>Everything that defines a run, as text: the data options but the file, the model and the trainer options
    /// but the step limit and the device.</summary>
    private static string RunKey(ParseResult parse, DataOptions data, Option<string?> model, TrainFlags flags)
    {
        var source = data.Read(parse) with { Data = string.Empty };
        var spec = flags.Read(parse, parse.GetValue(model)!, source.Seed);
        spec.Options.MaxSteps = 1;
        return $"{source}|{spec with { Options = null!, MaxStepsGiven = false, Device = TorchSharp.torch.CPU }}|{System.Text.Json.JsonSerializer.Serialize(spec.Options)}";
    }

    private static int Run(VerbContext c, DataSource source, TrainSpec spec, string outDir, bool resume, bool dump, string? warmStart)
    {
        var logger = c.Loggers.CreateLogger("train");
        var (dataset, split) = source.Load(logger);
        TrainRun run;
        try
        {
            run = Train(spec, source, dataset, split, outDir, resume, dump, logger, c.Error, c.Cancellation, warmStart);
        }
        catch (InvalidDataException e) when (e.Data.Contains(MultiInterestTrainer.DataMismatchKey))
        {
            throw new InvalidDataException($"{source.Data}: {e.Message}", e);
        }

        var result = run.Result;
        var stdout = c.Out;
        run.Report.PrintSummary(stdout, result.BestValidation, result.Test ?? new Dictionary<string, double>(), run.ValidationUsers);
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
    /// resume state (and the dump files) in <paramref name="outDir"/>; with <paramref name="warmStart"/>, from the model of
    /// that run folder (see <see cref="MultiInterestTrainer.WarmStart"/>).</summary>
    public static TrainRun Train(TrainSpec spec, DataSource source, SequenceDataset dataset, DataSplit split, string outDir, bool resume, bool dump,
        ILogger logger, TextWriter stderr, CancellationToken cancellationToken, string? warmStart = null)
    {
        var options = spec.Options;
        options.CheckpointDirectory = outDir;
        DataSource.RequireEvaluationUsers(split);
        if (!resume && MemoryEstimate.Problem(spec.Config(dataset, source.MaxLength), options, MemoryEstimate.AvailableBytes) is { } tooLarge)
            throw new InvalidOperationException(tooLarge);
        using var trainer = resume
            ? MultiInterestTrainer.Resume(outDir, split, spec.MaxStepsGiven ? options.MaxSteps : null, logger, spec.Device)
            : warmStart is not null ? WarmStart(warmStart, spec.Config(dataset, source.MaxLength), split, options, logger, spec.Device, stderr)
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
        var metrics = report.Metrics(result.BestValidation, result.Test ?? new Dictionary<string, double>()) with
        {
            TrainSeconds = Math.Round(result.TrainSeconds, 3),
            TrainSamplesPerSecond = Math.Round(result.SamplesPerSecond, 1),
            BestStep = result.BestStep,
            Steps = result.Steps,
            StopReason = result.StopReason.ToIdentifier(),
            Encoder = CliModels.Name(model.Config.Encoder),
            Interests = model.Config.EffectiveInterests,
            Dim = model.Config.Dimension,
            BatchSize = options.BatchSize,
            Lr = options.LearningRate,
            Sampler = CliOptions.NameOf(Samplers, options.Negatives),
            Softmax = CliOptions.NameOf(Samplers, trainer.Softmax),
            ItemUpdates = CliOptions.NameOf(TrainFlags.ItemUpdateModes, trainer.ItemUpdates),
            Recipe = spec.Recipe.Name,
            TrainSampler = CliOptions.NameOf(TrainSamplers, options.Sampler),
            HistoryOrder = CliOptions.NameOf(TrainFlags.HistoryOrders, model.Config.ReverseHistory ? Cli.HistoryOrder.MostRecentFirst : Cli.HistoryOrder.OldestFirst),
            Flows = trainer.Flows.ToDictionary(f => f.Flow.Name, f => f.Weight),
            HardNegatives = options.HardNegatives?.Beta,
            ValidationUsers = trainer.ValidationUserCount,
            Diagnostics = diagnostics is null ? null : DiagnosticsSummary.From(diagnostics),
            History = result.History.Select(HistoryEntry.From).ToList(),
        };
        CliJsonContext.Write(Path.Combine(outDir, "metrics.json"), metrics, CliJsonContext.Default.RunMetrics);
        Plots.TryDraw(logger, Path.Combine(outDir, TrainingPlot), path => Plots.Training(path, $"{name} on {dataset.Name} (seed {source.Seed})", result.History, result.BestStep));
        if (dump)
        {
            var test = trainer.Evaluate(split.Test, keepRecommendations: true);
            report.WriteSplit(Path.Combine(outDir, "split.json"));
            report.WriteRecommendations(Path.Combine(outDir, "recommendations.tsv"), split.Test, test);
        }

        return new TrainRun(name, result, diagnostics, report, trainer.ValidationUserCount);
    }

    /// <summary>The flag each architecture option of a warm start comes from, to name it when the checkpoint differs.</summary>
    private static readonly IReadOnlyDictionary<string, string> ArchitectureFlags = new Dictionary<string, string>
    {
        [nameof(ModelConfig.Encoder)] = "--model",
        [nameof(ModelConfig.Interests)] = "--interests",
        [nameof(ModelConfig.Dimension)] = "--dim",
        [nameof(ModelConfig.MaxLength)] = "--max-len",
        [nameof(ModelConfig.ReverseHistory)] = "--reverse-history",
        [nameof(ModelConfig.ItemInitialization)] = "--init",
    };

    /// <summary>A trainer warm-started from the model in <paramref name="folder"/>, with the architecture the flags describe.</summary>
    private static MultiInterestTrainer WarmStart(string folder, ModelConfig config, DataSplit split, TrainerOptions options, ILogger logger,
        TorchSharp.torch.Device device, TextWriter stderr)
    {
        LoadedModel loaded;
        try
        {
            loaded = ModelCheckpoint.Load(folder);   // a model folder or a run folder
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"option --warm-start: {e.Message}", e);
        }

        using (loaded)
        {
            MultiInterestTrainer trainer;
            try
            {
                trainer = MultiInterestTrainer.WarmStart(loaded, split, config, options, logger, device);
            }
            catch (ArgumentException e) when (e.ParamName is { } option && (ArchitectureFlags.ContainsKey(option) || option.StartsWith(nameof(ModelConfig.EncoderOptions), StringComparison.Ordinal)))
            {
                var flag = ArchitectureFlags.GetValueOrDefault(option, "--sa-flavor");
                throw new ArgumentException($"option {flag} does not match the --warm-start model in {folder}: {e.Message.Split(" (Parameter")[0]}", e);
            }

            var r = trainer.WarmStartReport!;
            stderr.WriteLine($"warm start from {folder}: {r.Kept} items keep their embeddings, {r.Added} new, {r.Dropped} dropped");
            return trainer;
        }
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
}
