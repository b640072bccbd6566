using System.Text.Json;
using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

public sealed class BenchCommandTests
{
    private static readonly string[] Tiny = ["bench", "scoring", "--items", "700", "--dim", "8", "--interests", "3", "--users", "5", "--top", "7", "--threads", "1", "--repeat", "1"];

    [Fact]
    public void BenchScoring_WritesOneJsonObjectWithSaneFiguresForBothScorers()
    {
        var (code, output, err) = Run([.. Tiny, "--json"]);

        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        root.GetProperty("scorer").GetString().Should().BeOneOf("managed", "torch");
        foreach (var key in new[] { "users_per_second", "gflops", "matmul_gflops", "fma_peak_gflops", "stream_ms", "latency_ms" })
        {
            var v = root.GetProperty(key).GetDouble();
            double.IsFinite(v).Should().BeTrue(key);
            v.Should().BePositive(key);
        }

        root.GetProperty("peak_extra_bytes").GetInt64().Should().BeGreaterThanOrEqualTo(0);
        root.GetProperty("items").GetInt32().Should().Be(700);
        root.GetProperty("users").GetInt32().Should().Be(5);
        var scorers = root.GetProperty("scorers");
        scorers.EnumerateObject().Select(p => p.Name).Should().Equal("managed", "torch");
        foreach (var scorer in scorers.EnumerateObject())
        {
            var users = scorer.Value.GetProperty("users_per_second").GetDouble();
            var gflops = scorer.Value.GetProperty("gflops").GetDouble();
            users.Should().BePositive();
            // GFLOP/s is defined as 2·users·K·items·d per second: check it against users/s.
            gflops.Should().BeApproximately(users * 2.0 * 3 * 700 * 8 / 1e9, 1e-9 * Math.Max(1, gflops));
            scorer.Value.GetProperty("ratio_to_matmul").GetDouble().Should().BeApproximately(gflops / root.GetProperty("matmul_gflops").GetDouble(), 1e-9);
        }

        // The top-level figures are the faster scorer's.
        var best = scorers.GetProperty(root.GetProperty("scorer").GetString()!);
        root.GetProperty("users_per_second").GetDouble().Should().Be(best.GetProperty("users_per_second").GetDouble());
        scorers.EnumerateObject().Max(p => p.Value.GetProperty("users_per_second").GetDouble()).Should().Be(root.GetProperty("users_per_second").GetDouble());
    }

    [Fact]
    public void BenchScoring_NamesTheScorer_InText()
    {
        var (code, output, _) = Run([.. Tiny, "--scorer", "managed"]);
        code.Should().Be(0);
        output.Should().Contain("managed").And.Contain("users/s").And.Contain("torch.mm").And.NotContain("torch  ");
    }

    [Fact]
    public void Bench_ExitsWith2ForUsageErrors_And0WithHelp()
    {
        Run("bench").Code.Should().Be(2);
        Run("bench", "retrieval").Code.Should().Be(2);
        Run("bench", "scoring", "--scorer", "faiss").Code.Should().Be(2);
        Run("bench", "scoring", "--items", "0").Code.Should().Be(2);
        Run("bench", "scoring", "--nope", "1").Err.Should().Contain("--nope");
        var (code, output, _) = Run("bench", "--help");
        code.Should().Be(0);
        output.Should().Contain("re4 bench scoring").And.Contain("peak_extra_bytes");
        Run("bench", "scoring", "--help").Out.Should().Contain("--scorer managed|torch|both");
        Run("--help").Out.Should().Contain("bench");
    }
}
