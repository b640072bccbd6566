using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using Re4.Recommenders.Tuning;

namespace Re4.Cli;

/// <summary><c>re4 compare</c>: trains several models with several seeds on one split and tabulates their test
/// metrics as the papers do (mean ± std over seeds).</summary>
internal static class CompareCommand
{
    private const string Synopsis =
        "re4 compare --data PATH|synthetic --out DIR [--models M1,M2,...] [--seeds " + DefaultSeeds + "] [--split-seed S] [train options]\n" +
        "            [--tuned MODEL=DIR ...] [--resume]\n" +
        "Trains every model once per seed on ONE split (the --split-seed users), each run exactly as 're4 train' with the\n" +
        "same options, in DIR/<model>-<seed>/ (metrics.json, training.png, model/); then prints the comparison table of\n" +
        "the test users (mean ± sample std over seeds) and writes DIR/compare.md, DIR/compare.json and DIR/compare.png.\n" +
        "Every other 're4 train' option (--max-steps, --dim, --eval-every, --patience, --lambda-*, ...) is applied to every\n" +
        "trained model. With --resume, the runs already in DIR are kept (finished ones) or continued (interrupted ones)\n" +
        "when they were trained with the same options, so a comparison survives an interruption and its runs may be\n" +
        "trained beforehand by 're4 train --out DIR/<model>-<seed>' (e.g. in parallel). most-popular is deterministic given\n" +
        "the split: it is evaluated once, in DIR/most-popular/, and its std is 0.\n\n";

    /// <summary>The training seeds without <c>--seeds</c>.</summary>
    private const string DefaultSeeds = "1,2,3";

    public const string MostPopular = "most-popular";

    /// <summary>The paper's table: MostPopular, the single-interest baselines, the multi-interest encoders, Re4.</summary>
    public const string DefaultModels = "most-popular,youtube-dnn,gru4rec,mind,comirec-dr,comirec-sa,re4";

    /// <summary>The table's columns (test users).</summary>
    public static readonly string[] TableMetrics = ["recall@20", "recall@50", "ndcg@20", "ndcg@50", "hitrate@50"];

    /// <summary>The bar chart's metrics.</summary>
    private static readonly string[] PlotMetrics = ["recall@50", "ndcg@50"];

