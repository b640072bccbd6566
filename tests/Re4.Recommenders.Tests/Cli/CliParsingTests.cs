using System.Globalization;
using System.Text.Json;
using Re4.Cli;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary>The command-line contract of docs/cli.md as System.CommandLine parses it: exit codes, one-line usage errors
/// in the CLI's words, complete help with the library's defaults, both <c>--name value</c> and <c>--name=value</c>.</summary>
public sealed class CliParsingTests
{
    /// <summary>Every verb's options as docs/cli.md lists them (written out here, not read from the parser).</summary>
    public static TheoryData<string[], string[]> VerbOptions => new()
    {
        {
            ["train"],
            ["--data", "--format", "--filter", "--protocol", "--seed", "--split-seed", "--max-len", "--model", "--interests", "--dim", "--batch-size",
             "--lr", "--weight-decay", "--sampler", "--negatives", "--train-sampler", "--max-epochs", "--max-steps", "--max-minutes", "--eval-every",
             "--patience", "--device", "--flows", "--lambda-contrast", "--lambda-attend", "--lambda-construct", "--tau", "--threshold",
             "--flow-average", "--detach-attend", "--sa-flavor", "--init", "--reverse-history", "--recipe", "--history-order", "--flow-scaling",
             "--attend-routing", "--out", "--resume", "--overwrite", "--dump", "--warm-start", "--verbose", "--quiet"]
        },
        {
            ["evaluate"],
            ["--data", "--format", "--filter", "--protocol", "--seed", "--split-seed", "--max-len", "--model", "--checkpoint", "--device",
             "--exclude-history", "--out", "--dump", "--verbose", "--quiet"]
        },
        { ["recommend"], ["--checkpoint", "--history", "--top", "--exclude-history", "--device", "--verbose", "--quiet"] },
        { ["export"], ["--checkpoint", "--out", "--histories", "--safetensors", "--device", "--verbose", "--quiet"] },
        {
            ["compare"],
            ["--data", "--format", "--filter", "--protocol", "--seed", "--split-seed", "--max-len", "--models", "--seeds", "--out", "--dump",
             "--max-steps", "--dim", "--eval-every", "--patience", "--lambda-contrast", "--tau", "--verbose", "--quiet"]
        },
        { ["diagnostics"], ["--checkpoint", "--data", "--out", "--user", "--format", "--filter", "--seed", "--split-seed", "--max-len", "--device"] },
        {
            ["bench", "scoring"],
            ["--items", "--dim", "--interests", "--users", "--top", "--device", "--scorer", "--threads", "--repeat", "--seed", "--json"]
        },
    };

    [Theory]
    [MemberData(nameof(VerbOptions))]
    public void Help_ListsEveryOptionOfTheVerb_OnALineOfItsOwn(string[] verb, string[] options)
    {
        var (code, output, err) = Run([.. verb, "--help"]);

        code.Should().Be(0, err);
        var lines = output.Split('\n');
        foreach (var option in options)
            lines.Should().Contain(l => l.StartsWith("  " + option + " ", StringComparison.Ordinal) || l == "  " + option, option);
    }

