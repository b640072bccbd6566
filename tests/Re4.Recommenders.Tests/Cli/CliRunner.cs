using Re4.Cli;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>Runs the <c>re4</c> command line in-process, as the CLI tests do, capturing what it writes.</summary>
internal static class CliRunner
{
    /// <summary>Runs <paramref name="args"/>; returns the exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