    /// <summary>The <c>compare</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var data = new DataOptions("seed of the user split without --split-seed (here it seeds no training; default {default})");
        var models = CliOptions.Parsed("models", "LIST",
            "comma-separated, in table order (default {default});\nmost-popular or any 're4 train --model' name".Replace(CliOptions.DefaultMark, DefaultModels, StringComparison.Ordinal),
            ParseModels);
        var seeds = CliOptions.Parsed("seeds", "LIST",
            $"training seeds (default {DefaultSeeds}); the split stays the same for all of them\n(--split-seed, whose default is --seed: here --seed seeds no training)",
            ParseSeeds);
        var flags = new TrainFlags();
        var outDir = CliOptions.Text("out", "DIR", "one subfolder per run, and the comparison files", required: true);
        var dump = CliOptions.Flag("dump", "each run also writes split.json and recommendations.tsv");
        var baseline = CliOptions.Text("baseline", "NAME",
            "the model every other one is compared with, user by user on the test users (paired bootstrap interval and\nsign-flip p-value of recall@50 and ndcg@50; default the first of --models)");
        var resamples = CliOptions.Int("resamples", "N", "bootstrap resamples and random sign flips of the paired comparison", new PairedComparisonOptions().Resamples, min: 1);
        var tuned = new Option<string[]>("--tuned")
        {
            HelpName = "MODEL=DIR",
            Description = "train MODEL with the best values of the 're4 tune' search in DIR (its tune.json, tuned on this\nsplit's validation users); once per tuned model, other models keep the options as given",
            Arity = ArgumentArity.OneOrMore,
        };
        var resume = CliOptions.Flag("resume", "keep the finished runs in DIR and continue the interrupted ones (each must have been trained\nwith these options; another is an error naming the run and the option)");
        var verb = new Verb("compare", "train several models with several seeds on one split; the paper's table, mean ± std (compare.md/.json/.png)", Synopsis);
        verb.AddOptions([.. data.All, models, seeds, .. flags.All, outDir, dump, baseline, resamples, tuned, resume]);
        Program.SetRun(verb, context, (parse, c) =>
        {
            var names = CliOptions.GivenValue(parse, models) ?? ParseModels(DefaultModels).Value!;
            var seedList = CliOptions.GivenValue(parse, seeds) ?? ParseSeeds(DefaultSeeds).Value!;
            // Every model's flags are checked before the first run starts: a typo must not surface hours into a comparison.
            foreach (var model in names.Where(m => m != MostPopular))
            {
                if (flags.Problem(parse, model) is { } problem) return c.Usage(problem);
            }

            var against = parse.GetValue(baseline)?.ToLowerInvariant() ?? names[0];
            if (!names.Contains(against)) return c.Usage($"option --baseline: {against} is not one of --models ({string.Join(",", names)})");
            var tunedModels = new Dictionary<string, TunedValues>();
            foreach (var text in parse.GetValue(tuned) ?? [])
            {
                var (value, error) = TunedValues.Read(text);
                if (error is not null) return c.Usage(error);
                if (!names.Contains(value!.Model) || value.Model == MostPopular)
                    return c.Usage($"option --tuned: {value.Model} is not a trained model of --models ({string.Join(",", names)})");
                if (!tunedModels.TryAdd(value.Model, value)) return c.Usage($"option --tuned names {value.Model} twice");
                if (value.Apply(flags.Read(parse, value.Model, 1).Options).Error is { } refused) return c.Usage(refused);
            }

            var statistics = new PairedComparisonOptions { Resamples = parse.GetValue(resamples), Permutations = parse.GetValue(resamples) };
            return Run(c, parse, data.Read(parse), flags, names, seedList, parse.GetValue(outDir)!, parse.GetValue(dump), against, statistics, parse.GetValue(resume), tunedModels);
        });
        return verb;
    }

    private static int Run(VerbContext c, ParseResult parse, DataSource source, TrainFlags flags, string[] models, int[] seeds, string outDir, bool dump,
        string baseline, PairedComparisonOptions statistics, bool resume, IReadOnlyDictionary<string, TunedValues> tuned)
    {
        var logger = c.Loggers.CreateLogger("compare");
        var stdout = c.Out;
        // Without --resume a run already in DIR is not replaced (checked before the data are loaded).
        var taken = resume ? null : models.Where(m => m != MostPopular)
            .SelectMany(m => seeds.Select(seed => Path.Combine(outDir, RunFolderName(m, seed))))
            .FirstOrDefault(RunFolder.HoldsAnything);
        if (taken is not null)
            return c.Usage($"option --out: {taken} already holds a run; pass --resume to keep it (or continue it), or give another --out");
        if (!resume && File.Exists(Path.Combine(outDir, "compare.json")))
            return c.Usage($"option --out: {outDir} already holds a comparison (compare.json); pass --resume to add to it, or give another --out");
        var clock = Stopwatch.StartNew();
        var (dataset, split) = source.Load(logger);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        if (split.Test.Count == 0) throw new InvalidOperationException("the split has no test users to compare the models on");
        var maxStepsGiven = parse.GetResult(flags.MaxSteps) is { Implicit: false };
        // A search tuned on another split may have validated on this one's test users: refused.
        foreach (var t in tuned.Values)
        {
            if (t.Mismatch(dataset.Name, source, split) is { } mismatch) return c.Usage($"option --tuned {t.Model}: {mismatch}");
            logger.LogInformation("{Model}: tuned values from {File} ({Values})", t.Model, t.File, t.Describe());
        }

        // Every saved run to continue is checked before the first run starts, as every option is.
        if (resume && SavedRunProblem(flags, parse, models, seeds, tuned, outDir, dataset, split, source, maxStepsGiven, logger) is { } problem)
            return c.Usage(problem);

        var rows = new List<ModelRow>();
        var total = models.Sum(m => m == MostPopular ? 1 : seeds.Length);
        var done = 0;
        foreach (var model in models)
        {
            var runs = new List<RunRecord>();
            if (model == MostPopular)
            {
                logger.LogInformation("Run {Done}/{Total}: {Model}", ++done, total, model);
                var popular = new MostPopularRecommender(split);
                var (_, test, _) = EvaluateCommand.EvaluateAndWrite(popular, model, dataset, split, source,
                    excludeHistory: false, dump, Path.Combine(outDir, MostPopular), loadSeconds);
                runs.Add(new RunRecord(null, MostPopular, test.Metrics, null, ComparePairs.Of(EvaluateKeeping(popular, split.Test), split.Test)));
            }
            else
            {
                foreach (var seed in seeds)
                {
                    logger.LogInformation("Run {Done}/{Total}: {Model}, seed {Seed}", ++done, total, model, seed);
                    var folder = RunFolderName(model, seed);
                    var spec = Spec(flags, parse, model, seed, tuned);
                    var runDir = Path.Combine(outDir, folder);
                    var continued = resume && MultiInterestTrainer.HasResumeState(runDir);
                    // A continued run keeps its own step limit unless --max-steps raises it.
                    var run = TrainCommand.Train(spec with { MaxStepsGiven = continued && maxStepsGiven }, source with { Seed = seed }, dataset, split, runDir,
                        resume: continued, dump, logger, c.Error, c.Cancellation);
                    var result = run.Result;
                    runs.Add(new RunRecord(seed, folder, result.Test!, result, PerUser(Path.Combine(outDir, folder), dataset, split.Test, spec.Device, result.Test!, logger)));
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{model} seed {seed}: test recall@50 {result.Test![Recommenders.Evaluation.MetricNames.Recall(50)]:F4}, ndcg@50 {result.Test[Recommenders.Evaluation.MetricNames.Ndcg(50)]:F4} ({result.Steps} steps, best at {result.BestStep}, {result.TrainSeconds:F1} s)"));
                }
            }

            rows.Add(new ModelRow(model, runs));
        }

        var paired = ComparePairs.Compare(rows.Select(r => (r.Model, (IReadOnlyList<ComparePairs.UserValues>)r.Runs.Select(run => run.PerUser).ToList())).ToList(),
            baseline, statistics);
        var table = Table(rows, dataset.Name, source, seeds, split.Test.Count, tuned) + (paired.Models.Count > 0 ? ComparePairs.Table(paired) : string.Empty);
        AtomicFile.WriteText(Path.Combine(outDir, "compare.md"), w => w.Write(table));
        WriteJson(Path.Combine(outDir, "compare.json"), rows, dataset.Name, source, seeds, split.Test.Count, paired, tuned);
        Plots.TryDraw(logger, Path.Combine(outDir, "compare.png"), path => Plots.Compare(path, $"{dataset.Name}, test users: mean ± std over training seeds {string.Join(", ", seeds)}",
            rows.Select(r => (r.Model, PlotMetrics.Select(r.Mean).ToArray(), PlotMetrics.Select(r.Std).ToArray())).ToList(), PlotMetrics));
        stdout.WriteLine();
        stdout.Write(table);
        stdout.WriteLine($"wrote {Path.Combine(outDir, "compare.md")}, compare.json, compare.png and one folder per run");
        return 0;
    }

    /// <summary>The folder of <paramref name="model"/>'s run with <paramref name="seed"/> under DIR.</summary>
    private static string RunFolderName(string model, int seed) => $"{model}-{seed.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Why a run saved in DIR cannot be continued by this comparison (<c>--resume</c>), or null: files without a
    /// resume state, other options, a lowered step limit. Other data or another split throw, naming the file.</summary>
    private static string? SavedRunProblem(TrainFlags flags, ParseResult parse, string[] models, int[] seeds, IReadOnlyDictionary<string, TunedValues> tuned,
        string outDir, SequenceDataset dataset, DataSplit split, DataSource source, bool maxStepsGiven, ILogger logger)
    {
        foreach (var (model, seed) in models.Where(m => m != MostPopular).SelectMany(m => seeds.Select(seed => (m, seed))))
        {
            var runDir = Path.Combine(outDir, RunFolderName(model, seed));
            if (!MultiInterestTrainer.HasResumeState(runDir))
            {
                if (RunFolder.HoldsAnything(runDir))
                    return $"option --resume: {runDir} holds files but no resume state (a run stopped before its first validation, or its resume/ was removed); remove the folder to train that run again";
                continue;
            }

            var spec = Spec(flags, parse, model, seed, tuned);
            // Another split or data set is an error naming the file, here rather than hours into the comparison.
            var (savedConfig, savedOptions) = MultiInterestTrainer.ReadResumeDefinition(runDir, split);
            if (RunDifference(spec.Config(dataset, source.MaxLength), spec.Options, savedConfig, savedOptions) is { } difference)
                return $"option --resume: {runDir} was trained with other options than this comparison's ({difference}); give the options it was trained with, or use another --out";
            if (maxStepsGiven && savedOptions.MaxSteps > spec.Options.MaxSteps)
                return $"option --resume: {runDir} was trained with --max-steps {savedOptions.MaxSteps}; a comparison may raise the limit, not lower it (--max-steps {spec.Options.MaxSteps})";
            logger.LogInformation("{Folder}: its saved run is kept (finished) or continued", runDir);
        }

        return null;
    }

    /// <summary>The run of <paramref name="model"/> with <paramref name="seed"/>: the options as given, with the model's
    /// tuned values (<c>--tuned</c>) over them.</summary>
    private static TrainSpec Spec(TrainFlags flags, ParseResult parse, string model, int seed, IReadOnlyDictionary<string, TunedValues> tuned)
    {
        var spec = flags.Read(parse, model, seed);
        return tuned.TryGetValue(model, out var t) ? spec with { Options = t.Apply(spec.Options).Options! } : spec;   // checked before loading
    }

    /// <summary>The first setting in which a saved run differs from the one this comparison would train (its name and
    /// both values), or null. The step limit may differ (a continued run takes this comparison's), and so may where the
    /// run lies.</summary>
    internal static string? RunDifference(ModelConfig config, TrainerOptions options, ModelConfig savedConfig, TrainerOptions savedOptions)
    {
        // A model records its encoder's options resolved (defaults filled in): compare the same way.
        if (Recommenders.Extractors.EncoderRegistry.TryGet(config.Encoder, out var encoder))
            config = config with { EncoderOptions = encoder.ResolveOptions(config) };
        var now = System.Text.Json.JsonSerializer.SerializeToNode(config)!.AsObject();
        var then = System.Text.Json.JsonSerializer.SerializeToNode(savedConfig)!.AsObject();
        var nowOptions = System.Text.Json.JsonSerializer.SerializeToNode(options)!.AsObject();
        var thenOptions = System.Text.Json.JsonSerializer.SerializeToNode(savedOptions)!.AsObject();
        foreach (var ignored in new[] { nameof(TrainerOptions.MaxSteps), nameof(TrainerOptions.CheckpointDirectory) })
        {
            nowOptions.Remove(ignored);
            thenOptions.Remove(ignored);
        }

        return FirstDifference(now, then, "model ") ?? FirstDifference(nowOptions, thenOptions, "trainer ");
    }

    private static string? FirstDifference(System.Text.Json.Nodes.JsonObject now, System.Text.Json.Nodes.JsonObject then, string prefix)
    {
        foreach (var name in now.Select(p => p.Key).Union(then.Select(p => p.Key)))
        {
            var a = now[name]?.ToJsonString() ?? "null";
            var b = then[name]?.ToJsonString() ?? "null";
            if (a != b) return $"{prefix}{name}: the run has {b}, this comparison {a}";
        }

        return null;
    }

    private static (string[]? Value, string? Error) ParseModels(string text)
    {
        var models = text.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (models.Length == 0) return (null, "option --models needs at least one model");
        var unknown = models.FirstOrDefault(m => m != MostPopular && !ModelPreset.All.ContainsKey(m));
        if (unknown is not null) return (null, $"option --models: '{unknown}' is not a model; expected {MostPopular} or one of {ModelPreset.Names}");
        var twice = models.GroupBy(m => m).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? (models, null) : (null, $"option --models names {twice.Key} twice");
    }

    private static (int[]? Value, string? Error) ParseSeeds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) return (null, "option --seeds needs at least one seed");
        var seeds = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out seeds[i]))
                return (null, $"option --seeds expects comma-separated integers, not '{parts[i]}'");
        }

        return seeds.Distinct().Count() == seeds.Length ? (seeds, null) : (null, "option --seeds names a seed twice");
    }

    /// <summary>The comparison as a Markdown table (also what the command prints).</summary>
    private static string Table(IReadOnlyList<ModelRow> rows, string dataset, DataSource source, int[] seeds, int testUsers, IReadOnlyDictionary<string, TunedValues> tuned)
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"# {dataset}: test users ({testUsers}), {source.ProtocolName} protocol, split seed {source.SplitSeed}\n\n");
        b.Append(CultureInfo.InvariantCulture, $"Mean ± sample standard deviation over training seeds {string.Join(", ", seeds)} (most-popular: one deterministic evaluation).\n\n");
        b.Append("| model | ").AppendJoin(" | ", TableMetrics).Append(" |\n");
        b.Append("|---|").AppendJoin("", TableMetrics.Select(_ => "---:|")).Append('\n');
        foreach (var row in rows)
        {
            b.Append("| ").Append(row.Model).Append(" | ");
            b.AppendJoin(" | ", TableMetrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{row.Mean(m):F4} ± {row.Std(m):F4}")));
            b.Append(" |\n");
        }

        foreach (var row in rows.Where(r => tuned.ContainsKey(r.Model)))
            b.Append(CultureInfo.InvariantCulture, $"\n{row.Model}: tuned on the validation users ({tuned[row.Model].Describe()}; {tuned[row.Model].File}).\n");
        return b.ToString();
    }

    private static void WriteJson(string path, IReadOnlyList<ModelRow> rows, string dataset, DataSource source, int[] seeds, int testUsers, ComparePaired paired,
        IReadOnlyDictionary<string, TunedValues> tuned)
    {
        var file = new CompareFile
        {
            Dataset = dataset,
            Protocol = source.ProtocolName,
            SplitSeed = source.SplitSeed,
            Seeds = seeds,
            TestUsers = testUsers,
            Models = rows.Select(row => new CompareModel(
                row.Model,
                row.Runs.Select(run => new CompareRun
                {
                    Seed = run.Seed,
                    Dir = run.Folder,
                    Steps = run.Training?.Steps,
                    BestStep = run.Training?.BestStep,
                    TrainSeconds = run.Training is { } t ? Math.Round(t.TrainSeconds, 3) : null,
                    Test = TableMetrics.ToDictionary(m => m, m => run.Test[m]),
                }).ToList(),
                TableMetrics.ToDictionary(m => m, row.Mean),
                TableMetrics.ToDictionary(m => m, row.Std))
            {
                Tuned = tuned.TryGetValue(row.Model, out var t) ? t.Tune.Best.Config : null,
                TunedFrom = tuned.TryGetValue(row.Model, out var from) ? from.File : null,
            }).ToList(),
            Paired = paired.Models.Count > 0 ? paired : null,
        };
        CliJsonContext.Write(path, file, CliJsonContext.Default.CompareFile);
    }

    /// <summary>The test users' ranked lists of <paramref name="recommender"/>, kept for their per-user metrics.</summary>
    private static EvaluationResult EvaluateKeeping(IRecommender recommender, EvaluationSet users) =>
        RetrievalEvaluator.Evaluate(recommender, users, new EvaluationOptions { Cutoffs = EvaluateCommand.Cutoffs, KeepRecommendations = true });

    /// <summary>The per-user test metrics of the model a run selected, from its run folder (the trainer that made it is
    /// gone): the same model, so their means are the run's test metrics, which is checked.</summary>
    private static ComparePairs.UserValues PerUser(string runFolder, SequenceDataset dataset, EvaluationSet users, TorchSharp.torch.Device device,
        IReadOnlyDictionary<string, double> test, ILogger logger)
    {
        using var loaded = CliModels.LoadCheckpoint(runFolder, dataset, device);
        using var recommender = new MultiInterestRecommender(loaded.Model, CliModels.Name(loaded.Model.Config));
        var values = ComparePairs.Of(EvaluateKeeping(recommender, users), users);
        foreach (var (metric, perUser) in values.Values)
        {
            if (Math.Abs(perUser.Average() - test[metric]) > 1e-9)
                logger.LogWarning("{Folder}: the saved model's test {Metric} is {Saved:F6}, the run reported {Run:F6}", runFolder, metric, perUser.Average(), test[metric]);
        }

        return values;
    }

    /// <summary>One run of a model: its seed (null for most-popular), its folder under DIR, its test metrics, its test
    /// users' values of the paired metrics.</summary>
    private sealed record RunRecord(int? Seed, string Folder, IReadOnlyDictionary<string, double> Test, Recommenders.Training.TrainingResult? Training,
        ComparePairs.UserValues PerUser);

    private sealed record ModelRow(string Model, IReadOnlyList<RunRecord> Runs)
    {
        public double Mean(string metric) => Runs.Average(r => r.Test[metric]);

        /// <summary>The sample standard deviation (n − 1 in the denominator), as the papers' "± std" over a handful of
        /// seeds; 0 for a single run.</summary>
        public double Std(string metric)
        {
            if (Runs.Count < 2) return 0;
            var mean = Mean(metric);
            return Math.Sqrt(Runs.Sum(r => (r.Test[metric] - mean) * (r.Test[metric] - mean)) / (Runs.Count - 1));
        }
    }
}
