using System.Diagnostics;
using System.Globalization;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Models;

namespace Re4.Cli;

/// <summary><c>re4 evaluate</c>: evaluates a model on the validation and test users of a split.</summary>
internal static class EvaluateCommand
{
    private const string Synopsis =
        "re4 evaluate --data PATH|synthetic (--model most-popular | --checkpoint DIR) --out DIR [options]\n" +
        "Evaluates a model under the ComiRec protocol (or leave-one-out) on validation and test users.\n\n";

    private const string MostPopular = "most-popular";

    /// <summary>The cutoffs N of every metric the CLI reports: the library's default.</summary>
    public static readonly IReadOnlyList<int> Cutoffs = new EvaluationOptions().Cutoffs;

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
        var metrics = report.Metrics(valid.Metrics, test.Metrics) with
        {
            LoadSeconds = Math.Round(loadSeconds, 3),
            EvaluateSeconds = Math.Round(evalSeconds, 3),
        };
        CliJsonContext.Write(Path.Combine(outDir, "metrics.json"), metrics, CliJsonContext.Default.RunMetrics);
        if (dump)
        {
            report.WriteSplit(Path.Combine(outDir, "split.json"));
            report.WriteRecommendations(Path.Combine(outDir, "recommendations.tsv"), split.Test, test);
        }

        return (valid, test, report);
    }

    /// <summary>The <c>evaluate</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var data = new DataOptions();
        var model = CliOptions.Text("model", "M", $"{MostPopular} (the default without --checkpoint)");
        var checkpoint = CliOptions.Text("checkpoint", "DIR",
            "a model trained by 're4 train' (its run folder or its model/ folder);\ngive the data options the model was trained with");
        var device = CliOptions.DeviceOption("where a checkpoint's encoder runs");
        var excludeHistory = CliOptions.Flag("exclude-history", "never recommend an item of the user's own history (default: not filtered, as ComiRec)");
        var outDir = CliOptions.Text("out", "DIR", "writes DIR/metrics.json", required: true);
        var dump = CliOptions.Flag("dump", "also writes DIR/split.json and DIR/recommendations.tsv (top 50 per test user, original ids)");
        var verb = new Verb("evaluate", "evaluate MostPopular or a trained checkpoint on a data split; writes metrics.json", Synopsis);
        verb.AddOptions([.. data.All, model, checkpoint, device, excludeHistory, outDir, dump]);
        Program.SetRun(verb, context, (parse, c) => Run(c, data.Read(parse), parse.GetValue(model), parse.GetValue(checkpoint), parse.GetValue(device)!,
            parse.GetValue(excludeHistory), parse.GetValue(outDir)!, parse.GetValue(dump)));
        return verb;
    }

    private static int Run(VerbContext c, DataSource source, string? modelName, string? checkpoint, TorchSharp.torch.Device device, bool excludeHistory,
        string outDir, bool dump)
    {
        if (checkpoint is null && modelName is not null && modelName != MostPopular)
            return c.Usage($"option --model {modelName} needs --checkpoint DIR (train it with 're4 train'); without a checkpoint only most-popular is evaluated");

        var logger = c.Loggers.CreateLogger("evaluate");
        var clock = Stopwatch.StartNew();
        var (dataset, split) = source.Load(logger);
        DataSource.RequireEvaluationUsers(split);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        IRecommender recommender;
        string model;
        // The checkpoint's weights and the recommender's scorer are native memory: both are released when the verb ends.
        using var loaded = checkpoint is null ? null : CliModels.LoadCheckpoint(checkpoint, dataset, device);
        using var trained = loaded is null ? null : new MultiInterestRecommender(loaded.Model, CliModels.Name(loaded.Model.Config));
        if (loaded is null || trained is null)
        {
            recommender = new MostPopularRecommender(split);
            model = MostPopular;
        }
        else
        {
            model = trained.Name;
            if (modelName is not null && modelName != model && modelName != CliModels.Name(loaded.Model.Config.Encoder))
                return c.Usage($"option --model {modelName} does not match the checkpoint, which holds a {model} model");
            recommender = trained;
        }

        var (valid, test, report) = EvaluateAndWrite(recommender, model, dataset, split, source, excludeHistory, dump, outDir, loadSeconds);
        report.PrintSummary(c.Out, valid.Metrics, test.Metrics);
        c.Out.WriteLine($"wrote {Path.Combine(outDir, "metrics.json")}{(dump ? ", split.json, recommendations.tsv" : string.Empty)}");
        return 0;
    }
}
