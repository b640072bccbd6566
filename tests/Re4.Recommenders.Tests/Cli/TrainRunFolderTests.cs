using System.Text.Json;
using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>Issue 11, items 2, 3 and 5 at the command line: <c>train</c> refuses a non-empty <c>--out</c> unless
/// <c>--resume</c> or <c>--overwrite</c>, checks <c>--out</c> before loading data, resumes with the run's own options
/// (refusing flags that contradict them, and other data), and reports every damaged resume state in one line, exit 1.</summary>
public sealed class TrainRunFolderTests
{
    private static readonly string[] Fast = ["--model", "comirec-sa", "--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32", "--eval-every", "20"];

    private static string TinyData(TempDir dir, int seed = 3, string name = "tiny.txt")
    {
        var raw = Re4.Recommenders.Data.PlantedInterestGenerator.Generate(new() { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = seed });
        var path = Path.Combine(dir.Path, name);
        Re4.Recommenders.Data.PlantedInterestGenerator.WriteSequences(raw, path);
        return path;
    }

    private static string Trained(TempDir dir, string data, params string[] extra)
    {
        var run = Path.Combine(dir.Path, "run");
        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--max-steps", "40", "--quiet", .. extra]);
        code.Should().Be(0, err);
        return run;
    }

    private static void ShouldBeOneLine(string err) => err.TrimEnd('\n').Should().NotContain("\n", "errors are one line").And.NotContain("   at ");

    [Fact]
    public void Train_NonEmptyOut_IsAUsageErrorNamingTheFolder()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data);
        var model = File.ReadAllBytes(Path.Combine(run, "model", "model.bin"));

        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--max-steps", "20", "--seed", "8", "--quiet"]);

        code.Should().Be(2);
        err.Should().Contain(run).And.Contain("--resume").And.Contain("--overwrite");
        ShouldBeOneLine(err);
        File.ReadAllBytes(Path.Combine(run, "model", "model.bin")).Should().Equal(model, "nothing of the run was touched");
    }

    [Fact]
    public void Train_Overwrite_ReplacesTheRunAndItsResultFiles()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data, "--dump");
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");

        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--max-steps", "20", "--seed", "8", "--overwrite", "--quiet"]);

        code.Should().Be(0, err);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        metrics.RootElement.GetProperty("seed").GetInt32().Should().Be(8);
        metrics.RootElement.GetProperty("steps").GetInt64().Should().Be(20);
        File.Exists(Path.Combine(run, "recommendations.tsv")).Should().BeFalse("the replaced run's dump files go with it");
        File.ReadAllText(Path.Combine(run, "notes.txt")).Should().Be("mine", "files train did not write are left alone");
    }

    [Fact]
    public void Train_UnwritableOut_FailsBeforeLoadingData()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var file = dir.File("a-file", "x");
        var run = Path.Combine(file, "run");   // a folder cannot be created under a file

        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--max-steps", "20"]);

        code.Should().Be(1);
        err.Should().Contain(run).And.Contain("not writable");
        err.Should().NotContain("Split", "no data were loaded");
        ShouldBeOneLine(err);
    }

    [Theory]
    [InlineData("--seed", "8")]
    [InlineData("--lr", "0.05")]
    [InlineData("--dim", "16")]
    [InlineData("--batch-size", "32")]
    [InlineData("--split-seed", "5")]
    [InlineData("--model", "mind")]
    [InlineData("--valid-users", "5")]
    public void Resume_FlagContradictingTheRun_IsAUsageErrorNamingIt(string flag, string value)
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data, "--seed", "7");
        List<string> args = ["train", "--data", data, "--out", run, .. Fast, "--max-steps", "60", "--resume", "--quiet"];
        var at = args.IndexOf(flag);
        if (at >= 0) args[at + 1] = value;
        else args.AddRange([flag, value]);

        var (code, _, err) = Run([.. args]);

        code.Should().Be(2);
        err.Should().Contain($"option {flag} contradicts the run");
        ShouldBeOneLine(err);
    }

    [Fact]
    public void Resume_UsesTheRunsOptions_AndMetricsRecordThem()
    {
        // The run was trained at lr 0.01 and seed 7; resumed without those flags (and repeating --dim's value), metrics.json
        // must record what was used, not the preset's lr or the default seed.
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data, "--lr", "0.01", "--seed", "7");

        var (code, output, err) = Run("train", "--data", data, "--model", "comirec-sa", "--dim", "8", "--out", run, "--resume", "--max-steps", "60", "--quiet");

        code.Should().Be(0, err);
        output.Should().Contain("60 steps (max-steps)");
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        metrics.RootElement.GetProperty("lr").GetDouble().Should().Be(0.01);
        metrics.RootElement.GetProperty("seed").GetInt32().Should().Be(7);
        metrics.RootElement.GetProperty("batch_size").GetInt32().Should().Be(16);
    }

    [Fact]
    public void Resume_LoweringMaxSteps_IsAUsageError()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data);

        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--max-steps", "20", "--resume", "--quiet"]);

        code.Should().Be(2);
        err.Should().Contain("--max-steps").And.Contain("40");
    }

    [Fact]
    public void Resume_OtherDataFile_IsAnErrorNamingTheFile()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data);
        var other = TinyData(dir, seed: 4, name: "other.txt");

        var (code, _, err) = Run(["train", "--data", other, "--out", run, .. Fast, "--max-steps", "60", "--resume", "--quiet"]);

        code.Should().Be(1);
        err.Should().Contain(other).And.Contain("not the data the run");
        ShouldBeOneLine(err);
    }

    public static TheoryData<string, string, bool> DamagedStates => new()
    {
        // file under resume/, how it is damaged, whether the manifest is removed first (a folder written before 0.2)
        { "adam.bin", "truncate", false },
        { "adam.bin", "truncate", true },
        { "trainer.json", "truncate", false },
        { "trainer.json", "truncate", true },
        { "torch_rng.bin", "empty", false },
        { "torch_rng.bin", "empty", true },
        { "torch_rng.bin", "truncate", true },
        { "model.bin", "truncate", false },
        { "model.bin", "truncate", true },
    };

    [Theory]
    [MemberData(nameof(DamagedStates))]
    public void Resume_DamagedState_IsAOneLineErrorNamingTheFile(string file, string damage, bool withoutManifest)
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Trained(dir, data);
        var resume = Path.Combine(run, "resume");
        if (withoutManifest) File.Delete(Path.Combine(resume, "manifest.json"));
        var path = Path.Combine(resume, file);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, damage == "empty" ? [] : bytes[..(bytes.Length / 2)]);

        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--max-steps", "60", "--resume", "--quiet"]);

        code.Should().Be(1, err);
        err.Should().StartWith("re4 train: error: ").And.Contain(path);
        ShouldBeOneLine(err);
    }

    [Fact]
    public void Resume_FolderWithoutResumeState_IsAOneLineError()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Path.Combine(dir.Path, "empty");

        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, "--resume", "--quiet"]);

        code.Should().Be(1);
        err.Should().Contain("trainer.json");
        ShouldBeOneLine(err);
    }
}