    [Fact]
    public void Help_StatesTheLibrarysDefaults()
    {
        var trainer = new TrainerOptions();
        var config = new ModelConfig();
        var line = HelpLines("train");

        line("--batch-size").Should().EndWith($"(default {trainer.BatchSize}; re4-reference 1024)");
        line("--lr").Should().Contain($"default {Invariant(trainer.LearningRate)};").And.Contain("re4-reference 0.003");
        line("--weight-decay").Should().Contain($"default {Invariant(trainer.WeightDecay)};").And.Contain("re4-reference 1e-6");
        line("--max-steps").Should().EndWith($"(default {trainer.MaxSteps})");
        line("--eval-every").Should().EndWith($"(default {trainer.EvaluateEvery})");
        line("--patience").Should().EndWith($"(default {trainer.Patience})");
        line("--seed").Should().Contain($"default {trainer.Seed}");
        line("--interests").Should().Contain($"default {config.Interests};").And.Contain("re4-reference 8;");
        line("--dim").Should().EndWith($"(default {config.Dimension})");
        line("--max-len").Should().EndWith($"(default {DataSplitter.DefaultMaxLength})");
        line("--lambda-contrast").Should().EndWith($"(default {Invariant(new ReContrastOptions().Weight)})");
        line("--lambda-attend").Should().EndWith($"(default {Invariant(new ReAttendOptions().Weight)})");
        line("--lambda-construct").Should().EndWith($"(default {Invariant(new ReConstructOptions().Weight)})");
        line("--tau").Should().EndWith($"(default {Invariant(new ReContrastOptions().Temperature)})");
        // Changed in 0.3: the library's defaults are the recipe measured best on validation users.
        trainer.Negatives.Should().Be(NegativeSampling.Auto);
        trainer.Sampler.Should().Be(TrainingSamplerKind.EveryPrefix);
        line("--sampler").Should().Contain("default auto;");
        line("--train-sampler").Should().Contain("default every-prefix;").And.Contain("comirec random-cut;");
        line("--history-order").Should().Contain("most-recent-first (default)");
        line("--recipe").Should().Contain("default|comirec|re4-reference");
        HelpLines("bench", "scoring")("--dim").Should().EndWith($"(default {config.Dimension})");
        HelpLines("bench", "scoring")("--scorer").Should().EndWith("(default both)");
        HelpLines("recommend")("--top").Should().EndWith("(default 10)");
    }

    [Fact]
    public void Root_PrintsUsageAndExits2_WithoutArguments_And0WithHelp()
    {
        var (code, output, _) = Run();
        code.Should().Be(2);
        output.Should().Contain("usage: re4 <verb>");
        foreach (var verb in new[] { "train", "evaluate", "recommend", "compare", "diagnostics", "bench" }) output.Should().Contain("  " + verb + " ");

        Run("--help").Should().Be((0, output, string.Empty));
        Run("-h").Code.Should().Be(0);
        Run("help").Code.Should().Be(0);
    }

    /// <summary>Each verb's four kinds of usage error: exit 2, nothing on stdout, one line on stderr that starts with
    /// <c>re4 VERB:</c> and names the problem.</summary>
    [Theory]
    // Unknown option.
    [InlineData("train", "unknown option for 'train': --outt", "train", "--data", "synthetic", "--model", "mind", "--outt", "x")]
    [InlineData("evaluate", "unknown option for 'evaluate': --nope", "evaluate", "--data", "synthetic", "--out", "x", "--nope", "1")]
    [InlineData("recommend", "unknown options for 'recommend': --k, --j", "recommend", "--checkpoint", "c", "--history", "1", "--k", "--j")]
    [InlineData("compare", "unknown option for 'compare': --model", "compare", "--data", "synthetic", "--out", "x", "--model", "mind")]
    [InlineData("diagnostics", "unknown option for 'diagnostics': --users", "diagnostics", "--data", "synthetic", "--checkpoint", "c", "--out", "x", "--users", "1")]
    [InlineData("bench", "unknown option for 'bench': --gpu", "bench", "scoring", "--gpu")]
    // Missing value.
    [InlineData("train", "option --out needs a value", "train", "--data", "synthetic", "--model", "mind", "--out")]
    [InlineData("evaluate", "option --seed needs a value", "evaluate", "--data", "synthetic", "--out", "x", "--seed")]
    [InlineData("recommend", "option --top needs a value", "recommend", "--checkpoint", "c", "--history", "1", "--top")]
    [InlineData("compare", "option --seeds needs a value", "compare", "--data", "synthetic", "--out", "x", "--seeds")]
    [InlineData("diagnostics", "option --user needs a value", "diagnostics", "--data", "synthetic", "--checkpoint", "c", "--out", "x", "--user")]
    [InlineData("bench", "option --items needs a value", "bench", "scoring", "--items")]
    // Bad value.
    [InlineData("train", "option --batch-size expects an integer, not 'many'", "train", "--data", "synthetic", "--model", "mind", "--out", "x", "--batch-size", "many")]
    [InlineData("evaluate", "option --protocol expects one of comirec|leave-one-out, not 'random'", "evaluate", "--data", "synthetic", "--out", "x", "--protocol", "random")]
    [InlineData("compare", "option --seeds expects comma-separated integers, not 'x'", "compare", "--data", "synthetic", "--out", "x", "--seeds", "1,x")]
    [InlineData("diagnostics", "option --device expects cpu or cuda, not 'tpu'", "diagnostics", "--data", "synthetic", "--checkpoint", "c", "--out", "x", "--device", "tpu")]
    [InlineData("bench", "option --repeat must be at least 1, not 0", "bench", "scoring", "--repeat", "0")]
    // Missing required option.
    [InlineData("train", "option --out required", "train", "--data", "synthetic", "--model", "mind")]
    [InlineData("evaluate", "option --data required", "evaluate", "--out", "x")]
    [InlineData("recommend", "options --checkpoint, --history required", "recommend")]
    [InlineData("compare", "option --out required", "compare", "--data", "synthetic")]
    [InlineData("diagnostics", "option --checkpoint required", "diagnostics", "--data", "synthetic", "--out", "x")]
    public void UsageErrors_AreOneLineInTheCliFormat_WithExitCode2(string verb, string message, params string[] args)
    {
        var (code, output, err) = Run(args);

        code.Should().Be(2);
        output.Should().BeEmpty();
        err.Should().EndWith("\n").And.StartWith($"re4 {verb}: {message}");
        err.TrimEnd('\n').Should().NotContain("\n");
    }

