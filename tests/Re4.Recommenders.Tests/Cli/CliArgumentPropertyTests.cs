using CsCheck;
using Re4.Cli;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>Issue 11: random command lines from the real verbs and option names (read from their help) with random
/// values end in a usage error (exit 2) or a job error (exit 1), each one line without control characters; never an
/// unexpected exception. The data and checkpoint paths never name real data, so no job trains: the verbs fail on their
/// input, which is what is under test. <c>bench scoring</c> is left out: it runs whatever sizes it is given.</summary>
public sealed class CliArgumentPropertyTests
{
    private const int Iterations = 400;

    private static readonly string[] Verbs = ["train", "evaluate", "recommend", "compare", "diagnostics"];

    private static readonly string[] Values =
    [
        "0", "1", "-1", "7", "2147483648", "-2147483649", "9223372036854775808", "1e300", "-1e300", "1e-300", "NaN", "Infinity", "0.5", "abc", "",
        " ", "\u001B]0;t\u0007", "\u202E", "comirec-sa", "re4", "most-popular", "none", "kcore:0", "kcore:99999999999", "comirec:1,", "contrast,x",
        "adaptive", "cuda", "cpu", "auto", "taobao", "1,2,3", "1 2 3", "-", "--", "@file", "=", "synthetic",
    ];

    [Fact]
    public void Run_EndsInOneLineUsageOrJobError_ForRandomArguments()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "missing");
        var options = Verbs.ToDictionary(v => v, OptionsOf);
        var codes = new Dictionary<int, int>();
        var gen = Gen.Select(Gen.Int[0, Verbs.Length - 1], Gen.Int[0, 1000].Array[0, 8], Gen.Int[0, Values.Length - 1].Array[8], Gen.Bool.Array[8]);

        gen.Sample(m =>
        {
            var (verbIndex, picks, values, withEquals) = m;
            var verb = Verbs[verbIndex];
            var names = options[verb];
            var args = new List<string> { verb };
            for (var i = 0; i < picks.Length; i++)
            {
                var name = names[picks[i] % names.Length];
                // Paths never reach real data or an existing run: the job fails on its input instead of training.
                var value = name is "--data" or "--checkpoint" or "--out" ? missing + i : Values[values[i]];
                if (withEquals[i]) args.Add($"{name}={value}");
                else args.AddRange([name, value]);
            }

            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = Program.Run([.. args], stdout, stderr);

            var err = stderr.ToString();
            code.Should().BeOneOf([0, 1, 2], err);
            if (code != 0)
            {
                err.TrimEnd('\r', '\n').Should().NotContainAny(["\n"], "an error is one line: " + err);
                err.Should().NotContain("unexpected error");
                err.TrimEnd('\r', '\n').Any(c => c != '\t' && char.IsControl(c)).Should().BeFalse(err);
            }

            codes[code] = codes.GetValueOrDefault(code) + 1;
        }, iter: Iterations, threads: 1);

        codes.Values.Sum().Should().Be(Iterations);
    }

    /// <summary>The verb's option names as its help lists them (the parser's own list, not one written here).</summary>
    private static string[] OptionsOf(string verb)
    {
        var stdout = new StringWriter();
        Program.Run([verb, "--help"], stdout, new StringWriter()).Should().Be(0);
        return stdout.ToString().Split('\n').Where(l => l.StartsWith("  --", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0]).Where(o => o is not "--help").ToArray();
    }
}
