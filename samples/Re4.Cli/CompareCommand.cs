using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;

namespace Re4.Cli;

/// <summary><c>re4 compare</c>: trains several models with several seeds on one split and tabulates their test
/// metrics as the papers do (mean ± std over seeds).</summary>
internal static class CompareCommand
{
    public const string Help =
        "re4 compare --data PATH|synthetic --out DIR [--models M1,M2,...] [--seeds 1,2,3] [--split-seed S] [train options]\n" +
        "Trains every model once per seed on ONE split (the --split-seed users), each run exactly as 're4 train' with the\n" +
        "same options, in DIR/<model>-<seed>/ (metrics.json, training.png, model/); then prints the comparison table of\n" +
        "the test users (mean ± sample std over seeds) and writes DIR/compare.md, DIR/compare.json and DIR/compare.png.\n\n" +
        DataSource.Help +
        "  --models LIST             comma-separated, in table order (default " + DefaultModels + ");\n" +
        "                            most-popular or any 're4 train --model' name\n" +
        "  --seeds LIST              training seeds (default 1,2,3); the split stays the same for all of them\n" +
        "                            (--split-seed, whose default is --seed: here --seed seeds no training)\n" +
        "  --out DIR                 one subfolder per run, and the comparison files\n" +
        "  --dump                    each run also writes split.json and recommendations.tsv\n" +
        "Every other 're4 train' option (--max-steps, --dim, --eval-every, --patience, --lambda-*, ...) is applied to every\n" +
        "trained model; --resume is not supported. most-popular is deterministic given the split: it is evaluated once,\n" +
        "in DIR/most-popular/, and its std is 0.\n";

    public const string MostPopular = "most-popular";

    /// <summary>The paper's table: MostPopular, the single-interest baselines, the multi-interest encoders, Re4.</summary>
    public const string DefaultModels = "most-popular,youtube-dnn,gru4rec,mind,comirec-dr,comirec-sa,re4";

    /// <summary>The table's columns (test users).</summary>
    public static readonly string[] TableMetrics = ["recall@20", "recall@50", "ndcg@20", "ndcg@50", "hitrate@50"];

    /// <summary>The bar chart's metrics.</summary>
    private static readonly string[] PlotMetrics = ["recall@50", "ndcg@50"];

    public static int Run(CliArguments args, ILoggerFactory loggers, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("compare");
        var source = DataSource.Parse(args);
        var models = ParseModels(args.Optional("models") ?? DefaultModels);
        var seeds = ParseSeeds(args.Optional("seeds") ?? "1,2,3");
        var outDir = args.Required("out");
        var dump = args.Flag("dump");
        // Every model's flags are checked before the first run starts: a typo must not surface hours into a comparison.
        foreach (var model in models.Where(m => m != MostPopular)) TrainSpec.Parse(args, model, seeds[0]);
        args.EnsureAllUsed("compare");

        var clock = Stopwatch.StartNew();
        var (dataset, split) = source.Load(logger);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        if (split.Test.Count == 0) throw new InvalidOperationException("the split has no test users to compare the models on");
        var rows = new List<ModelRow>();
        var total = models.Sum(m => m == MostPopular ? 1 : seeds.Length);
        var done = 0;
        foreach (var model in models)
        {
            var runs = new List<RunRecord>();
            if (model == MostPopular)
            {
                logger.LogInformation("Run {Done}/{Total}: {Model}", ++done, total, model);
                var (_, test, _) = EvaluateCommand.EvaluateAndWrite(new MostPopularRecommender(split), model, dataset, split, source,
                    excludeHistory: false, dump, Path.Combine(outDir, MostPopular), loadSeconds);
                runs.Add(new RunRecord(null, MostPopular, test.Metrics, null));
            }
            else
            {
                foreach (var seed in seeds)
                {
                    logger.LogInformation("Run {Done}/{Total}: {Model}, seed {Seed}", ++done, total, model, seed);
                    var folder = $"{model}-{seed.ToString(CultureInfo.InvariantCulture)}";
                    var spec = TrainSpec.Parse(args, model, seed);
                    var run = TrainCommand.Train(spec, source with { Seed = seed }, dataset, split, Path.Combine(outDir, folder), resume: false, dump,
                        logger, stderr, cancellationToken);
                    var result = run.Result;
                    runs.Add(new RunRecord(seed, folder, result.Test!, result));
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{model} seed {seed}: test recall@50 {result.Test![Recommenders.Evaluation.MetricNames.Recall(50)]:F4}, ndcg@50 {result.Test[Recommenders.Evaluation.MetricNames.Ndcg(50)]:F4} ({result.Steps} steps, best at {result.BestStep}, {result.TrainSeconds:F1} s)"));
                }
            }

            rows.Add(new ModelRow(model, runs));
        }

        var table = Table(rows, dataset.Name, source, seeds, split.Test.Count);
        AtomicFile.WriteText(Path.Combine(outDir, "compare.md"), w => w.Write(table));
        WriteJson(Path.Combine(outDir, "compare.json"), rows, dataset.Name, source, seeds, split.Test.Count);
        Plots.TryDraw(logger, Path.Combine(outDir, "compare.png"), path => Plots.Compare(path, $"{dataset.Name}, test users: mean ± std over training seeds {string.Join(", ", seeds)}",
            rows.Select(r => (r.Model, PlotMetrics.Select(r.Mean).ToArray(), PlotMetrics.Select(r.Std).ToArray())).ToList(), PlotMetrics));
        stdout.WriteLine();
        stdout.Write(table);
        stdout.WriteLine($"wrote {Path.Combine(outDir, "compare.md")}, compare.json, compare.png and one folder per run");
        return 0;
    }

