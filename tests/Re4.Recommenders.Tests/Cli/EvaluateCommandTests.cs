using System.Text.Json;
using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

public sealed class EvaluateCommandTests
{
    [Fact]
    public void Evaluate_WritesEveryContractKey_OnSyntheticData()
    {
        using var dir = new TempDir();
        var (code, output, _) = Run("evaluate", "--data", "synthetic", "--model", "most-popular", "--out", dir.Path, "--quiet");

        code.Should().Be(0);
        output.Should().Contain("most-popular on synthetic").And.Contain("recall");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "metrics.json")));
        var root = json.RootElement;
        root.GetProperty("model").GetString().Should().Be("most-popular");
        root.GetProperty("dataset").GetString().Should().Be("synthetic");
        root.GetProperty("seed").GetInt32().Should().Be(2022);
        root.GetProperty("protocol").GetString().Should().Be("comirec");
        var users = root.GetProperty("users");
        // Synthetic default: 5,000 users, all ≥ 10 items, so ComiRec's filter keeps all; 80/10/10.
        users.GetProperty("train").GetInt32().Should().Be(4000);
        users.GetProperty("valid").GetInt32().Should().Be(500);
        users.GetProperty("test").GetInt32().Should().Be(500);
        root.GetProperty("items").GetInt32().Should().BeGreaterThan(0);
        foreach (var split in new[] { "valid", "test" })
        {
            var m = root.GetProperty(split);
            foreach (var n in new[] { 20, 50 })
            {
                foreach (var key in new[] { "recall", "recall_set", "hitrate", "ndcg", "ndcg_comirec", "ndcg_comirec_paper" })
                {
                    var v = m.GetProperty($"{key}@{n}").GetDouble();
                    v.Should().BeInRange(0, 1, $"{split}.{key}@{n}");
                }
            }
        }

        File.Exists(Path.Combine(dir.Path, "split.json")).Should().BeFalse("--dump was not given");
    }

    [Fact]
    public void Evaluate_WritesOneRankedLinePerTestUser_WithDump()
    {
        using var dir = new TempDir();
        var (code, _, _) = Run("evaluate", "--data", "synthetic", "--out", dir.Path, "--dump", "--quiet", "--protocol", "leave-one-out");

        code.Should().Be(0);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "recommendations.tsv"));
        using var split = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "split.json")));
        var testUsers = split.RootElement.GetProperty("test").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        lines.Should().HaveCount(testUsers.Length);
        lines.Select(l => long.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)).Should().Equal(testUsers);
        foreach (var line in lines)
        {
            var items = line.Split('\t')[1].Split(' ');
            items.Should().HaveCount(50).And.OnlyHaveUniqueItems();
        }
    }

    [Fact]
    public void Evaluate_GivesAOneLineErrorWithExitCode1_ForAMissingFile()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "nope.txt");
        var (code, _, err) = Run("evaluate", "--data", missing, "--out", dir.Path);

        code.Should().Be(1);
        err.Trim().Should().Contain("not found").And.Contain("nope.txt");
        err.Trim().Split('\n').Should().HaveCount(1);
    }

    [Fact]
    public void Evaluate_NamesFileAndLineAndWritesNoMetrics_ForAMalformedFile()
    {
        using var dir = new TempDir();
        var data = dir.File("bad.csv", "1,10,100\n1,11,101\n2,12,oops\n");
        var outDir = Path.Combine(dir.Path, "out");
        var (code, _, err) = Run("evaluate", "--data", data, "--out", outDir, "--quiet");

        code.Should().Be(1);
        err.Should().Contain("bad.csv:3").And.Contain("oops").And.Contain("timestamp");
        File.Exists(Path.Combine(outDir, "metrics.json")).Should().BeFalse();
    }

    [Theory]
    [InlineData(new[] { "evaluate", "--data", "synthetic", "--outt", "x" }, "--outt")]
    [InlineData(new[] { "evaluate", "--data", "synthetic" }, "--out")]
    [InlineData(new[] { "evaluate", "--data", "synthetic", "--out", "x", "--protocol", "random" }, "comirec|leave-one-out")]
    [InlineData(new[] { "evaluate", "--data", "synthetic", "--out", "x", "--filter", "kcore:0" }, "kcore:N")]
    [InlineData(new[] { "evaluate", "--data", "synthetic", "--out", "x", "--seed", "abc" }, "integer")]
    [InlineData(new[] { "evaluate", "--data", "synthetic", "--out", "x", "--model", "sasrec" }, "most-popular")]
    [InlineData(new[] { "frobnicate" }, "unknown verb")]
    public void UsageErrors_ExitWith2AndSayWhatIsWrong(string[] args, string expected)
    {
        var (code, _, err) = Run(args);

        code.Should().Be(2);
        err.Should().Contain(expected);
    }

    [Fact]
    public void Help_PrintsTheVerbsOptions()
    {
        var (code, output, _) = Run("evaluate", "--help");

        code.Should().Be(0);
        output.Should().Contain("--protocol").And.Contain("--dump").And.Contain("--filter");
    }
}

public sealed class EvaluateOnSharedDatasetsTests
{
    [Theory]
    [InlineData("amazon-beauty/Beauty.txt", "comirec")]
    [InlineData("amazon-beauty/Beauty.txt", "leave-one-out")]
    [InlineData("amazon-sports/Sports_and_Outdoors.txt", "comirec")]
    [InlineData("amazon-sports/Sports_and_Outdoors.txt", "leave-one-out")]
    [InlineData("movielens-100k/u.data", "comirec")]
    [InlineData("movielens-100k/u.data", "leave-one-out")]
    public void Evaluate_RunsMostPopularOnEverySharedDataset_WithBothProtocols(string file, string protocol)
    {
        using var dir = new TempDir();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = Program.Run(["evaluate", "--data", TestPaths.Dataset(file), "--model", "most-popular", "--protocol", protocol, "--out", dir.Path, "--quiet"], stdout, stderr);

        code.Should().Be(0, stderr.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "metrics.json")));
        var test = json.RootElement.GetProperty("test");
        // Popularity retrieves something on real data: a hit rate of exactly 0 would mean broken ids or targets.
        test.GetProperty("hitrate@50").GetDouble().Should().BeGreaterThan(0).And.BeLessThan(1);
        test.GetProperty("recall@50").GetDouble().Should().BeGreaterThanOrEqualTo(test.GetProperty("recall@20").GetDouble());
        var users = json.RootElement.GetProperty("users");
        users.GetProperty("test").GetInt32().Should().BeGreaterThan(0);
    }
}
