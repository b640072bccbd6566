using System.Text.Json;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary><c>compare --tuned MODEL=DIR</c>: a tune search's best values on that model's runs only, refused when the
/// search ran on another split or model.</summary>
public sealed class CompareTunedTests
{
    /// <summary>The data options both commands share (the split: seed 11, no filter, L 8).</summary>
    private static readonly string[] Split = ["--split-seed", "11", "--filter", "none", "--max-len", "8"];

    /// <summary>Training options both share.</summary>
    private static readonly string[] Training = ["--dim", "8", "--interests", "2", "--batch-size", "16", "--negatives", "32", "--eval-every", "5", "--quiet"];

    [Fact]
    public void CompareTuned_TrainsTheTunedModelWithTheBestValues_AndTheOthersAsGiven()
    {
        using var dir = new TempDir();
        var data = CompareCommandTests.TinyData(dir.Path);
        var tuneDir = Path.Combine(dir.Path, "tune");
        Run(["tune", "--data", data, "--model", "re4", "--trials", "2", "--eta", "2", "--min-steps", "5", "--out", tuneDir, .. Split, .. Training]).Code.Should().Be(0);
        Dictionary<string, double> best;
        using (var tune = JsonDocument.Parse(File.ReadAllText(Path.Combine(tuneDir, "tune.json"))))
            best = tune.RootElement.GetProperty("best").GetProperty("config").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        best.Keys.Should().BeEquivalentTo(["tau", "lambda-contrast", "lambda-attend", "lambda-construct", "lr"]);
        var outDir = Path.Combine(dir.Path, "cmp");

        var (code, output, err) = Run(["compare", "--data", data, "--models", "comirec-sa,re4", "--seeds", "5", "--max-steps", "10", "--out", outDir,
            "--tuned", $"re4={tuneDir}", .. Split, .. Training]);

        code.Should().Be(0, err);
        output.Should().Contain("re4: tuned on the validation users");
        using (var re4 = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "re4-5", "metrics.json"))))
        {
            re4.RootElement.GetProperty("lr").GetDouble().Should().Be(best["lr"]);
            var flows = re4.RootElement.GetProperty("flows");
            flows.GetProperty("contrast").GetDouble().Should().Be(best["lambda-contrast"]);
            flows.GetProperty("attend").GetDouble().Should().Be(best["lambda-attend"]);
            flows.GetProperty("construct").GetDouble().Should().Be(best["lambda-construct"]);
        }

        using (var sa = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "comirec-sa-5", "metrics.json"))))
            sa.RootElement.GetProperty("lr").GetDouble().Should().Be(0.001, "only the tuned model takes the tuned values");
        using var compare = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json")));
        var models = compare.RootElement.GetProperty("models").EnumerateArray().ToArray();
        models[0].TryGetProperty("tuned", out _).Should().BeFalse();
        models[1].GetProperty("tuned").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()).Should().Equal(best);
        models[1].GetProperty("tuned_from").GetString().Should().Be(Path.Combine(tuneDir, "tune.json"));
    }

    [Fact]
    public void CompareTuned_RefusesAnotherSplitModelOrSyntax_BeforeTraining()
    {
        using var dir = new TempDir();
        var data = CompareCommandTests.TinyData(dir.Path);
        var tuneDir = Path.Combine(dir.Path, "tune");
        Run(["tune", "--data", data, "--model", "re4", "--trials", "1", "--min-steps", "5", "--out", tuneDir, .. Split, .. Training]).Code.Should().Be(0);
        string[] compare = ["compare", "--data", data, "--models", "comirec-sa,re4", "--seeds", "5", "--max-steps", "10", .. Training];

        var otherSplit = Run([.. compare, "--out", Path.Combine(dir.Path, "a"), "--tuned", $"re4={tuneDir}", "--split-seed", "12", "--filter", "none", "--max-len", "8"]);
        var otherModel = Run([.. compare, "--out", Path.Combine(dir.Path, "b"), "--tuned", $"comirec-sa={tuneDir}", .. Split]);
        var notCompared = Run(["compare", "--data", data, "--models", "comirec-sa", "--seeds", "5", "--max-steps", "10", .. Training,
            "--out", Path.Combine(dir.Path, "c"), "--tuned", $"re4={tuneDir}", .. Split]);
        var syntax = Run([.. compare, "--out", Path.Combine(dir.Path, "d"), "--tuned", tuneDir, .. Split]);
        var missing = Run([.. compare, "--out", Path.Combine(dir.Path, "e"), "--tuned", $"re4={Path.Combine(dir.Path, "nothing")}", .. Split]);

        otherSplit.Code.Should().Be(2);
        otherSplit.Err.Should().Contain("split seed 11").And.Contain("12");
        otherModel.Code.Should().Be(2);
        otherModel.Err.Should().Contain("tuned --model re4, not comirec-sa");
        notCompared.Code.Should().Be(2);
        notCompared.Err.Should().Contain("re4 is not a trained model of --models");
        syntax.Code.Should().Be(2);
        syntax.Err.Should().Contain("MODEL=DIR");
        missing.Code.Should().Be(2);
        missing.Err.Should().Contain("does not exist");
        // A tune.json cut to nulls by hand, and one with a value no flag accepts.
        var cut = Path.Combine(dir.Path, "cut.json");
        File.WriteAllText(cut, """{ "model": "re4", "dataset": "tiny", "seed": 1, "split_seed": 11, "protocol": "comirec", "users": null, "selection_metric": "recall@50", "schedule": null, "space": {}, "trials": [], "best": null, "command": "" }""");
        var nulls = Run([.. compare, "--out", Path.Combine(dir.Path, "f"), "--tuned", $"re4={cut}", .. Split]);
        var negative = Path.Combine(dir.Path, "negative.json");
        var edited = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(tuneDir, "tune.json")))!;
        edited["best"]!["config"]!["lr"] = -0.001;
        File.WriteAllText(negative, edited.ToJsonString());
        var badValue = Run([.. compare, "--out", Path.Combine(dir.Path, "g"), "--tuned", $"re4={negative}", .. Split]);

        nulls.Code.Should().Be(2);
        nulls.Err.Should().Contain("lacks");
        badValue.Code.Should().Be(2);
        badValue.Err.Should().Contain("LearningRate").And.Contain("positive").And.Contain("-0.001");
        foreach (var folder in new[] { "a", "b", "c", "d", "e", "f", "g" })
            Directory.Exists(Path.Combine(dir.Path, folder, "re4-5")).Should().BeFalse("nothing is trained after a usage error");
    }
}