    private static string[] ParseModels(string text)
    {
        var models = text.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (models.Length == 0) throw new UsageException("option --models needs at least one model");
        foreach (var m in models)
        {
            if (m != MostPopular && !ModelPreset.All.ContainsKey(m))
                throw new UsageException($"option --models: '{m}' is not a model; expected {MostPopular} or one of {ModelPreset.Names}");
        }

        var twice = models.GroupBy(m => m).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new UsageException($"option --models names {twice.Key} twice");
        return models;
    }

    private static int[] ParseSeeds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("option --seeds needs at least one seed");
        var seeds = parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
            ? s
            : throw new UsageException($"option --seeds expects comma-separated integers, not '{p}'")).ToArray();
        if (seeds.Distinct().Count() != seeds.Length) throw new UsageException("option --seeds names a seed twice");
        return seeds;
    }

    /// <summary>The comparison as a Markdown table (also what the command prints).</summary>
    private static string Table(IReadOnlyList<ModelRow> rows, string dataset, DataSource source, int[] seeds, int testUsers)
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

        return b.ToString();
    }

    private static void WriteJson(string path, IReadOnlyList<ModelRow> rows, string dataset, DataSource source, int[] seeds, int testUsers) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("dataset", dataset);
            w.WriteString("protocol", source.ProtocolName);
            w.WriteNumber("split_seed", source.SplitSeed);
            w.WriteStartArray("seeds");
            foreach (var s in seeds) w.WriteNumberValue(s);
            w.WriteEndArray();
            w.WriteNumber("test_users", testUsers);
            w.WriteString("std", "sample (n - 1); 0 for a single run");
            w.WriteStartArray("models");
            foreach (var row in rows)
            {
                w.WriteStartObject();
                w.WriteString("model", row.Model);
                w.WriteStartArray("runs");
                foreach (var run in row.Runs)
                {
                    w.WriteStartObject();
                    if (run.Seed is { } seed) w.WriteNumber("seed", seed);
                    else w.WriteNull("seed");
                    w.WriteString("dir", run.Folder);
                    if (run.Training is { } t)
                    {
                        w.WriteNumber("steps", t.Steps);
                        w.WriteNumber("best_step", t.BestStep);
                        w.WriteNumber("train_seconds", Math.Round(t.TrainSeconds, 3));
                    }

                    w.WriteStartObject("test");
                    foreach (var m in TableMetrics) w.WriteNumber(m, run.Test[m]);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartObject("mean");
                foreach (var m in TableMetrics) w.WriteNumber(m, row.Mean(m));
                w.WriteEndObject();
                w.WriteStartObject("std");
                foreach (var m in TableMetrics) w.WriteNumber(m, row.Std(m));
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>One run of a model: its seed (null for most-popular), its folder under DIR, its test metrics.</summary>
    private sealed record RunRecord(int? Seed, string Folder, IReadOnlyDictionary<string, double> Test, Recommenders.Training.TrainingResult? Training);

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
