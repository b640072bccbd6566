using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Models;

namespace Re4.Cli;

/// <summary><c>re4 evaluate</c>: evaluates a model on the validation and test users of a split.</summary>
internal static class EvaluateCommand
{
    public const string Help =
        "re4 evaluate --data PATH|synthetic (--model most-popular | --checkpoint DIR) --out DIR [options]\n" +
        "Evaluates a model under the ComiRec protocol (or leave-one-out) on validation and test users.\n\n" +
        DataSource.Help +
        "  --model M                 most-popular (the default without --checkpoint)\n" +
        "  --checkpoint DIR          a model trained by 're4 train' (its run folder or its model/ folder);\n" +
        "                            give the data options the model was trained with\n" +
        "  --device cpu|cuda         where a checkpoint's encoder runs (default cpu)\n" +
        "  --exclude-history         never recommend an item of the user's own history (default: not filtered, as ComiRec)\n" +
        "  --out DIR                 writes DIR/metrics.json\n" +
        "  --dump                    also writes DIR/split.json and DIR/recommendations.tsv (top 50 per test user, original ids)\n";

    public static readonly int[] Cutoffs = [20, 50];

    /// <summary>Evaluates <paramref name="recommender"/> on the validation and test users and writes
    /// <c>DIR/metrics.json</c> (and the dump files): what <c>evaluate</c> does once the model is chosen, shared with
    /// <c>compare</c>'s most-popular row.</summary>
    public static (EvaluationResult Valid, EvaluationResult Test, RunReport Report) EvaluateAndWrite(IRecommender recommender, string model,
        SequenceDataset dataset, DataSplit split, DataSource source, bool excludeHistory, bool dump, string outDir, double loadSeconds)
    {
        var clock = Stopwatch.StartNew();
        var options = new EvaluationOptions { Cutoffs = Cutoffs, ExcludeHistory = excludeHistory };
        var valid = RetrievalEvaluator.Evaluate(recommender, split.Valid, options);
        options.KeepRecommendations = dump;
        var test = RetrievalEvaluator.Evaluate(recommender, split.Test, options);
        var evalSeconds = clock.Elapsed.TotalSeconds;

        Directory.CreateDirectory(outDir);
        var report = new RunReport(model, dataset, split, source, excludeHistory);
        report.WriteMetrics(Path.Combine(outDir, "metrics.json"), valid.Metrics, test.Metrics, w =>
        {
            w.WriteNumber("load_seconds", Math.Round(loadSeconds, 3));
            w.WriteNumber("evaluate_seconds", Math.Round(evalSeconds, 3));
        });
        if (dump)
        {
            report.WriteSplit(Path.Combine(outDir, "split.json"));
            report.WriteRecommendations(Path.Combine(outDir, "recommendations.tsv"), split.Test, test);
        }

        return (valid, test, report);
    }

    public static int Run(CliArguments args, ILoggerFactory loggers, TextWriter stdout)
    {
        var logger = loggers.CreateLogger("evaluate");
        var source = DataSource.Parse(args);
        var modelName = args.Optional("model");
        var checkpoint = args.Optional("checkpoint");
        var device = CliModels.ParseDevice(args);
        var excludeHistory = args.Flag("exclude-history");
        var outDir = args.Required("out");
        var dump = args.Flag("dump");
        args.EnsureAllUsed("evaluate");
        if (checkpoint is null && modelName is not null && modelName != "most-popular")
            throw new UsageException($"option --model {modelName} needs --checkpoint DIR (train it with 're4 train'); without a checkpoint only most-popular is evaluated");

        var clock = Stopwatch.StartNew();
        var (dataset, split) = source.Load(logger);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        IRecommender recommender;
        string model;
        if (checkpoint is null)
        {
            recommender = new MostPopularRecommender(split);
            model = "most-popular";
        }
        else
        {
            var loaded = CliModels.LoadCheckpoint(checkpoint, dataset, device);
            model = CliModels.Name(loaded.Model.Config);
            if (modelName is not null && modelName != model && modelName != CliModels.Name(loaded.Model.Config.Encoder))
                throw new UsageException($"option --model {modelName} does not match the checkpoint, which holds a {model} model");
            recommender = new MultiInterestRecommender(loaded.Model, model);
        }

        var (valid, test, report) = EvaluateAndWrite(recommender, model, dataset, split, source, excludeHistory, dump, outDir, loadSeconds);
        report.PrintSummary(stdout, valid.Metrics, test.Metrics);
        stdout.WriteLine($"wrote {Path.Combine(outDir, "metrics.json")}{(dump ? ", split.json, recommendations.tsv" : string.Empty)}");
        return 0;
    }
}

