using System.Text.Json;
using Re4.Cli;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

public sealed class TrainCommandTests
{
    private static string TinyData(TempDir dir)
    {
        var raw = Re4.Recommenders.Data.PlantedInterestGenerator.Generate(new() { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = 3 });
        var path = Path.Combine(dir.Path, "tiny.txt");
        Re4.Recommenders.Data.PlantedInterestGenerator.WriteSequences(raw, path);
        return path;
    }

    private static readonly string[] Fast = ["--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32", "--max-steps", "40", "--eval-every", "20", "--quiet"];

    [Fact]
    public void Train_WritesMetricsModelAndResumeState_ThenEvaluateAndRecommendUseTheCheckpoint()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Path.Combine(dir.Path, "run");

        var (code, output, err) = Run(["train", "--data", data, "--model", "comirec-sa", "--out", run, "--dump", .. Fast]);

        code.Should().Be(0, err);
        output.Should().Contain("comirec-sa").And.Contain("40 steps (max-steps)");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        var root = json.RootElement;
        root.GetProperty("model").GetString().Should().Be("comirec-sa");
        root.GetProperty("steps").GetInt64().Should().Be(40);
        root.GetProperty("best_step").GetInt64().Should().BeOneOf(20, 40);
        root.GetProperty("train_seconds").GetDouble().Should().BePositive();
        root.GetProperty("train_samples_per_second").GetDouble().Should().BePositive();
        root.GetProperty("test").GetProperty("recall@50").GetDouble().Should().BeInRange(0, 1);
        root.GetProperty("history").GetArrayLength().Should().Be(2);
        File.Exists(Path.Combine(run, "model", "model.json")).Should().BeTrue();
        File.Exists(Path.Combine(run, "resume", "trainer.json")).Should().BeTrue();
        File.ReadAllLines(Path.Combine(run, "recommendations.tsv")).Should().HaveCount(root.GetProperty("users").GetProperty("test").GetInt32());
        PngFile.ShouldBeAChart(Path.Combine(run, "training.png"));

