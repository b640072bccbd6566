using System.CommandLine;
using System.CommandLine.Help;
using Microsoft.Extensions.Logging;
using Re4.Recommenders.Data;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>The <c>re4</c> command line: whole jobs (train, evaluate, recommend, export, publish, compare, tune, diagnostics, bench, generate).</summary>
public static class Program
{
    private const string Intro =
        "re4: multi-interest recommendation (Re4, ComiRec) on the command line\n\n" +
        "usage: re4 <verb> [options]    (re4 <verb> --help for the verb's options)\n\n" +
        "verbs:\n";

    /// <summary>The environment variable that, set to 0 (or false, no), leaves the C library's allocator as it is.</summary>
    internal const string KeepFreedMemoryVariable = "RE4_KEEP_FREED_MEMORY";

    /// <summary>The C library allocator's setting: <c>retained</c> when <see cref="Main"/> set it to keep freed memory
    /// (<see cref="NativeAllocator"/>), <c>environment</c> when the environment set it, <c>default</c> otherwise
    /// (<see cref="Run"/> alone, as the tests call it, changes nothing).</summary>
    internal static string Allocator { get; private set; } = "default";

    /// <summary>Runs a verb; returns 0 on success, 1 on a failed job, 2 on a usage error, 130 when cancelled.</summary>
    public static int Main(string[] args)
    {
        OpenMpWaitPolicy.PreferPassive();   // before anything loads libtorch
        // A training step reuses its buffers instead of faulting in fresh pages; RE4_KEEP_FREED_MEMORY=0 keeps glibc's defaults.
        var optOut = Environment.GetEnvironmentVariable(KeepFreedMemoryVariable)?.Trim().ToLowerInvariant() is "0" or "false" or "no";
        Allocator = NativeAllocator.SetByEnvironment() ? "environment" : !optOut && NativeAllocator.RetainFreedMemory() ? "retained" : "default";
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
        var root = CreateRoot();
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            stdout.Write(Usage(root));
            return args.Length == 0 ? VerbContext.UsageExitCode : 0;
        }

        // No response files (@file): an argument starting with @ is a value like any other, as before.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var parsed = parse.CommandResult.Command;
        if (parsed == root)
        {
            stderr.WriteLine(ConsoleText.OneLine($"re4 {args[0]}: unknown verb '{args[0]}'; verbs: {string.Join(", ", root.Subcommands.Select(c => c.Name))}"));
            return VerbContext.UsageExitCode;
        }

        // The verb as typed, even when the logging switches come first ('re4 --quiet train ...').
        var verbResult = parse.CommandResult;
        while (verbResult.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Command != root) verbResult = parent;
        var verb = verbResult.Command.Name;
        if (parse.Action is HelpAction)
        {
            // 're4 bench --help' is the help of its first target, 'bench scoring' ('re4 bench train --help' for the other).
            var help = parsed as Verb ?? parsed.Subcommands.OfType<Verb>().First();
            stdout.Write(help.Help(root.Options.Where(o => o.Recursive)));
            return 0;
        }

        if (parsed is not Verb)
        {
            stderr.WriteLine($"re4 {verb}: {verb} needs a target: re4 {verb} {parsed.Subcommands[0].Name} [options] (see 're4 {verb} --help')");
            return VerbContext.UsageExitCode;
        }

        var usageError = CliErrors.Describe(parse, verb);
        // Two log levels at once is a contradiction in a script, not a choice for re4 to make silently.
        if (usageError is null && parse.GetResult(Quiet(root)) is { Implicit: false } && parse.GetResult(Verbose(root)) is { Implicit: false })
            usageError = "options --quiet and --verbose cannot be combined (--quiet logs warnings and errors only, --verbose adds debug messages)";
        if (usageError is not null)
        {
            stderr.WriteLine($"re4 {verb}: {ConsoleText.OneLine(usageError)}");
            return VerbContext.UsageExitCode;
        }