/// <summary>Writes the CLI's result files: <c>metrics.json</c>, <c>split.json</c>, <c>recommendations.tsv</c> (public contract).</summary>
internal sealed class RunReport(string model, SequenceDataset dataset, DataSplit split, DataSource source, bool excludeHistory)
{
    public void WriteMetrics(string path, IReadOnlyDictionary<string, double> valid, IReadOnlyDictionary<string, double> test, Action<Utf8JsonWriter>? extra = null) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteString("dataset", dataset.Name);
            w.WriteNumber("seed", source.Seed);
            w.WriteNumber("split_seed", source.SplitSeed);
            w.WriteString("protocol", source.ProtocolName);
            w.WriteString("filter", source.Filter.ToString());
            w.WriteNumber("max_len", source.MaxLength);
            w.WriteBoolean("exclude_history", excludeHistory);
            w.WriteStartObject("users");
            w.WriteNumber("train", split.TrainCount);
            w.WriteNumber("valid", split.Valid.Count);
            w.WriteNumber("test", split.Test.Count);
            w.WriteEndObject();
            w.WriteNumber("items", dataset.ItemCount);
            w.WriteNumber("interactions", dataset.InteractionCount);
            WriteMetricObject(w, "valid", valid);
            WriteMetricObject(w, "test", test);
            extra?.Invoke(w);
            w.WriteEndObject();
        });

    public void WriteSplit(string path) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
            w.WriteStartObject();
            w.WriteStartArray("train");
            for (var i = 0; i < split.TrainCount; i++) w.WriteNumberValue(dataset.OriginalUserId(split.TrainUser(i)));
            w.WriteEndArray();
            WriteUsers(w, "valid", split.Valid);
            WriteUsers(w, "test", split.Test);
            w.WriteEndObject();
        });

    public void WriteRecommendations(string path, EvaluationSet users, EvaluationResult result)
    {
        var recs = result.Recommendations ?? throw new InvalidOperationException("The evaluation did not keep its recommendations.");
        AtomicFile.WriteText(path, w =>
        {
            for (var i = 0; i < users.Count; i++)
            {
                w.Write(dataset.OriginalUserId(users.User(i)).ToString(CultureInfo.InvariantCulture));
                w.Write('\t');
                var first = true;
                for (var r = 0; r < result.TopN; r++)
                {
                    var item = recs[i * result.TopN + r];
                    if (item == 0) break;
                    if (!first) w.Write(' ');
                    w.Write(dataset.OriginalItemId(item).ToString(CultureInfo.InvariantCulture));
                    first = false;
                }

                w.Write('\n');
            }
        });
    }

    public void PrintSummary(TextWriter output, IReadOnlyDictionary<string, double> valid, IReadOnlyDictionary<string, double> test)
    {
        output.WriteLine($"{model} on {dataset.Name} ({source.ProtocolName} protocol, seed {source.Seed}): {dataset.UserCount} users, {dataset.ItemCount} items, {dataset.InteractionCount} interactions");
        output.WriteLine($"users: {split.TrainCount} train, {split.Valid.Count} valid, {split.Test.Count} test");
        var header = $"{"split",-6} {"N",3} {"recall",8} {"recall_set",10} {"hitrate",8} {"ndcg",8} {"ndcg_comirec",12} {"ndcg_paper",10}";
        output.WriteLine(header);
        output.WriteLine(new string('-', header.Length));
        foreach (var (name, r) in new[] { ("valid", valid), ("test", test) })
        {
            foreach (var n in EvaluateCommand.Cutoffs)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-6} {n,3} {r[MetricNames.Recall(n)],8:F4} {r[MetricNames.RecallSet(n)],10:F4} {r[MetricNames.HitRate(n)],8:F4} {r[MetricNames.Ndcg(n)],8:F4} {r[MetricNames.NdcgComiRec(n)],12:F4} {r[MetricNames.NdcgComiRecPaper(n)],10:F4}"));
            }
        }
    }

    private void WriteUsers(Utf8JsonWriter w, string name, EvaluationSet set)
    {
        w.WriteStartArray(name);
        for (var i = 0; i < set.Count; i++) w.WriteNumberValue(dataset.OriginalUserId(set.User(i)));
        w.WriteEndArray();
    }

    private static void WriteMetricObject(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, double> metrics)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in metrics) w.WriteNumber(key, value);
        w.WriteEndObject();
    }
}
