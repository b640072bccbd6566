using System.Globalization;
using System.Text.Json;
using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

public sealed class TuneCommandTests
{
    /// <summary>4 configurations, η = 2, 10 steps: 4 trials to step 10, 2 to step 20, 1 to step 40.</summary>
    private static readonly string[] Tiny =
        ["--model", "re4", "--flows", "contrast", "--trials", "4", "--eta", "2", "--min-steps", "10", "--eval-every", "5", "--dim", "8", "--interests", "2",
         "--batch-size", "16", "--negatives", "32", "--max-len", "8", "--filter", "none", "--split-seed", "1", "--tau-range", "0.05:1", "--quiet"];

    private static string TinyData(TempDir dir)
    {
        var raw = Re4.Recommenders.Data.PlantedInterestGenerator.Generate(new() { Users = 200, Items = 120, Topics = 6, MinLength = 6, MaxLength = 12, Seed = 9 });
        var data = Path.Combine(dir.Path, "tiny.txt");
        Re4.Recommenders.Data.PlantedInterestGenerator.WriteSequences(raw, data);
        return data;
    }

    [Fact]
    public void Tune_HalvesTheConfigurationsRungByRung_AndWritesTuneJsonWithTheBestTrainCommand()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var outDir = Path.Combine(dir.Path, "tune");

