using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary><c>re4 train --warm-start</c>: a new run from an earlier model on other data; with <c>--resume</c> a usage
/// error; another architecture refused naming its flag.</summary>
public sealed class WarmStartCliTests
{
    private static readonly string[] Fast = ["--model", "comirec-sa", "--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32", "--eval-every", "10", "--max-steps", "10", "--quiet"];

    private static string Data(TempDir dir, int seed, string name)
    {
        var raw = Re4.Recommenders.Data.PlantedInterestGenerator.Generate(new() { Users = 200, Items = 150, Topics = 6, MinLength = 8, MaxLength = 14, Seed = seed });
        var path = Path.Combine(dir.Path, name);
        Re4.Recommenders.Data.PlantedInterestGenerator.WriteSequences(raw, path);
        return path;
    }

    [Fact]
    public void Train_WarmStart_TrainsANewRunFromTheEarlierModel()
    {
        using var dir = new TempDir();
        var first = Path.Combine(dir.Path, "first");
        Run(["train", "--data", Data(dir, 3, "a.txt"), "--out", first, .. Fast]).Code.Should().Be(0);

        var (code, output, err) = Run(["train", "--data", Data(dir, 4, "b.txt"), "--out", Path.Combine(dir.Path, "second"), "--warm-start", first, .. Fast]);

        code.Should().Be(0, err);
        err.Should().Contain("warm start from").And.Contain("keep their embeddings");
        output.Should().Contain("10 steps");
        File.Exists(Path.Combine(dir.Path, "second", "model", "model.json")).Should().BeTrue();
    }

    [Fact]
    public void Train_WarmStartWithResume_IsAUsageError()
    {
        using var dir = new TempDir();

        var (code, _, err) = Run(["train", "--data", "synthetic", "--out", Path.Combine(dir.Path, "run"), "--resume", "--warm-start", dir.Path, .. Fast]);

        code.Should().Be(2);
        err.Should().Contain("--resume").And.Contain("--warm-start");
    }

    [Fact]
    public void Train_WarmStartOfAnotherDimension_IsRefusedNamingTheFlag()
    {
        using var dir = new TempDir();
        var first = Path.Combine(dir.Path, "first");
        var data = Data(dir, 3, "a.txt");
        Run(["train", "--data", data, "--out", first, .. Fast]).Code.Should().Be(0);

        var (code, _, err) = Run(["train", "--data", data, "--out", Path.Combine(dir.Path, "second"), "--warm-start", first, .. Fast.Select(a => a == "8" ? "16" : a)]);

        code.Should().Be(1);
        err.Should().Contain("--dim").And.Contain("16").And.Contain("8");
    }
}
