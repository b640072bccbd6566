using System.Text.Json;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>REMI on the command line (docs/remi.md, docs/cli.md): the presets <c>remi</c> and <c>re4-remi</c>,
/// <c>routing-reg</c> in <c>--flows</c> with <c>--lambda-rr</c>, and <c>--hard-negatives BETA</c>.</summary>
public sealed class RemiCliTests
{
    private static readonly string[] Fast = ["--dim", "8", "--interests", "2", "--batch-size", "16", "--max-steps", "20", "--eval-every", "20", "--quiet"];

    private static string TinyData(TempDir dir)
    {
        var raw = Re4.Recommenders.Data.PlantedInterestGenerator.Generate(new() { Users = 200, Items = 150, Topics = 6, MinLength = 8, MaxLength = 14, Seed = 4 });
        var path = Path.Combine(dir.Path, "tiny.txt");
        Re4.Recommenders.Data.PlantedInterestGenerator.WriteSequences(raw, path);
        return path;
    }

    private static JsonElement Train(TempDir dir, string data, string name, params string[] flags)
    {
        var run = Path.Combine(dir.Path, name);
        var (code, _, err) = Run(["train", "--data", data, "--out", run, .. Fast, .. flags]);
        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        return json.RootElement.Clone();
    }

    private static Dictionary<string, double> Flows(JsonElement metrics) =>
        metrics.GetProperty("flows").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());

    [Fact]
    public void Presets_SetRoutingRegularisationHardNegativesAndTheReferenceSampler()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);

        var remi = Train(dir, data, "remi", "--model", "remi");
        remi.GetProperty("model").GetString().Should().Be("remi");
        remi.GetProperty("encoder").GetString().Should().Be("comirec-sa");
        Flows(remi).Should().Equal(new Dictionary<string, double> { ["routing-reg"] = 100 });
        remi.GetProperty("hard_negatives").GetDouble().Should().Be(1);
        remi.GetProperty("sampler").GetString().Should().Be("uniform");

        var both = Train(dir, data, "re4-remi", "--model", "re4-remi", "--lambda-rr", "7", "--hard-negatives", "0.5");
        Flows(both).Should().Equal(new Dictionary<string, double> { ["contrast"] = 0.1, ["attend"] = 0.001, ["construct"] = 0.1, ["routing-reg"] = 7 });
        both.GetProperty("hard_negatives").GetDouble().Should().Be(0.5);
        both.GetProperty("history")[0].GetProperty("loss_routing-reg").GetDouble().Should().BeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public void Flags_AddRoutingRegularisationToAnyEncoder_AndZeroTurnsHardNegativesOff()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);

        var dr = Train(dir, data, "dr", "--model", "comirec-dr", "--flows", "routing-reg", "--negatives", "32");
        Flows(dr).Should().Equal(new Dictionary<string, double> { ["routing-reg"] = 100 });
        dr.TryGetProperty("hard_negatives", out _).Should().BeFalse("comirec-dr has no hard negatives");

        var off = Train(dir, data, "off", "--model", "remi", "--hard-negatives", "0", "--negatives", "32");
        off.TryGetProperty("hard_negatives", out _).Should().BeFalse("--hard-negatives 0 turns IHN off");
    }

    [Theory]
    [InlineData("--lambda-rr", "-1", "--lambda-rr")]
    [InlineData("--hard-negatives", "abc", "--hard-negatives")]
    [InlineData("--hard-negatives", "1e40", "--hard-negatives")]
    [InlineData("--flows", "contrast,routing", "routing-reg")]
    public void BadValues_AreUsageErrors_NamingTheFlag(string flag, string value, string named)
    {
        var (code, _, err) = Run("train", "--data", "synthetic", "--model", "remi", "--out", "unused", flag, value);
        code.Should().Be(2);
        err.Should().Contain(named);
        err.Trim().Split('\n').Should().HaveCount(1, "a usage error is one line");
    }
}