        var (code, output, err) = Run(["tune", "--data", data, "--out", outDir, .. Tiny]);

        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "tune.json")));
        var root = json.RootElement;
        root.GetProperty("model").GetString().Should().Be("re4");
        root.GetProperty("selection_metric").GetString().Should().Be("recall@50");
        root.GetProperty("validation_users").GetInt32().Should().Be(root.GetProperty("users").GetProperty("valid").GetInt32());
        root.GetProperty("schedule").GetProperty("rungs").EnumerateArray().Select(r => (r.GetProperty("configurations").GetInt32(), r.GetProperty("steps").GetInt64()))
            .Should().Equal((4, 10L), (2, 20L), (1, 40L));
        // --flows contrast: tau and lambda-contrast are searched, with lr; the other lambdas belong to no flow.
        root.GetProperty("space").EnumerateObject().Select(p => p.Name).Should().Equal("tau", "lambda-contrast", "lr");
        root.GetProperty("space").GetProperty("tau").GetProperty("low").GetDouble().Should().Be(0.05);

        var trials = root.GetProperty("trials").EnumerateArray().Select(t => (
            Configuration: t.GetProperty("configuration").GetInt32(), Rung: t.GetProperty("rung").GetInt32(), Budget: t.GetProperty("budget").GetInt64(),
            Steps: t.GetProperty("steps").GetInt64(), Recall: t.GetProperty("valid").GetProperty("recall@50").GetDouble(),
            Tau: t.GetProperty("config").GetProperty("tau").GetDouble())).ToList();
        trials.Select(t => (t.Rung, t.Budget, t.Steps)).Should().Equal((0, 10L, 10L), (0, 10L, 10L), (0, 10L, 10L), (0, 10L, 10L), (1, 20L, 20L), (1, 20L, 20L), (2, 40L, 40L));
        trials.Take(4).Select(t => t.Configuration).Should().Equal(0, 1, 2, 3);
        var promoted = trials.Take(4).OrderBy(t => -t.Recall).ThenBy(t => t.Configuration).Take(2).Select(t => t.Configuration).Order();
        trials.Skip(4).Take(2).Select(t => t.Configuration).Should().Equal(promoted);
        var last = trials.Skip(4).Take(2).OrderBy(t => -t.Recall).ThenBy(t => t.Configuration).First();
        trials[6].Configuration.Should().Be(last.Configuration);
        trials.Should().OnlyContain(t => t.Tau >= 0.05 && t.Tau <= 1);

        var best = root.GetProperty("best");
        best.GetProperty("configuration").GetInt32().Should().Be(last.Configuration);
        var command = root.GetProperty("command").GetString()!;
        var config = best.GetProperty("config");
        command.Should().StartWith($"re4 train --data {data} --filter none --split-seed 1 --max-len 8 --model re4 ");
        foreach (var flag in new[] { "tau", "lambda-contrast", "lr" })
            command.Should().Contain(string.Create(CultureInfo.InvariantCulture, $" --{flag} {config.GetProperty(flag).GetDouble():R} "));
        command.Should().NotContain("--tau-range").And.NotContain("--trials").And.EndWith($"--out {Path.Combine(outDir, "best")}");
        output.Should().Contain(command);
        // The command is a valid 'train' command line (parsed here, not run).
        Program.Run([.. command.Split(' ').Skip(1), "--help"], new StringWriter(), new StringWriter()).Should().Be(0);
        Directory.GetDirectories(Path.Combine(outDir, "trials")).Select(Path.GetFileName).Order().Should().Equal("c0", "c1", "c2", "c3");
    }

    [Fact]
    public void Tune_Resume_ContinuesAStoppedSearch_WithoutRerunningFinishedTrials()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var whole = Path.Combine(dir.Path, "whole");
        var stopped = Path.Combine(dir.Path, "stopped");
        Run(["tune", "--data", data, "--out", whole, .. Tiny]).Code.Should().Be(0);

        // Ctrl+C once the first trial is saved: exit 130, the state kept.
        using var cancel = new CancellationTokenSource();
        var state = Path.Combine(stopped, "tune-state.json");
        // A thread of its own, not a thread-pool task: the search's parallel evaluation can hold every pool thread until
        // it ends, and a watcher waiting for one would then cancel a finished search (exit 0, not 130).
        var watcher = new Thread(() =>
        {
            while (!File.Exists(state)) Thread.Sleep(1);
            cancel.Cancel();
        }) { IsBackground = true };
        watcher.Start();
        var code = Program.Run(["tune", "--data", data, "--out", stopped, .. Tiny], new StringWriter(), new StringWriter(), cancel.Token);
        watcher.Join();
        code.Should().Be(130);
        var saved = JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("trials").GetArrayLength();
        saved.Should().BeInRange(1, 6);
        var firstTrial = File.GetLastWriteTimeUtc(Path.Combine(stopped, "trials", "c0", "resume", "trainer.json"));

        Run(["tune", "--data", data, "--out", stopped, .. Tiny]).Code.Should().Be(2, "a non-empty --out needs --resume");
        var (resumed, _, err) = Run(["tune", "--data", data, "--out", stopped, "--resume", .. Tiny]);

        resumed.Should().Be(0, err);
        File.ReadAllText(Path.Combine(stopped, "tune.json")).Replace(stopped, whole, StringComparison.Ordinal)
            .Should().Be(File.ReadAllText(Path.Combine(whole, "tune.json")));
        // Configuration 0's first trial was finished before the stop: its run folder was not trained again unless it was promoted.
        var promoted = JsonDocument.Parse(File.ReadAllText(Path.Combine(stopped, "tune.json"))).RootElement.GetProperty("trials").EnumerateArray()
            .Any(t => t.GetProperty("rung").GetInt32() > 0 && t.GetProperty("configuration").GetInt32() == 0);
        if (!promoted) File.GetLastWriteTimeUtc(Path.Combine(stopped, "trials", "c0", "resume", "trainer.json")).Should().Be(firstTrial);

        // Once finished, --resume reruns nothing and writes the same file again.
        var before = Directory.GetFiles(Path.Combine(stopped, "trials"), "trainer.json", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Run(["tune", "--data", data, "--out", stopped, "--resume", .. Tiny]).Code.Should().Be(0);
        before.Should().OnlyContain(f => File.GetLastWriteTimeUtc(f.Key) == f.Value);
    }

    [Fact]
    public void Tune_Resume_RefusesOtherOptions()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var outDir = Path.Combine(dir.Path, "tune");
        Run(["tune", "--data", data, "--out", outDir, .. Tiny]).Code.Should().Be(0);

        var (code, _, err) = Run(["tune", "--data", data, "--out", outDir, "--resume", "--min-steps", "20", .. Tiny.Where(t => t != "--min-steps" && t != "10")]);

        code.Should().Be(1);
        err.Should().Contain("another search").And.Contain("schedule");
    }

    [Theory]
    [InlineData(new[] { "--max-steps", "100" }, "--max-steps")]
    [InlineData(new[] { "--tau", "0.2", "--tau-range", "0.1:1" }, "exclude each other")]
    [InlineData(new[] { "--model", "comirec-sa", "--tau-range", "0.1:1" }, "--tau-range")]
    [InlineData(new[] { "--model", "comirec-sa", "--lr", "0.001" }, "nothing to search")]
    [InlineData(new[] { "--tau-range", "0.1-1" }, "--tau-range")]
    [InlineData(new[] { "--lr-range", "0:0.1" }, "--lr-range")]
    [InlineData(new[] { "--lr-range", "0.1:0.01:linear" }, "--lr-range")]
    [InlineData(new[] { "--lambda-attend-range", "0.1:1:cubic" }, "--lambda-attend-range")]
    [InlineData(new[] { "--eta", "1" }, "--eta")]
    [InlineData(new[] { "--trials", "0" }, "--trials")]
    [InlineData(new[] { "--min-steps", "x" }, "--min-steps")]
    [InlineData(new[] { "--trials", "1000", "--min-steps", "1000000000" }, "exceeds")]
    [InlineData(new[] { "--tau-range", "1e-40:1" }, "refuses")]
    [InlineData(new[] { "--model", "sasrec" }, "sasrec")]
    public void Tune_ExitsWith2ForUsageErrors_BeforeAnyTraining(string[] extra, string expected)
    {
        var (code, _, err) = Run(["tune", "--data", "synthetic", "--out", Path.Combine(Path.GetTempPath(), "re4-never-" + Guid.NewGuid().ToString("N")), .. extra]);

        code.Should().Be(2, err);
        err.Should().StartWith("re4 tune: ").And.Contain(expected);
    }

    [Fact]
    public void Tune_ExitsWith2_WhenOutIsMissing() =>
        Run("tune", "--data", "synthetic").Should().Match<(int Code, string Out, string Err)>(r => r.Code == 2 && r.Err.Contains("--out"));

    [Fact]
    public void Help_ListsTheVerbAndItsOptions()
    {
        var (code, output, _) = Run("tune", "--help");

        code.Should().Be(0);
        output.Should().Contain("--trials").And.Contain("--eta").And.Contain("--min-steps").And.Contain("--tau-range LO:HI[:S]")
            .And.Contain("0.02:1:log").And.Contain("--lambda-construct").And.Contain("--resume").And.Contain("VALIDATION");
        Run("--help").Out.Should().Contain("tune");
    }
}
