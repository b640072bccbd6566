using System.Text.Json;
using Re4.Recommenders.Data;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary><c>--recipe</c>: the training setup a model preset starts from (docs/cli.md, "Changed in 0.3"). The
/// <c>re4-reference</c> preset is read back from what a run writes (metrics.json, the model's configuration and the resume
/// state) and checked value by value against the Re4 reference code's setup; <c>comirec</c> is the defaults before 0.3;
/// flags override the recipe.</summary>
public sealed class RecipeCliTests
{
    private static string TinyData(TempDir dir)
    {
        var raw = PlantedInterestGenerator.Generate(new() { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = 3 });
        var data = Path.Combine(dir.Path, "tiny.txt");
        PlantedInterestGenerator.WriteSequences(raw, data);
        return data;
    }

    /// <summary>Trains one step and returns metrics.json, the model's model.json and the resume state's options.</summary>
    private static (JsonElement Metrics, JsonElement Config, JsonElement Options) TrainOneStep(params string[] flags)
    {
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var (code, _, err) = Run(["train", "--data", TinyData(dir), "--out", run, "--max-steps", "1", "--eval-every", "1", "--quiet", .. flags]);
        code.Should().Be(0, err);
        static JsonElement Read(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
        return (Read(Path.Combine(run, "metrics.json")), Read(Path.Combine(run, "model", "model.json")).GetProperty("config"),
            Read(Path.Combine(run, "resume", "trainer.json")).GetProperty("options"));
    }

    [Fact]
    public void Re4Reference_IsTheReferenceCodesSetup_ValueByValue()
    {
        var (metrics, config, options) = TrainOneStep("--model", "re4-reference", "--dim", "16");

        metrics.GetProperty("recipe").GetString().Should().Be("re4-reference");
        // K 8, batch 1024, Adam lr 0.003 with weight decay 1e-6, 5000 uniform negatives.
        metrics.GetProperty("interests").GetInt32().Should().Be(8);
        config.GetProperty("interests").GetInt32().Should().Be(8);
        metrics.GetProperty("batch_size").GetInt32().Should().Be(1024);
        metrics.GetProperty("lr").GetDouble().Should().Be(0.003);
        options.GetProperty("weight_decay").GetDouble().Should().Be(1e-6);
        metrics.GetProperty("sampler").GetString().Should().Be("uniform");
        metrics.GetProperty("softmax").GetString().Should().Be("uniform");
        options.GetProperty("negative_count").GetInt32().Should().Be(5000);
        // Every prefix, most recent item first.
        metrics.GetProperty("train_sampler").GetString().Should().Be("every-prefix");
        metrics.GetProperty("history_order").GetString().Should().Be("most-recent-first");
        config.GetProperty("reverse_history").GetBoolean().Should().BeTrue();
        // The reference SA flavour and its standard-normal items and matrices.
        var sa = config.GetProperty("encoder_options");
        sa.GetProperty("position_embedding").GetBoolean().Should().BeFalse();
        sa.GetProperty("bias").GetBoolean().Should().BeFalse();
        sa.GetProperty("value_projection").GetBoolean().Should().BeTrue();
        sa.GetProperty("output_head").GetBoolean().Should().BeTrue();
        config.GetProperty("item_initialization").GetString().Should().Be("StandardNormal");
        config.GetProperty("matrix_initialization").GetString().Should().Be("StandardNormal");
        // The three flows with the reference λ.
        var flows = metrics.GetProperty("flows");
        flows.GetProperty("contrast").GetDouble().Should().Be(0.1);
        flows.GetProperty("attend").GetDouble().Should().Be(0.001);
        flows.GetProperty("construct").GetDouble().Should().Be(0.1);
    }

    [Fact]
    public void ComiRecRecipe_IsTheDefaultsBefore03()
    {
        var (metrics, config, options) = TrainOneStep("--model", "re4", "--recipe", "comirec", "--dim", "8");

        metrics.GetProperty("recipe").GetString().Should().Be("comirec");
        metrics.GetProperty("sampler").GetString().Should().Be("log-uniform");
        metrics.GetProperty("softmax").GetString().Should().Be("log-uniform");
        metrics.GetProperty("train_sampler").GetString().Should().Be("random-cut");
        metrics.GetProperty("history_order").GetString().Should().Be("oldest-first");
        config.GetProperty("reverse_history").GetBoolean().Should().BeFalse();
        config.GetProperty("item_initialization").GetString().Should().Be("XavierUniform");
        config.TryGetProperty("matrix_initialization", out _).Should().BeFalse();
        metrics.GetProperty("interests").GetInt32().Should().Be(4);
        metrics.GetProperty("batch_size").GetInt32().Should().Be(128);
        metrics.GetProperty("lr").GetDouble().Should().Be(0.001);
        options.GetProperty("weight_decay").GetDouble().Should().Be(0);
        options.TryGetProperty("negative_count", out var count).Should().BeFalse("10·B is the trainer's rule, not a count given ({0})", count);
    }

    [Fact]
    public void Flags_OverrideTheRecipe()
    {
        var (metrics, config, _) = TrainOneStep("--model", "re4-reference", "--dim", "8", "--interests", "2", "--batch-size", "16", "--lr", "0.01",
            "--sampler", "full", "--history-order", "oldest-first", "--init", "xavier", "--train-sampler", "random-cut");

        metrics.GetProperty("interests").GetInt32().Should().Be(2);
        metrics.GetProperty("batch_size").GetInt32().Should().Be(16);
        metrics.GetProperty("lr").GetDouble().Should().Be(0.01);
        metrics.GetProperty("softmax").GetString().Should().Be("full");
        metrics.GetProperty("train_sampler").GetString().Should().Be("random-cut");
        config.GetProperty("reverse_history").GetBoolean().Should().BeFalse();
        config.GetProperty("item_initialization").GetString().Should().Be("XavierUniform");
        // What no flag sets stays the recipe's.
        config.GetProperty("matrix_initialization").GetString().Should().Be("StandardNormal");
    }

    [Theory]
    [InlineData("option --recipe expects one of default|comirec|re4-reference, not 'books'", "--model", "re4", "--recipe", "books")]
    [InlineData("option --attend-routing applies to the routing encoders (comirec-dr, mind), not to re4", "--model", "re4", "--attend-routing")]
    [InlineData("options --reverse-history and --history-order oldest-first contradict each other", "--model", "re4", "--reverse-history", "--history-order", "oldest-first")]
    public void BadRecipeFlags_AreUsageErrors(string message, params string[] flags)
    {
        var (code, output, err) = Run(["train", "--data", "synthetic", "--out", "x", .. flags]);
        code.Should().Be(2);
        output.Should().BeEmpty();
        err.Should().Contain(message);
    }
}