        try
        {
            var invocation = new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                // Failures are ours to report (one line, exit code 1), and Ctrl+C is handled by Main.
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return parse.InvokeAsync(invocation, cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"re4 {verb}: cancelled; a run with --out DIR continues from its last validation with --resume");
            return 130;
        }
        catch (Exception e) when (e is DataFormatException or FileNotFoundException or DirectoryNotFoundException or IOException
                                      or InvalidDataException or InvalidOperationException or ArgumentException or UnauthorizedAccessException
                                      or Re4.Recommenders.Training.TrainingDivergedException or System.Text.Json.JsonException)
        {
            stderr.WriteLine($"re4 {verb}: error: {ConsoleText.OneLine(e)}");
            return 1;
        }
        catch (OutOfMemoryException)
        {
            stderr.WriteLine($"re4 {verb}: error: out of memory; use smaller sizes (--top, --interests, --dim, --batch-size) or a machine with more memory");
            return 1;
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // libtorch's c10 errors surface as ExternalException with a native backtrace below the first line.
            stderr.WriteLine($"re4 {verb}: error: libtorch failed: {ConsoleText.OneLine(e)}");
            return 1;
        }
        catch (Exception e)
        {
            // Anything else is a bug of re4: still one line and exit 1 (the documented codes); --verbose shows where.
            stderr.WriteLine($"re4 {verb}: unexpected error ({e.GetType().Name}): {ConsoleText.OneLine(e)}{(args.Contains("--verbose") ? string.Empty : "; rerun with --verbose for the stack trace")}");
            if (args.Contains("--verbose"))
            {
                foreach (var line in e.ToString().Split('\n')) stderr.WriteLine(ConsoleText.Escape(line.TrimEnd('\r')));
            }

            return 1;
        }
    }

    private static Option<bool> Quiet(RootCommand root) => root.Options.OfType<Option<bool>>().Single(o => o.Name == "--quiet");

    private static Option<bool> Verbose(RootCommand root) => root.Options.OfType<Option<bool>>().Single(o => o.Name == "--verbose");

    /// <summary>The command tree: every verb with its options and action, and the logging switches every verb takes.</summary>
    internal static RootCommand CreateRoot()
    {
        var verbose = CliOptions.Flag("verbose", "log debug messages too");
        var quiet = CliOptions.Flag("quiet", "log warnings and errors only");
        verbose.Recursive = quiet.Recursive = true;
        var root = new RootCommand(Intro);
        // Neither --version nor [directives]: re4 never had them, and the verbs are the whole surface.
        root.Options.Remove(root.Options.OfType<VersionOption>().Single());
        root.Directives.Clear();
        root.Options.Add(verbose);
        root.Options.Add(quiet);

        Func<ParseResult, CancellationToken, VerbContext> context = (parse, cancellationToken) =>
        {
            var level = parse.GetValue(verbose) ? LogLevel.Debug : parse.GetValue(quiet) ? LogLevel.Warning : LogLevel.Information;
            var loggers = LoggerFactory.Create(b => b
                .SetMinimumLevel(level)
                .AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var verb = parse.CommandResult;
            while (verb.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Command != root) verb = parent;
            return new VerbContext(verb.Command.Name, loggers, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        };
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(EvaluateCommand.Create(context));
        root.Subcommands.Add(RecommendCommand.Create(context));
        root.Subcommands.Add(ExportCommand.Create(context));
        root.Subcommands.Add(PublishCommand.Create(context));
        root.Subcommands.Add(CompareCommand.Create(context));
        root.Subcommands.Add(TuneCommand.Create(context));
        root.Subcommands.Add(DiagnosticsCommand.Create(context));
        root.Subcommands.Add(BenchCommand.Create(context));
        root.Subcommands.Add(GenerateCommand.Create(context));
        return root;
    }

    /// <summary>Binds <paramref name="run"/> as <paramref name="verb"/>'s action; the loggers live as long as the run.</summary>
    internal static void SetRun(Command verb, Func<ParseResult, CancellationToken, VerbContext> context, Func<ParseResult, VerbContext, int> run) =>
        verb.SetAction((parse, cancellationToken) =>
        {
            var c = context(parse, cancellationToken);
            using (c.Loggers) return Task.FromResult(run(parse, c));
        });

    private static string Usage(RootCommand root) =>
        root.Description + string.Concat(root.Subcommands.Select(v => $"  {(v.Name.Length < 10 ? v.Name.PadRight(10) + " " : v.Name + "  ")}{v.Description}\n"));
}
