using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;

namespace Re4.Cli;

/// <summary><c>re4 generate</c>: streams a planted-interest interaction log to a ComiRec CSV file (catalogue-scale test
/// data without a download), through <see cref="SyntheticLogWriter"/>.</summary>
internal static class GenerateCommand
{
    private const string Synopsis =
        "re4 generate --out FILE [--shape small|taobao] [--users N] [--items N] [--seed S]\n" +
        "Writes user_id,item_id,timestamp lines (ComiRec's CSV, read back with --data FILE), in time order within blocks of\n" +
        "4096 users, streaming: memory stays a few megabytes whatever the size.\n\n";

    private static readonly IReadOnlyDictionary<string, SyntheticShape> Shapes = new Dictionary<string, SyntheticShape>
    {
        ["small"] = SyntheticShape.Small,
        ["taobao"] = SyntheticShape.Taobao,
    };

    /// <summary>The <c>generate</c> verb: its options and its action.</summary>
    public static Verb Create(Func<ParseResult, CancellationToken, VerbContext> context)
    {
        var outFile = CliOptions.Text("out", "FILE", "the file to write (replaced if it exists)", required: true);
        var shape = CliOptions.Choice("shape", "sizes: small (the data of --data synthetic) or taobao (1,000,000 users, 1,700,000 items, about 85 M lines)",
            Shapes, SyntheticShape.Taobao);
        var users = CliOptions.OptionalInt("users", "N", "overrides the shape's number of users", min: 1);
        var items = CliOptions.OptionalInt("items", "N", "overrides the shape's number of items", min: 1);
        var seed = CliOptions.Int("seed", "S", "random seed", new SyntheticDataOptions().Seed);
        var verb = new Verb("generate", "write a planted-interest synthetic interaction log (ComiRec CSV), streaming", Synopsis);
        verb.AddOptions(outFile, shape, users, items, seed);
        Program.SetRun(verb, context, (parse, c) =>
        {
            var options = parse.GetValue(shape) == SyntheticShape.Taobao ? SyntheticDataOptions.TaobaoShape() : new SyntheticDataOptions();
            if (parse.GetValue(users) is { } u) options.Users = u;
            if (parse.GetValue(items) is { } i) options.Items = i;
            options.Seed = parse.GetValue(seed);
            return Run(c, parse.GetValue(outFile)!, options);
        });
        return verb;
    }

    private static int Run(VerbContext c, string path, SyntheticDataOptions options)
    {
        var logger = c.Loggers.CreateLogger("generate");
        logger.LogInformation("Writing {Users} users over {Items} items to {Path}", options.Users, options.Items, path);
        var clock = Stopwatch.StartNew();
        var lastReport = 0L;
        var progress = new InlineProgress<long>(lines =>
        {
            if (lines - lastReport < 10_000_000) return;
            lastReport = lines;
            logger.LogInformation("{Lines} lines written", lines);
        });
        SyntheticLogSummary summary;
        try
        {
            summary = SyntheticLogWriter.Write(path, options, progress, c.Cancellation);
        }
        catch (ArgumentOutOfRangeException e)
        {
            return c.Usage(e.Message);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        c.Out.WriteLine(FormattableString.Invariant(
            $"wrote {summary.Interactions} lines ({summary.Users} users, {summary.DistinctItems} distinct items, {summary.Bytes / 1e6:F0} MB) to {path} in {seconds:F1} s"));
        return 0;
    }
}