        // evaluate --checkpoint reproduces the test metrics of the selected model exactly.
        var evalDir = Path.Combine(dir.Path, "eval");
        var (evalCode, _, evalErr) = Run("evaluate", "--data", data, "--checkpoint", run, "--out", evalDir, "--quiet");
        evalCode.Should().Be(0, evalErr);
        using var evalJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(evalDir, "metrics.json")));
        evalJson.RootElement.GetProperty("model").GetString().Should().Be("comirec-sa");
        evalJson.RootElement.GetProperty("test").GetProperty("recall@50").GetDouble()
            .Should().Be(root.GetProperty("test").GetProperty("recall@50").GetDouble());

        // recommend: JSON with original ids, scores in decreasing order and the winning interest.
        var firstLine = File.ReadAllLines(data)[0].Split(' ');
        var (recCode, recOut, recErr) = Run("recommend", "--checkpoint", run, "--history", string.Join(' ', firstLine.Skip(1).Take(3)), "--top", "5");
        recCode.Should().Be(0, recErr);
        using var rec = JsonDocument.Parse(recOut);
        var items = rec.RootElement.GetProperty("items").EnumerateArray().ToArray();
        items.Should().HaveCount(5);
        items.Select(i => i.GetProperty("score").GetDouble()).Should().BeInDescendingOrder();
        items.Select(i => i.GetProperty("interest").GetInt32()).Should().OnlyContain(k => k >= 0 && k < 2);
    }

    [Fact]
    public void TrainResume_ContinuesToTheNewStepLimit()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Path.Combine(dir.Path, "run");
        Run(["train", "--data", data, "--model", "youtube-dnn", "--out", run, .. Fast]).Code.Should().Be(0);

        var (code, output, err) = Run(["train", "--data", data, "--model", "youtube-dnn", "--out", run, "--resume", .. Fast[..^5], "--max-steps", "60", "--quiet"]);

        code.Should().Be(0, err);
        output.Should().Contain("60 steps (max-steps)");
    }

    [Fact]
    public void Recommend_GivesAnErrorNamingIt_ForAnUnknownItem()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Path.Combine(dir.Path, "run");
        Run(["train", "--data", data, "--model", "gru4rec", "--out", run, .. Fast]).Code.Should().Be(0);

        var (code, _, err) = Run("recommend", "--checkpoint", run, "--history", "987654321");

        code.Should().Be(1);
        err.Should().Contain("987654321");
    }

    [Fact]
    public void Evaluate_RefusesACheckpoint_OfOtherData()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Path.Combine(dir.Path, "run");
        Run(["train", "--data", data, "--model", "youtube-dnn", "--out", run, .. Fast]).Code.Should().Be(0);

        var (code, _, err) = Run("evaluate", "--data", "synthetic", "--checkpoint", run, "--out", Path.Combine(dir.Path, "e"), "--quiet");

        code.Should().Be(1);
        err.Should().Contain("items");
    }

    [Fact]
    public void Diagnostics_DrawsTheFirstTestUsersAttention_AndAgreesWithTrain()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var run = Path.Combine(dir.Path, "run");
        Run(["train", "--data", data, "--model", "comirec-sa", "--out", run, "--dump", .. Fast]).Code.Should().Be(0);
        var diagDir = Path.Combine(dir.Path, "diag");

        var (code, output, err) = Run("diagnostics", "--data", data, "--checkpoint", run, "--out", diagDir, "--quiet");

        code.Should().Be(0, err);
        output.Should().Contain("interest 0: attends most to item").And.Contain("interest 1:");
        PngFile.ShouldBeAChart(Path.Combine(diagDir, "diagnostics.png"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(diagDir, "diagnostics.json")));
        var root = json.RootElement;
        using var split = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "split.json")));
        var firstTestUser = split.RootElement.GetProperty("test")[0].GetInt64();
        root.GetProperty("user").GetInt64().Should().Be(firstTestUser);
        root.GetProperty("user_set").GetString().Should().Be("test");

        // The history is a run of consecutive items of that user's line in the data file (original ids, oldest first).
        var history = root.GetProperty("history").EnumerateArray().Select(e => e.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var line = File.ReadAllLines(data).Select(l => l.Split(' ')).Single(f => f[0] == firstTestUser.ToString(System.Globalization.CultureInfo.InvariantCulture)).Skip(1).ToArray();
        Enumerable.Range(0, line.Length - history.Length + 1).Should().Contain(start => line.Skip(start).Take(history.Length).SequenceEqual(history));

        // K = 2 rows, each a distribution over the history; a symmetric cosine matrix with a unit diagonal.
        var attention = root.GetProperty("attention").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        attention.Should().HaveCount(2);
        attention.Should().OnlyContain(row => row.Length == history.Length && Math.Abs(row.Sum() - 1) < 1e-4 && row.All(v => v >= 0));
        var cosine = root.GetProperty("interest_cosine").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        cosine[0][0].Should().BeApproximately(1, 1e-4);
        cosine[1][1].Should().BeApproximately(1, 1e-4);
        cosine[0][1].Should().BeApproximately(cosine[1][0], 1e-5);

        // Same model, same test users: the same mean interest cosine as train reported.
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        root.GetProperty("diagnostics").GetProperty("interest_cosine").GetDouble()
            .Should().BeApproximately(metrics.RootElement.GetProperty("diagnostics").GetProperty("interest_cosine").GetDouble(), 1e-9);

        var (unknownCode, _, unknownErr) = Run("diagnostics", "--data", data, "--checkpoint", run, "--out", diagDir, "--user", "987654321", "--quiet");
        unknownCode.Should().Be(1);
        unknownErr.Should().Contain("987654321");
    }

    [Fact]
    public void Train_ValidUsers_ValidatesOnThatManyUsers_AndSaysSoInMetrics()
    {
        using var dir = new TempDir();
        var data = TinyData(dir);
        var sampled = Path.Combine(dir.Path, "sampled");
        var all = Path.Combine(dir.Path, "all");

        var (code, output, err) = Run(["train", "--data", data, "--model", "comirec-sa", "--out", sampled, "--valid-users", "9", .. Fast]);
        var (allCode, allOutput, allErr) = Run(["train", "--data", data, "--model", "comirec-sa", "--out", all, .. Fast]);

        code.Should().Be(0, err);
        allCode.Should().Be(0, allErr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(sampled, "metrics.json")));
        using var allJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(all, "metrics.json")));
        json.RootElement.GetProperty("validation_users").GetInt32().Should().Be(9);
        var validUsers = allJson.RootElement.GetProperty("users").GetProperty("valid").GetInt32();
        validUsers.Should().BeGreaterThan(9);
        allJson.RootElement.GetProperty("validation_users").GetInt32().Should().Be(validUsers);
        // Test users are evaluated in full either way: same data and seed, so the same test users.
        json.RootElement.GetProperty("users").GetProperty("test").GetInt32().Should().Be(allJson.RootElement.GetProperty("users").GetProperty("test").GetInt32());
        File.ReadAllLines(Path.Combine(sampled, "resume", "trainer.json")).Should().Contain(l => l.Contains("\"validation_users\": 9", StringComparison.Ordinal));
        output.Should().Contain("(valid metrics over 9 of them, --valid-users)");
        allOutput.Should().NotContain("--valid-users");
    }

    [Theory]
    [InlineData(new[] { "train", "--data", "synthetic", "--out", "x" }, "--model")]
    [InlineData(new[] { "train", "--data", "synthetic", "--model", "sasrec", "--out", "x" }, "comirec-sa")]
    [InlineData(new[] { "train", "--data", "synthetic", "--model", "mind", "--out", "x", "--lr", "fast" }, "--lr")]
    [InlineData(new[] { "train", "--data", "synthetic", "--model", "mind", "--out", "x", "--sampler", "popular" }, "log-uniform")]
    [InlineData(new[] { "train", "--data", "synthetic", "--model", "mind", "--out", "x", "--device", "tpu" }, "cpu or cuda")]
    [InlineData(new[] { "train", "--data", "synthetic", "--model", "comirec-sa", "--out", "x", "--valid-users", "0" }, "--valid-users")]
    [InlineData(new[] { "evaluate", "--data", "synthetic", "--model", "comirec-sa", "--out", "x" }, "--checkpoint")]
    [InlineData(new[] { "recommend", "--history", "1 2" }, "--checkpoint")]
    [InlineData(new[] { "diagnostics", "--data", "synthetic", "--out", "x" }, "--checkpoint")]
    public void UsageErrors_ExitWith2(string[] args, string expected)
    {
        var (code, _, err) = Run(args);

        code.Should().Be(2);
        err.Should().Contain(expected);
    }
}
