using System.Text.Json;
using static Re4.Recommenders.Tests.Cli.CliRunner;

namespace Re4.Recommenders.Tests.Cli;

/// <summary><c>re4 bench train</c>: the phases of a step, their sum, the figures derived from them, and its usage errors.</summary>
public sealed class BenchTrainCommandTests
{
    private static readonly string[] Tiny =
        ["bench", "train", "--data", "synthetic", "--dim", "8", "--interests", "2", "--batch-size", "16", "--steps", "3", "--warmup", "1", "--threads", "1", "--quiet"];

    [Fact]
    public void BenchTrain_WritesThePhasesOfAStep_WhoseSumIsTheStep()
    {
        var (code, output, err) = Run([.. Tiny, "--model", "re4", "--sampler", "full", "--json"]);

        code.Should().Be(0, err);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        root.GetProperty("model").GetString().Should().Be("re4");
        root.GetProperty("steps").GetInt32().Should().Be(3);
        root.GetProperty("batch_size").GetInt32().Should().Be(16);
        root.GetProperty("flows").EnumerateArray().Select(f => f.GetString()).Should().Equal("contrast", "attend", "construct");
        var phases = root.GetProperty("phases").EnumerateArray().ToList();
        phases.Select(p => p.GetProperty("name").GetString()).Should().Equal(
            "sampling", "batch", "embedding-gather", "extractor", "interest-selection", "logits", "softmax-cross-entropy", "objective",
            "contrast", "attend", "construct", "backward", "optimizer");
        phases.Where(p => p.GetProperty("phase").GetString() == "flow").Should().HaveCount(3);
        var stepMs = root.GetProperty("step_ms").GetDouble();
        stepMs.Should().BePositive();
        phases.Sum(p => p.GetProperty("ms").GetDouble()).Should().BeApproximately(stepMs, 1e-9 * stepMs);
        phases.Sum(p => p.GetProperty("share").GetDouble()).Should().BeApproximately(1, 1e-9);
        root.GetProperty("samples_per_second").GetDouble().Should().BeApproximately(16 / (stepMs / 1e3), 1e-6);
        // The process's CPU time over the timed steps: positive, and within what its threads could spend in the wall time
        // the steps and their bookkeeping took (loosely: the profile's bookkeeping lies outside step_ms).
        root.GetProperty("cpu_ms_per_step").GetDouble().Should().BePositive().And.BeLessThan(50 * stepMs);
        root.GetProperty("allocator").GetString().Should().Be("default", "the tests call Program.Run, not Main, which alone sets the allocator");

        // The logits' work: 2·B·d·N forward, three times that with the backward products.
        var items = root.GetProperty("items").GetInt32();
        var forward = 2.0 * 16 * 8 * items;
        root.GetProperty("logits_gflop_per_step").GetDouble().Should().BeApproximately(3 * forward / 1e9, 1e-12);
        var logitsMs = phases.Single(p => p.GetProperty("name").GetString() == "logits").GetProperty("ms").GetDouble();
        root.GetProperty("logits_gflops").GetDouble().Should().BeApproximately(forward / (logitsMs / 1e3) / 1e9, 1e-6 * root.GetProperty("logits_gflops").GetDouble());
        root.GetProperty("step_gflops").GetDouble().Should().BeApproximately(3 * forward / (stepMs / 1e3) / 1e9, 1e-6 * root.GetProperty("step_gflops").GetDouble());
        foreach (var key in new[] { "forward", "grad_interests", "grad_table" }) root.GetProperty("matmul").GetProperty(key).GetDouble().Should().BePositive(key);
        root.GetProperty("fma_peak_gflops").GetDouble().Should().BePositive();
        root.GetProperty("threads").GetInt32().Should().Be(1);
    }

    [Fact]
    public void BenchTrain_PrintsATable_InText()
    {
        var (code, output, err) = Run([.. Tiny, "--prefetch", "0"]);

        code.Should().Be(0, err);
        output.Should().Contain("comirec-sa on synthetic").And.Contain("prefetch 0").And.Contain("ms/step").And.Contain("backward").And.Contain("libtorch product");
        output.Should().NotContain("flow ", "ComiRec-SA has no backward flows");
    }

    [Fact]
    public void BenchTrain_RefusesBadOptions_WithUsageErrors()
    {
        Run("bench", "train", "--steps", "0").Code.Should().Be(2);
        Run("bench", "train", "--prefetch", "17").Err.Should().Contain("--prefetch");
        Run("bench", "train", "--model", "nope").Err.Should().Contain("--model");
        Run("bench", "train", "--lr", "0").Code.Should().Be(2);
        if (!TorchSharp.torch.cuda.is_available())
            Run("bench", "train", "--device", "cuda").Err.Should().Contain("no CUDA device is available");
        Run("bench", "train", "--help").Out.Should().Contain("re4 bench train").And.Contain("--prefetch N").And.Contain("--lambda-contrast");
    }
}
