using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;

namespace Re4.Cli;

/// <summary>The <c>re4</c> command line: whole jobs (evaluate; train, recommend and bench come with later releases).</summary>
public static class Program
{
    private const string Usage =
        "re4: multi-interest recommendation (Re4, ComiRec) on the command line\n\n" +
        "usage: re4 <verb> [options]    (re4 <verb> --help for the verb's options)\n\n" +
        "verbs:\n" +
        "  train      train a multi-interest model (ComiRec-SA/-DR, MIND, YouTube DNN, GRU4Rec) and evaluate it\n" +
        "  evaluate   evaluate MostPopular or a trained checkpoint on a data split; writes metrics.json\n" +
        "  recommend  top-N items for one history from a trained checkpoint, as JSON\n" +
        "  compare    train several models with several seeds on one split; the paper's table, mean ± std (compare.md/.json/.png)\n" +
        "  diagnostics  one user's interest attention and interest similarity from a checkpoint (diagnostics.png/.json)\n" +
        "  bench      bench scoring: exact top-N retrieval throughput against this machine's matmul and memory speed\n";

    private static readonly IReadOnlySet<string> Flags = new HashSet<string> { "dump", "help", "exclude-history", "verbose", "quiet", "resume", "detach-attend", "reverse-history", "json" };

    /// <summary>Runs a verb; returns 0 on success, 1 on a failed job, 2 on a usage error.</summary>
    public static int Main(string[] args)
    {
        // Ctrl+C stops training between steps; the last validation's checkpoint stays resumable.
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return Run(args, Console.Out, Console.Error, cancel.Token);
    }

    /// <summary>Runs a verb writing results to <paramref name="stdout"/> and logs and errors to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            stdout.Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var verb = args[0];
        try
        {
            var parsed = new CliArguments(verb == "bench" ? BenchCommand.Options(args) : args.Skip(1), Flags);
            var help = verb switch
            {
                "evaluate" => EvaluateCommand.Help,
                "train" => TrainCommand.Help,
                "recommend" => RecommendCommand.Help,
                "compare" => CompareCommand.Help,
                "diagnostics" => DiagnosticsCommand.Help,
                "bench" => BenchCommand.Help,
                _ => throw new UsageException($"unknown verb '{verb}'; verbs: train, evaluate, recommend, compare, diagnostics, bench"),
            };
            if (parsed.Flag("help"))
            {
                stdout.Write(help);
                return 0;
            }

            var level = parsed.Flag("verbose") ? LogLevel.Debug : parsed.Flag("quiet") ? LogLevel.Warning : LogLevel.Information;
            using var loggers = LoggerFactory.Create(b => b
                .SetMinimumLevel(level)
                .AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            return verb switch
            {
                "evaluate" => EvaluateCommand.Run(parsed, loggers, stdout),
                "train" => TrainCommand.Run(parsed, loggers, stdout, stderr, cancellationToken),
                "recommend" => RecommendCommand.Run(parsed, loggers, stdout),
                "compare" => CompareCommand.Run(parsed, loggers, stdout, stderr, cancellationToken),
                "diagnostics" => DiagnosticsCommand.Run(parsed, loggers, stdout),
                "bench" => BenchCommand.Run(parsed, stdout),
                _ => 2,
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"re4 {verb}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"re4 {verb}: cancelled; a run with --out DIR continues from its last validation with --resume");
            return 130;
        }
        catch (Re4.Recommenders.Training.TrainingDivergedException e)
        {
            stderr.WriteLine($"re4 {verb}: error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is DataFormatException or FileNotFoundException or DirectoryNotFoundException or IOException
                                      or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"re4 {verb}: error: {e.Message}");
            return 1;
        }
    }
}
