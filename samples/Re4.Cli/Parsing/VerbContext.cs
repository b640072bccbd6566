using Microsoft.Extensions.Logging;

namespace Re4.Cli;

/// <summary>What a verb's action runs with: where results and errors go, its loggers and its cancellation.</summary>
/// <param name="Verb">The verb as typed (<c>train</c>, <c>bench</c>): the prefix of its one-line messages.</param>
/// <param name="Loggers">Logs, at the level <c>--verbose</c>/<c>--quiet</c> chose.</param>
/// <param name="Out">Results.</param>
/// <param name="Error">Errors and progress.</param>
/// <param name="Cancellation">Ctrl+C.</param>
internal sealed record VerbContext(string Verb, ILoggerFactory Loggers, TextWriter Out, TextWriter Error, CancellationToken Cancellation)
{
    /// <summary>Exit code of a usage error.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Reports a usage error the parser cannot see (options that do not combine, a name the checkpoint
    /// contradicts) as one line, and returns the usage exit code.</summary>
    public int Usage(string message)
    {
        Error.WriteLine($"re4 {Verb}: {ConsoleText.OneLine(message)}");
        return UsageExitCode;
    }
}
