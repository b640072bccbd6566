// Re4.Recommenders quickstart: train ComiRec-SA and Re4 on the same split and compare them with MostPopular.
// With no arguments it uses the built-in synthetic planted-interest data (no download); with --data PATH a real file
// (any format the loaders read). Each model trains StepsPerModel steps (at most --minutes) on the CPU.
using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Baselines;
using Re4.Recommenders.Data;
using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

// Each model's training budget: a few minutes on a laptop CPU, enough for Re4's flows to show on the synthetic data.
const int StepsPerModel = 2000;
const double DefaultMinutes = 4;

var dataOption = new Option<string?>("--data") { HelpName = "PATH", Description = "an interaction file (default: the built-in synthetic data)" };
var minutesOption = new Option<double>("--minutes")
{
    HelpName = "M",
    Description = $"at most M minutes of training per model (default {DefaultMinutes.ToString(CultureInfo.InvariantCulture)})",
    DefaultValueFactory = _ => DefaultMinutes,
    CustomParser = r =>
    {
        var text = r.Tokens.Count == 0 ? string.Empty : r.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0 && double.IsFinite(m)) return m;
        r.AddError($"--minutes expects a positive number, not '{text}'");
        return DefaultMinutes;
    },
};
var command = new RootCommand($"Re4.Quickstart: trains ComiRec-SA and Re4 ({StepsPerModel:N0} steps each, or at most --minutes each) and prints them against MostPopular.")
{
    dataOption,
    minutesOption,
};
command.Options.Remove(command.Options.OfType<VersionOption>().Single());
command.Directives.Clear();
var parse = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parse.Action is HelpAction)
{
    Console.WriteLine(command.Description);
    foreach (var option in new Option[] { dataOption, minutesOption }) Console.WriteLine($"  {option.Name + " " + option.HelpName,-16}{option.Description}");
    return 0;
}

if (parse.Errors.Count > 0)
{
    // One line, as the re4 command line reports usage errors: the first problem and where to look.
    var problem = parse.UnmatchedTokens.Count > 0 ? $"unknown argument '{parse.UnmatchedTokens[0]}'" : parse.Errors[0].Message;
    Console.Error.WriteLine($"{problem} (try --help)");
    return 2;
}

// A training app's start-up: glibc keeps freed memory for reuse, so each step reuses libtorch's buffers (process-wide).
NativeAllocator.RetainFreedMemory();
var dataPath = parse.GetValue(dataOption);
var minutes = parse.GetValue(minutesOption);

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
var logger = loggers.CreateLogger("quickstart");

// 1. Data: load (or generate), filter as ComiRec does, split users 80/10/10.
var raw = dataPath is null
    ? PlantedInterestGenerator.Generate(new SyntheticDataOptions())
    : InteractionFileReader.Load(dataPath, new LoadOptions { Logger = logger });
var dataset = DatasetPreparation.Prepare(raw, DatasetFilter.ComiRec(), logger);
var split = DataSplitter.ComiRec(dataset, seed: 2022);
Console.WriteLine($"{dataset.Name}: {dataset.UserCount} users, {dataset.ItemCount} items, {dataset.InteractionCount} interactions; " +
                  $"{split.TrainCount} train / {split.Valid.Count} valid / {split.Test.Count} test users");

// 2. The baseline.
var popular = RetrievalEvaluator.Evaluate(new MostPopularRecommender(split), split.Test);

// 3. ComiRec-SA and Re4 (the same encoder plus the three backward flows), each selected on validation users with the
//    same step and time budget, then evaluated once on test users.
var (sa, saDiagnostics) = Train("ComiRec-SA", new BackwardFlowOptions());
// Re4 with the reference λ's and a softer re-contrast temperature: on planted data the reference τ = 0.02 pulls a user's
// interests onto shared items (topic purity falls), while τ = 0.2 was best on validation users (docs/reproduction.md).
var (re4, re4Diagnostics) = Train("Re4", BackwardFlowOptions.Reference with { Contrast = new ReContrastOptions { Temperature = 0.2 } });

