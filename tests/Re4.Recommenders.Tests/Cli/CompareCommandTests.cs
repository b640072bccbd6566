using System.Globalization;
using System.Text.Json;
using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

public sealed class CompareCommandTests
{
    private static readonly string[] Metrics = ["recall@20", "recall@50", "ndcg@20", "ndcg@50", "hitrate@50"];

    [Fact]
    public void Compare_TrainsEachModelPerSeedOnOneSplit_AndTabulatesMeanAndSampleStd()
    {
        using var dir = new TempDir();
        var data = TinyData(dir.Path);
        var outDir = Path.Combine(dir.Path, "cmp");

        var (code, output, err) = Run("compare", "--data", data, "--models", "most-popular,youtube-dnn,comirec-sa", "--seeds", "5,6", "--split-seed", "11",
            "--out", outDir, "--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32", "--max-steps", "30", "--eval-every", "15", "--quiet");

        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json")));
        var root = json.RootElement;
        root.GetProperty("split_seed").GetInt32().Should().Be(11);
        var models = root.GetProperty("models").EnumerateArray().ToArray();
        models.Select(m => m.GetProperty("model").GetString()).Should().Equal("most-popular", "youtube-dnn", "comirec-sa");
        var table = File.ReadAllLines(Path.Combine(outDir, "compare.md"));
        // The first table (the paired comparison's section follows it).
        output.Should().Contain(string.Join('\n', table.SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|'))));

        foreach (var model in models)
        {
            var name = model.GetProperty("model").GetString()!;
            var folders = name == "most-popular" ? new[] { "most-popular" } : new[] { name + "-5", name + "-6" };
            model.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("dir").GetString()).Should().Equal(folders);
            var perRun = folders.Select(f =>
            {
                using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, f, "metrics.json")));
                var m = metrics.RootElement;
                // Every run is on the same split, and a trained run carries its own training seed.
                m.GetProperty("split_seed").GetInt32().Should().Be(11);
                if (f != "most-popular") m.GetProperty("seed").GetInt32().Should().Be(int.Parse(f[(f.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture));
                return Metrics.ToDictionary(k => k, k => m.GetProperty("test").GetProperty(k).GetDouble());
            }).ToArray();
            if (name != "most-popular") PngFile.ShouldBeAChart(Path.Combine(outDir, folders[0], "training.png"));

            var row = table.Single(l => l.StartsWith($"| {name} |", StringComparison.Ordinal));
            foreach (var metric in Metrics)
            {
                var values = perRun.Select(r => r[metric]).ToArray();
                var mean = values.Sum() / values.Length;
                var std = values.Length == 1 ? 0 : Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Sum() / (values.Length - 1));
                model.GetProperty("mean").GetProperty(metric).GetDouble().Should().BeApproximately(mean, 1e-12, $"{name} {metric}");
                model.GetProperty("std").GetProperty(metric).GetDouble().Should().BeApproximately(std, 1e-12, $"{name} {metric}");
                model.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("test").GetProperty(metric).GetDouble()).Should().Equal(values);
                row.Should().Contain(string.Create(CultureInfo.InvariantCulture, $"{mean:F4} ± {std:F4}"));
            }
        }

        PngFile.ShouldBeAChart(Path.Combine(outDir, "compare.png"));
    }

    [Fact]
    public void CompareResume_KeepsFinishedRuns_TakesRunsTrainedBeforehand_AndRefusesOtherOptions()
    {
        using var dir = new TempDir();
        var data = TinyData(dir.Path);
        var outDir = Path.Combine(dir.Path, "cmp");
        string[] noLimit = ["--data", data, "--split-seed", "11", "--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32",
            "--eval-every", "15", "--quiet"];
        string[] common = [.. noLimit, "--max-steps", "30"];
        Run(["compare", .. common, "--models", "comirec-sa", "--seeds", "5", "--out", outDir]).Code.Should().Be(0);
        var first = RunMetrics(Path.Combine(outDir, "comirec-sa-5"));
        // Seed 6 trained by 'train' into the folder compare would use (as parallel jobs would).
        Run(["train", .. common, "--model", "comirec-sa", "--seed", "6", "--out", Path.Combine(outDir, "comirec-sa-6")]).Code.Should().Be(0);
        var trained = RunMetrics(Path.Combine(outDir, "comirec-sa-6"));

        var (code, output, err) = Run(["compare", .. common, "--models", "comirec-sa", "--seeds", "5,6", "--out", outDir, "--resume"]);

        code.Should().Be(0, err);
        output.Should().Contain("comirec-sa seed 6: test recall@50");
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json"))))
        {
            var runs = json.RootElement.GetProperty("models")[0].GetProperty("runs").EnumerateArray().ToArray();
            foreach (var (run, expected) in runs.Zip([first, trained]))
            {
                run.GetProperty("steps").GetInt64().Should().Be(expected.Steps, "a finished run is not trained further");
                run.GetProperty("best_step").GetInt64().Should().Be(expected.BestStep);
                Metrics.Select(m => run.GetProperty("test").GetProperty(m).GetDouble()).Should().Equal(Metrics.Select(m => expected.Test[m]));
            }
        }

        var again = Run(["compare", .. common, "--models", "comirec-sa", "--seeds", "5,6", "--out", outDir]);
        again.Code.Should().Be(2, "without --resume the runs there are not replaced");
        again.Err.Should().Contain("comirec-sa-5").And.Contain("--resume");
        RunMetrics(Path.Combine(outDir, "comirec-sa-5")).Test.Should().Equal(first.Test);
        var otherModels = Run(["compare", .. common, "--models", "most-popular", "--out", outDir]);
        otherModels.Code.Should().Be(2, "the comparison there is not replaced either");
        otherModels.Err.Should().Contain("compare.json");
        var other = Run(["compare", .. common, "--models", "comirec-sa", "--seeds", "5,6", "--out", outDir, "--resume", "--lr", "0.5"]);
        other.Code.Should().Be(2);
        other.Err.Should().Contain("comirec-sa-5").And.Contain("LearningRate");
        var lower = Run(["compare", .. common.Select(a => a == "30" ? "15" : a), "--models", "comirec-sa", "--seeds", "5", "--out", outDir, "--resume"]);
        lower.Code.Should().Be(2);
        lower.Err.Should().Contain("--max-steps 30");

        // Without --max-steps the finished runs keep their own limit: nothing more is trained.
        Run(["compare", .. noLimit, "--models", "comirec-sa", "--seeds", "5,6", "--out", outDir, "--resume"]).Code.Should().Be(0);
        RunMetrics(Path.Combine(outDir, "comirec-sa-5")).Steps.Should().Be(first.Steps);

        // An interrupted run (stopped at step 15 of 30) continues exactly: as the same run uninterrupted.
        Run(["train", .. noLimit, "--max-steps", "15", "--model", "comirec-sa", "--seed", "7", "--out", Path.Combine(outDir, "comirec-sa-7")]).Code.Should().Be(0);
        Run(["train", .. common, "--model", "comirec-sa", "--seed", "7", "--out", Path.Combine(dir.Path, "whole-7")]).Code.Should().Be(0);
        Run(["compare", .. common, "--models", "comirec-sa", "--seeds", "7", "--out", outDir, "--resume"]).Code.Should().Be(0);
        var continued = RunMetrics(Path.Combine(outDir, "comirec-sa-7"));
        var whole = RunMetrics(Path.Combine(dir.Path, "whole-7"));
        continued.Steps.Should().Be(30);
        continued.Test.Should().Equal(whole.Test);

        // A folder with files but no resume state is not trained over.
        Directory.CreateDirectory(Path.Combine(outDir, "comirec-sa-8"));
        File.WriteAllText(Path.Combine(outDir, "comirec-sa-8", "notes.txt"), "mine");
        var stray = Run(["compare", .. common, "--models", "comirec-sa", "--seeds", "8", "--out", outDir, "--resume"]);
        stray.Code.Should().Be(2);
        stray.Err.Should().Contain("comirec-sa-8").And.Contain("no resume state");
        File.ReadAllText(Path.Combine(outDir, "comirec-sa-8", "notes.txt")).Should().Be("mine");
    }

    /// <summary>A small planted-interest data file in <paramref name="dir"/> (300 users, 200 items), for comparisons that
    /// take seconds.</summary>
    internal static string TinyData(string dir)
    {
        var raw = Re4.Recommenders.Data.PlantedInterestGenerator.Generate(new() { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = 3 });
        var data = Path.Combine(dir, "tiny.txt");
        Re4.Recommenders.Data.PlantedInterestGenerator.WriteSequences(raw, data);
        return data;
    }

    private static (long Steps, long BestStep, Dictionary<string, double> Test) RunMetrics(string runDir)
    {
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "metrics.json")));
        var m = metrics.RootElement;
        return (m.GetProperty("steps").GetInt64(), m.GetProperty("best_step").GetInt64(),
            Metrics.ToDictionary(k => k, k => m.GetProperty("test").GetProperty(k).GetDouble()));
    }

    [Theory]
    [InlineData(new[] { "compare", "--data", "synthetic", "--out", "x", "--models", "mind,sasrec" }, "sasrec")]
    [InlineData(new[] { "compare", "--data", "synthetic", "--out", "x", "--models", "mind,mind" }, "twice")]
    [InlineData(new[] { "compare", "--data", "synthetic", "--out", "x", "--seeds", "1,x" }, "--seeds")]
    [InlineData(new[] { "compare", "--data", "synthetic", "--out", "x", "--lr", "fast" }, "--lr")]
    public void Compare_ExitsWith2ForUsageErrors_BeforeAnyTraining(string[] args, string expected)
    {
        var (code, _, err) = Run(args);

        code.Should().Be(2);
        err.Should().Contain(expected);
    }

    [Fact]
    public void Help_ListsTheVerbAndItsOptions()
    {
        var (code, output, _) = Run("compare", "--help");

        code.Should().Be(0);
        output.Should().Contain("--models").And.Contain("--seeds").And.Contain("compare.json");
        Run("--help").Out.Should().Contain("compare").And.Contain("diagnostics");
    }
}