    [Fact]
    public void OptionValues_AreAlsoAcceptedAfterAnEqualsSign()
    {
        Run("bench", "scoring", "--items=0").Err.Should().Be(Run("bench", "scoring", "--items", "0").Err).And.Contain("--items must be at least 1");
        Run("train", "--data=synthetic", "--model=mind", "--out=x", "--tau=0").Err.Should().Contain("option --tau must be positive");
    }

    [Fact]
    public void Options_AreUsageErrorsBeforeAnyWork_WhenTheyDoNotCombine()
    {
        var (code, _, err) = Run("train", "--data", "synthetic", "--model", "mind", "--out", "x", "--sa-flavor", "re4");

        code.Should().Be(2);
        err.Should().Be("re4 train: option --sa-flavor applies to the self-attentive encoder, not to mind\n");
    }

    [Fact]
    public void Options_RejectAValueForAFlag_AndAnOptionGivenTwice()
    {
        Run("evaluate", "--data", "synthetic", "--out", "x", "--dump", "true").Err.Should().Be("re4 evaluate: unexpected argument 'true': options look like --name value\n");
        Run("evaluate", "--data", "synthetic", "--out", "x", "--out", "y").Err.Should().Be("re4 evaluate: option --out is given twice\n");
        Run("evaluate", "--data", "synthetic", "--out", "x", "--dump", "--dump").Err.Should().Be("re4 evaluate: option --dump is given twice\n");
    }