// 4. The comparison table (test users).
Console.WriteLine();
Console.WriteLine($"{"model",-12} {"Recall@20",10} {"NDCG@20",10} {"HitRate@20",11} {"Recall@50",10} {"NDCG@50",10} {"HitRate@50",11}");
Row("MostPopular", popular.Metrics);
Row("ComiRec-SA", sa.Test!);
Row("Re4", re4.Test!);
Console.WriteLine("(NDCG: standard binary NDCG; see docs/evaluation.md for the ComiRec flavours)");

// 5. What the backward flows change in the interests (test users; docs/concepts.md explains each measure).
Console.WriteLine();
Console.WriteLine($"{"model",-12} {"interest cosine",16} {"attention KL",13} {"topic purity",13}");
DiagnosticsRow("ComiRec-SA", saDiagnostics);
DiagnosticsRow("Re4", re4Diagnostics);
Console.WriteLine("(interest cosine: mean pairwise cosine of a user's interests, lower = more distinct; attention KL: how far the");
Console.WriteLine(" encoder's attention is from the dot-product relevance retrieval uses; topic purity: planted data only)");

var gain = re4.Test![MetricNames.Recall(50)] / Math.Max(1e-12, popular[MetricNames.Recall(50)]);
Console.WriteLine();
Console.WriteLine($"Re4 retrieves {gain:F1}x the test items MostPopular does at N = 50 " +
                  $"(ComiRec-SA: {sa.Test![MetricNames.Recall(50)] / Math.Max(1e-12, popular[MetricNames.Recall(50)]):F1}x).");
return 0;

(TrainingResult Result, InterestDiagnosticsReport Diagnostics) Train(string name, BackwardFlowOptions flows)
{
    // K and d are the library's defaults (ModelConfig): 4 interests of 64 dimensions, as in the papers. So is the training
    // recipe (0.3): every prefix of every user, most recent item first, and a full softmax for a catalogue this small
    // (NegativeSampling.Auto); TrainerOptions.ComiRec() with ReverseHistory = false would give ComiRec's recipe instead.
    var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = dataset.ItemCount, MaxLength = split.MaxLength };
    var options = new TrainerOptions
    {
        MaxSteps = StepsPerModel, MaxDuration = TimeSpan.FromMinutes(minutes), EvaluateEvery = 250, Patience = 4, BackwardFlows = flows,
    };
    var clock = Stopwatch.StartNew();
    using var trainer = new MultiInterestTrainer(split, config, options, logger);
    var result = trainer.Fit();
    Console.WriteLine($"{name}: trained {result.Steps} steps in {clock.Elapsed.TotalSeconds:F0} s ({result.StopReason.ToIdentifier()}, {trainer.Softmax} softmax), best validation at step {result.BestStep}");
    Func<int, int>? topicOf = dataPath is null
        ? item => PlantedInterestGenerator.TopicOf(dataset.OriginalItemId(item), new SyntheticDataOptions().Topics)
        : null;
    return (result, InterestDiagnostics.Compute(trainer.Model, split.Test, topicOf));
}

static void Row(string name, IReadOnlyDictionary<string, double> m) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-12} {m[MetricNames.Recall(20)],10:F4} {m[MetricNames.Ndcg(20)],10:F4} {m[MetricNames.HitRate(20)],11:F4} {m[MetricNames.Recall(50)],10:F4} {m[MetricNames.Ndcg(50)],10:F4} {m[MetricNames.HitRate(50)],11:F4}"));

static void DiagnosticsRow(string name, InterestDiagnosticsReport d) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-12} {d.Distinctness,16:F4} {d.AttentionDisagreement,13:F3} {(d.TopicPurity is { } p ? p.ToString("F4", CultureInfo.InvariantCulture) : "-"),13}"));
