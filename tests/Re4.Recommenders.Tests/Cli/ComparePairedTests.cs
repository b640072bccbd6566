using System.Text.Json;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

public sealed class ComparePairedTests
{
    [Fact]
    public void Compare_ComparesEachModelWithTheBaseline_UserByUser()
    {
        using var dir = new TempDir();
        var data = CompareCommandTests.TinyData(dir.Path);
        var outDir = Path.Combine(dir.Path, "cmp");

        var (code, output, err) = Run("compare", "--data", data, "--models", "most-popular,comirec-sa,youtube-dnn", "--baseline", "comirec-sa", "--seeds", "5,6",
            "--split-seed", "11", "--out", outDir, "--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32", "--max-steps", "20",
            "--eval-every", "10", "--resamples", "500", "--quiet");

        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json")));
        var root = json.RootElement;
        var means = root.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("model").GetString()!, m => m.GetProperty("mean"));
        var paired = root.GetProperty("paired");
        paired.GetProperty("baseline").GetString().Should().Be("comirec-sa");
        paired.GetProperty("users").GetInt32().Should().Be(root.GetProperty("test_users").GetInt32());
        paired.GetProperty("resamples").GetInt32().Should().Be(500);
        var models = paired.GetProperty("models").EnumerateArray().ToArray();
        models.Select(m => m.GetProperty("model").GetString()).Should().Equal("most-popular", "youtube-dnn");
        foreach (var model in models)
        {
            var name = model.GetProperty("model").GetString()!;
            model.GetProperty("metrics").EnumerateObject().Select(p => p.Name).Should().Equal("recall@50", "ndcg@50");
            foreach (var metric in new[] { "recall@50", "ndcg@50" })
            {
                var s = model.GetProperty("metrics").GetProperty(metric);
                // The per-user values average to each model's mean over its seeds, as the table reports them.
                s.GetProperty("baseline").GetDouble().Should().BeApproximately(means["comirec-sa"].GetProperty(metric).GetDouble(), 1e-12);
                s.GetProperty("model").GetDouble().Should().BeApproximately(means[name].GetProperty(metric).GetDouble(), 1e-12);
                var difference = s.GetProperty("mean_difference").GetDouble();
                difference.Should().BeApproximately(s.GetProperty("model").GetDouble() - s.GetProperty("baseline").GetDouble(), 1e-12);
                s.GetProperty("ci_low").GetDouble().Should().BeLessThanOrEqualTo(difference);
                s.GetProperty("ci_high").GetDouble().Should().BeGreaterThanOrEqualTo(difference);
                s.GetProperty("p_value").GetDouble().Should().BeInRange(1.0 / 501, 1);
            }
        }

        var markdown = File.ReadAllText(Path.Combine(outDir, "compare.md"));
        markdown.Should().Contain("## Paired comparison with comirec-sa").And.Contain("| most-popular vs comirec-sa | recall@50 |").And.Contain("| youtube-dnn vs comirec-sa | ndcg@50 |");
        output.Should().Contain("## Paired comparison with comirec-sa");
    }

    [Fact]
    public void Compare_ExitsWith2_ForABaselineNotCompared()
    {
        var (code, _, err) = Run("compare", "--data", "synthetic", "--out", "x", "--models", "most-popular,mind", "--baseline", "re4");

        code.Should().Be(2);
        err.Should().Contain("--baseline").And.Contain("re4");
    }
}
