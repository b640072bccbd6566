using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Tuning;

namespace Re4.Cli;

/// <summary><c>re4 tune</c>: a budgeted search of τ, λ_ct, λ_att, λ_cs and the learning rate on validation users
/// (successive halving, <see cref="SuccessiveHalvingTuner"/>), resumable; prints the best configuration as a
/// <c>re4 train</c> command and writes <c>tune.json</c>.</summary>
internal static class TuneCommand
{
    private const string Synopsis =
        "re4 tune --data PATH|synthetic --out DIR [--model re4] [--trials 9] [--eta 3] [--min-steps 1000] [--tau-range LO:HI[:log|linear]] ...\n" +
        "Searches tau, lambda-contrast, lambda-attend, lambda-construct and lr on the VALIDATION users by successive halving:\n" +
        "--trials configurations (seeded by --seed) train for --min-steps steps, the best 1/eta of them continue to eta times\n" +
        "as many steps, and so on until one remains. The test users are never read. Every other option is 're4 train''s and\n" +
        "applies to every trial; a parameter given as a 're4 train' flag (--tau 0.2) is fixed, not searched. The state is\n" +
        "saved in DIR after every trial: --resume (with the same options) continues without rerunning a finished trial.\n" +
        "Prints the best configuration as a 're4 train' command and writes DIR/tune.json; the trials' run folders are in\n" +
        "DIR/trials/.\n\n";

    /// <summary>The file of the search's results.</summary>
    public const string ResultFile = "tune.json";

    private const string DefaultModel = "re4";

    /// <summary>The table metrics of a trial's validation (those of <c>compare</c>).</summary>
    private static readonly string[] TrialMetrics = CompareCommand.TableMetrics;

    /// <summary>The searched parameters, each with its <c>train</c> flag's name (also its name in <c>tune.json</c>).</summary>
    private static readonly (TunedParameter Parameter, string Flag)[] Parameters =
    [
        (TunedParameter.Temperature, "tau"),
        (TunedParameter.LambdaContrast, "lambda-contrast"),
        (TunedParameter.LambdaAttend, "lambda-attend"),
        (TunedParameter.LambdaConstruct, "lambda-construct"),
        (TunedParameter.LearningRate, "lr"),
    ];

    /// <summary>The parameter whose <c>train</c> flag (and <c>tune.json</c> name) is <paramref name="flag"/>, or null.</summary>
    public static TunedParameter? ParameterOf(string flag) =>
        Parameters.Where(p => p.Flag == flag).Select(p => (TunedParameter?)p.Parameter).FirstOrDefault();

    private static readonly IReadOnlyDictionary<string, SearchScale> Scales = new Dictionary<string, SearchScale>
    {
        ["log"] = SearchScale.Log,
        ["linear"] = SearchScale.Linear,
    };