    [Fact]
    public void Train_WritesItsFlowsAndTheDocumentedKeyOrder_ForTheRe4Preset()
    {
        using var dir = new TempDir();
        var raw = PlantedInterestGenerator.Generate(new() { Users = 300, Items = 200, Topics = 8, MinLength = 8, MaxLength = 16, Seed = 3 });
        var data = Path.Combine(dir.Path, "tiny.txt");
        PlantedInterestGenerator.WriteSequences(raw, data);
        var run = Path.Combine(dir.Path, "run");

        var (code, _, err) = Run("train", "--data", data, "--model", "re4", "--out", run, "--dim", "8", "--interests", "2", "--batch-size", "16",
            "--negatives", "32", "--max-steps", "10", "--eval-every", "10", "--quiet");

        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        var root = json.RootElement;
        root.EnumerateObject().Select(p => p.Name).Should().Equal(
            "model", "dataset", "seed", "split_seed", "protocol", "filter", "max_len", "exclude_history", "users", "items", "interactions", "valid", "test",
            "train_seconds", "train_samples_per_second", "best_step", "steps", "stop_reason", "encoder", "interests", "dim", "batch_size", "lr", "sampler",
            "softmax", "item_updates", "validation_users", "recipe", "train_sampler", "history_order", "flows", "diagnostics", "history");
        // The re4 preset is the three flows with the reference code's weights (the flow option records' defaults).
        var flows = root.GetProperty("flows");
        flows.EnumerateObject().Select(p => p.Name).Should().Equal("contrast", "attend", "construct");
        flows.GetProperty("contrast").GetDouble().Should().Be(0.1);
        flows.GetProperty("attend").GetDouble().Should().Be(0.001);
        flows.GetProperty("construct").GetDouble().Should().Be(0.1);
        root.GetProperty("stop_reason").GetString().Should().Be("max-steps");
        root.GetProperty("lr").GetDouble().Should().Be(0.001);
        // The default recipe: auto resolved to a full softmax for 200 items, every prefix, most recent item first.
        root.GetProperty("sampler").GetString().Should().Be("auto");
        root.GetProperty("softmax").GetString().Should().Be("full");
        root.GetProperty("item_updates").GetString().Should().Be("dense");   // full softmax: always dense
        root.GetProperty("recipe").GetString().Should().Be("default");
        root.GetProperty("train_sampler").GetString().Should().Be("every-prefix");
        root.GetProperty("history_order").GetString().Should().Be("most-recent-first");
        var history = root.GetProperty("history")[0].EnumerateObject().Select(p => p.Name).ToList();
        history.Take(2).Should().Equal("step", "loss");
        history.Should().Contain(["loss_main", "loss_contrast", "loss_attend", "loss_construct", "valid_recall@50"]);
        root.GetProperty("diagnostics").EnumerateObject().Select(p => p.Name).Should().StartWith(["users", "interest_cosine", "attention_kl", "reconstruction_mse"]);
    }

    [Fact]
    public void Evaluate_WritesMetricsKeysInTheDocumentedOrder()
    {
        using var dir = new TempDir();
        Run("evaluate", "--data", "synthetic", "--out", dir.Path, "--quiet").Code.Should().Be(0);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "metrics.json")));
        json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal(
            "model", "dataset", "seed", "split_seed", "protocol", "filter", "max_len", "exclude_history", "users", "items", "interactions", "valid", "test",
            "load_seconds", "evaluate_seconds");
        json.RootElement.GetProperty("users").EnumerateObject().Select(p => p.Name).Should().Equal("train", "valid", "test");
        File.ReadAllText(Path.Combine(dir.Path, "metrics.json")).Should().StartWith("{\n  \"model\": \"most-popular\",\n", "the file stays indented by two spaces");
    }

    [Fact]
    public void BenchScoring_WritesJsonKeysInTheDocumentedOrder_OnOneLine()
    {
        var (code, output, err) = Run("bench", "scoring", "--items", "300", "--dim", "4", "--interests", "2", "--users", "3", "--top", "5", "--threads", "1",
            "--repeat", "1", "--scorer", "managed", "--json");

        code.Should().Be(0, err);
        output.TrimEnd('\n').Should().NotContain("\n");
        using var json = JsonDocument.Parse(output);
        string[] figures = ["users_per_second", "gflops", "ratio_to_matmul", "ratio_to_fma_peak", "batch_seconds", "latency_ms", "latency_to_stream",
            "peak_extra_bytes", "allocated_bytes", "build_seconds", "cores_used"];
        json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal(
            ["scorer", .. figures, "matmul_gflops", "fma_peak_gflops", "stream_ms", "stream_gb_per_second", "items", "dim", "interests", "users", "top",
             "device", "threads", "repeat", "scorers"]);
        json.RootElement.GetProperty("scorers").GetProperty("managed").EnumerateObject().Select(p => p.Name).Should().Equal(figures);
    }

    private static Func<string, string> HelpLines(params string[] verb)
    {
        var (code, output, _) = Run([.. verb, "--help"]);
        code.Should().Be(0);
        var lines = output.Split('\n');
        return option => lines.Single(l => l.StartsWith("  " + option + " ", StringComparison.Ordinal));
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