    /// <summary>The <c>tune</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var data = new DataOptions("seed of the user split, of the sampled configurations and of every trial's training (default {default})");
        var model = CliOptions.Parsed("model", "NAME", $"any 're4 train --model' name (default {DefaultModel})", ModelPreset.ParseName);
        var flags = new TrainFlags();
        var schedule = new SuccessiveHalvingSchedule();
        var trials = CliOptions.Int("trials", "N", "configurations sampled (rung 0)", schedule.Configurations, min: 1);
        var eta = CliOptions.Int("eta", "E", "each rung keeps the best 1/E and trains them E times as many steps", schedule.ReductionFactor, min: 2);
        var minSteps = CliOptions.Int("min-steps", "S", "steps of rung 0 (rung r trains to S*E^r steps)", checked((int)schedule.MinSteps), min: 1);
        var ranges = Parameters.ToDictionary(p => p.Parameter, p =>
        {
            var fallback = SearchSpace.DefaultRanges[p.Parameter];
            return CliOptions.Parsed<SearchRange>($"{p.Flag}-range", "LO:HI[:S]",
                $"where --{p.Flag} is searched; S is log or linear (default {Format(fallback)})", text => ParseRange(text, p.Flag));
        });
        var outDir = CliOptions.Text("out", "DIR", "writes DIR/tune.json, DIR/tune-state.json and DIR/trials/", required: true);
        var resume = CliOptions.Flag("resume", "continue the search saved in --out DIR (give the same options)");
        var verb = new Verb("tune", "search tau, lambdas and lr on validation users (successive halving); prints the best 'train' command", Synopsis);
        verb.AddOptions([.. data.All, model, trials, eta, minSteps, .. ranges.Values, .. flags.All, outDir, resume]);
        Program.SetRun(verb, context, (parse, c) =>
        {
            var modelName = parse.GetValue(model) ?? DefaultModel;
            if (flags.Problem(parse, modelName) is { } problem) return c.Usage(problem);
            if (parse.GetResult(flags.MaxSteps) is { Implicit: false })
                return c.Usage("option --max-steps does not apply to tune: the trials' steps are --min-steps times a power of --eta");
            var source = data.Read(parse);
            var spec = flags.Read(parse, modelName, source.Seed);
            var train = TrainOptionsByFlag(flags);
            var space = new Dictionary<TunedParameter, SearchRange>();
            foreach (var (parameter, flag) in Parameters)
            {
                var given = parse.GetResult(ranges[parameter]) is { Implicit: false };
                var fixedByFlag = parse.GetResult(train[flag]) is { Implicit: false };
                if (given && fixedByFlag)
                    return c.Usage($"options --{flag} and --{flag}-range exclude each other: --{flag} fixes the value, --{flag}-range searches it");
                var applies = SearchSpace.AppliesTo(parameter, spec.Options.BackwardFlows);
                if (given && !applies)
                    return c.Usage($"option --{flag}-range: {modelName} with these --flows has no flow that --{flag} belongs to");
                if (applies && !fixedByFlag) space[parameter] = parse.GetValue(ranges[parameter]) ?? SearchSpace.DefaultRanges[parameter];
            }

            if (space.Count == 0) return c.Usage("nothing to search: every parameter is fixed by its flag or belongs to no flow of the model");
            var halving = new SuccessiveHalvingSchedule(parse.GetValue(trials), parse.GetValue(eta), parse.GetValue(minSteps));
            try
            {
                halving.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                return c.Usage($"options --trials, --eta, --min-steps: {e.Message.Split(" (Parameter")[0]}");
            }

            // Both ends of every range must give options the trainer accepts (checked here, before any data are read).
            foreach (var end in new[] { space.ToDictionary(r => r.Key, r => r.Value.Low), space.ToDictionary(r => r.Key, r => r.Value.High) })
            {
                try
                {
                    SearchSpace.Apply(spec.Options, end).Validate();
                }
                catch (ArgumentException e)
                {
                    return c.Usage($"a search range gives a value the trainer refuses: {e.Message.Split(" (Parameter")[0]}");
                }
            }

            var outPath = parse.GetValue(outDir)!;
            if (!parse.GetValue(resume) && RunFolder.HoldsAnything(outPath))
                return c.Usage($"option --out: {outPath} is not empty; pass --resume (with the same options) to continue the search there, or choose another folder");
            RunFolder.EnsureWritable(outPath);
            var command = TrainCommandLine(parse, data, model, modelName, flags, space.Keys, outPath);
            return Run(c, source, spec, new SearchSpace(space), halving, outPath, command);
        });
        return verb;
    }

    private static int Run(VerbContext c, DataSource source, TrainSpec spec, SearchSpace space, SuccessiveHalvingSchedule schedule, string outDir,
        Func<IReadOnlyDictionary<TunedParameter, double>, string> command)
    {
        var logger = c.Loggers.CreateLogger("tune");
        var (dataset, split) = source.Load(logger);
        if (split.Valid.Count == 0)
            throw new InvalidOperationException($"the split has no validation users to tune on ({split.TrainCount} training users); use more data or a looser --filter");
        // As 'train' does: sizes the machine cannot hold are refused before the first trial.
        if (MemoryEstimate.Problem(spec.Config(dataset, source.MaxLength), spec.Options, MemoryEstimate.AvailableBytes) is { } tooLarge)
            throw new InvalidOperationException(tooLarge);
        var tuner = new SuccessiveHalvingTuner(split, spec.Config(dataset, source.MaxLength), spec.Options, space, schedule, outDir, logger, spec.Device);
        var progress = new ConsoleProgress(c.Error, !Console.IsErrorRedirected && ReferenceEquals(c.Error, Console.Error));
        var result = tuner.Run(progress, c.Cancellation);
        progress.Finish();

        var entries = result.Trials.Select(t => Entry(t, result.Configurations[t.Configuration])).ToList();
        var best = Entry(result.BestTrial, result.Configurations[result.Best]);
        var line = command(result.Configurations[result.Best]);
        var file = new TuneFile
        {
            Model = spec.ModelName,
            Dataset = dataset.Name,
            Seed = source.Seed,
            SplitSeed = source.SplitSeed,
            Protocol = source.ProtocolName,
            Users = new TuneUsers(split.TrainCount, split.Valid.Count),
            ValidationUsers = spec.Options.ResolveValidationUsers(split.Valid.Count),
            SelectionMetric = spec.Options.SelectionMetric,
            Schedule = new TuneSchedule(schedule.Configurations, schedule.ReductionFactor, schedule.MinSteps,
                schedule.Rungs.Select(r => new TuneRung(r.Index, r.Configurations, r.Steps)).ToList()),
            Space = space.Ranges.ToDictionary(r => Flag(r.Key), r => new TuneRange(r.Value.Low, r.Value.High, CliOptions.NameOf(Scales, r.Value.Scale))),
            Trials = entries,
            Best = best,
            Command = line,
        };
        CliJsonContext.Write(Path.Combine(outDir, ResultFile), file, CliJsonContext.Default.TuneFile);

        var stdout = c.Out;
        var metric = spec.Options.SelectionMetric;
        stdout.WriteLine($"| configuration | rung | steps | {string.Join(" | ", space.Ranges.Keys.Select(Flag))} | valid {metric} |");
        stdout.WriteLine($"|---:|---:|---:|{string.Concat(space.Ranges.Keys.Select(_ => "---:|"))}---:|");
        foreach (var t in entries)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Configuration} | {t.Rung} | {t.Steps} | {string.Join(" | ", t.Config.Values.Select(CliOptions.Format))} | {t.Valid[metric]:F4} |"));
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"best: configuration {best.Configuration} ({string.Join(", ", best.Config.Select(p => $"{p.Key} {CliOptions.Format(p.Value)}"))}), valid {metric} {best.Valid[metric]:F4} after {best.Steps} steps"));
        stdout.WriteLine("train it with:");
        stdout.WriteLine(line);
        stdout.WriteLine($"wrote {Path.Combine(outDir, ResultFile)}; the trials' run folders are in {Path.Combine(outDir, SuccessiveHalvingTuner.TrialsFolder)}");
        return 0;
    }

    private static TuneTrialEntry Entry(TuningTrial t, IReadOnlyDictionary<TunedParameter, double> values) => new()
    {
        Configuration = t.Configuration,
        Rung = t.Rung,
        Budget = t.Budget,
        Steps = t.Steps,
        BestStep = t.BestStep,
        StopReason = t.StopReason,
        Config = values.ToDictionary(v => Flag(v.Key), v => v.Value),
        Valid = TrialMetrics.Where(t.Validation.ContainsKey).ToDictionary(m => m, m => t.Validation[m]),
    };

    private static string Flag(TunedParameter parameter) => Parameters.Single(p => p.Parameter == parameter).Flag;

    /// <summary>The <c>train</c> flag of each searched parameter.</summary>
    private static Dictionary<string, Option> TrainOptionsByFlag(TrainFlags flags) => new()
    {
        ["tau"] = flags.Tau,
        ["lambda-contrast"] = flags.LambdaContrast,
        ["lambda-attend"] = flags.LambdaAttend,
        ["lambda-construct"] = flags.LambdaConstruct,
        ["lr"] = flags.LearningRate,
    };

    /// <summary>Makes the <c>re4 train</c> command of a configuration: the data and train options as given (but the searched
    /// ones), the configuration's values, and <c>--out DIR/best</c>.</summary>
    private static Func<IReadOnlyDictionary<TunedParameter, double>, string> TrainCommandLine(ParseResult parse, DataOptions data, Option model, string modelName,
        TrainFlags flags, IEnumerable<TunedParameter> searched, string outDir)
    {
        var train = TrainOptionsByFlag(flags);
        var skipped = searched.Select(p => train[Flag(p)]).ToHashSet();
        var tokens = new List<string> { "re4", "train" };
        foreach (var option in data.All) tokens.AddRange(Given(parse, option));
        tokens.AddRange(["--model", modelName]);
        foreach (var option in flags.All.Where(o => !skipped.Contains(o))) tokens.AddRange(Given(parse, option));
        return values =>
        {
            var line = new List<string>(tokens);
            foreach (var (parameter, value) in values) line.AddRange(["--" + Flag(parameter), CliOptions.Format(value)]);
            line.AddRange(["--out", Path.Combine(outDir, "best")]);
            return string.Join(' ', line.Select(Quote));
        };
    }

    private static IEnumerable<string> Given(ParseResult parse, Option option) =>
        parse.GetResult(option) is { Implicit: false } r ? [option.Name, .. r.Tokens.Select(t => t.Value)] : [];

    /// <summary>A token as a POSIX shell reads it back: bare when it is plain, else in single quotes.</summary>
    private static string Quote(string token) =>
        token.Length > 0 && token.All(ch => char.IsAsciiLetterOrDigit(ch) || "-_.,:/=@+".Contains(ch))
            ? token
            : "'" + token.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Format(SearchRange range) =>
        $"{CliOptions.Format(range.Low)}:{CliOptions.Format(range.High)}:{CliOptions.NameOf(Scales, range.Scale)}";

    private static (SearchRange? Value, string? Error) ParseRange(string text, string flag)
    {
        var parts = text.Split(':');
        var error = $"option --{flag}-range expects LO:HI or LO:HI:log or LO:HI:linear with LO <= HI, not '{text}'";
        if (parts.Length is < 2 or > 3) return (null, error);
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high))
            return (null, error);
        var scale = SearchScale.Log;
        if (parts.Length == 3 && !Scales.TryGetValue(parts[2].ToLowerInvariant(), out scale)) return (null, error);
        var range = new SearchRange(low, high, scale);
        try
        {
            range.Validate(flag);
        }
        catch (ArgumentOutOfRangeException e)
        {
            return (null, $"option --{flag}-range: {e.Message.Split(" (Parameter")[0]}");
        }

        return (range, null);
    }
}
