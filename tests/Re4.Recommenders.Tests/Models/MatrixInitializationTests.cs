using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary><see cref="ModelConfig.MatrixInitialization"/>: the Re4 reference code's standard-normal W1, W1_2, W2 (the
/// self-attentive scorer and value projection) and W3, W3_2, W5 (the re-construct generator), which make the attention
/// start close to one-hot on standard-normal items; the default keeps each module's own initialisation.</summary>
public sealed class MatrixInitializationTests
{
    private const int N = 500, D = 64, K = 8, L = 20, B = 32;

    private static ModelConfig Config(MatrixInitialization matrices, EmbeddingInitialization items) => new()
    {
        ItemCount = N, Dimension = D, Interests = K, MaxLength = L, ItemInitialization = items, MatrixInitialization = matrices,
        EncoderOptions = SelfAttentiveOptions.Re4Reference(D, K, L),
    };

    private static double Std(Tensor t)
    {
        var v = Naive.Values(t);
        var mean = v.Average(x => (double)x);
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
    }

    private static Dictionary<string, double> Stds(nn.Module module) => module.named_parameters().ToDictionary(p => p.name, p => Std(p.parameter));

    /// <summary>The mean over users and interests of the largest attention weight, on full histories of random items.</summary>
    private static double MeanMaxAttention(MultiInterestModel model)
    {
        using var scope = NewDisposeScope();
        var random = new Random(3);
        var ids = Enumerable.Range(0, B * L).Select(_ => (long)random.Next(1, N + 1)).ToArray();
        using var noGrad = no_grad();
        var (output, _, _) = model.Encode(tensor(ids, [B, L]));   // [B, L] ids, all valid
        using (output) return output.Attention.max(-1).values.mean().item<float>();
    }

    [Fact]
    public void StandardNormal_DrawsTheReferenceMatricesWithStd1_AndKeepsTheOthers()
    {
        manual_seed(7);
        using var model = new MultiInterestModel(Config(MatrixInitialization.StandardNormal, EmbeddingInitialization.StandardNormal));
        var stds = Stds(model);
        foreach (var name in new[] { "extractor.w_a.weight", "extractor.w_b.weight", "extractor.w_v.weight", "items.weight" })
            stds[name].Should().BeApproximately(1.0, 0.05, name);
        // The tanh head is a module of its own in the reference code too: TorchSharp's default, std 1/√(3d) ≈ 0.072.
        stds["extractor.head.weight"].Should().BeApproximately(1 / Math.Sqrt(3.0 * D), 0.01);
    }

    [Fact]
    public void Default_KeepsTorchSharpsLinearInitialisation()
    {
        manual_seed(7);
        using var model = new MultiInterestModel(Config(MatrixInitialization.Default, EmbeddingInitialization.StandardNormal));
        var stds = Stds(model);
        // Kaiming uniform with bound 1/√fan_in: std 1/√(3·fan_in).
        stds["extractor.w_a.weight"].Should().BeApproximately(1 / Math.Sqrt(3.0 * D), 0.01);
        stds["extractor.w_b.weight"].Should().BeApproximately(1 / Math.Sqrt(3.0 * 4 * D), 0.01);
        stds["extractor.w_v.weight"].Should().BeApproximately(1 / Math.Sqrt(3.0 * D), 0.01);
    }

    [Fact]
    public void StandardNormal_StartsTheAttentionNearOneHot_WhereTheDefaultStartsItNearUniform()
    {
        manual_seed(8);
        using var reference = new MultiInterestModel(Config(MatrixInitialization.StandardNormal, EmbeddingInitialization.StandardNormal));
        manual_seed(8);
        using var comiRec = new MultiInterestModel(Config(MatrixInitialization.Default, EmbeddingInitialization.XavierUniform));

        // Standard-normal W1 on ‖x‖² ≈ 64 saturates the tanh; W1_2's logits then have std √(4d) = 16 over 20 items.
        MeanMaxAttention(reference).Should().BeGreaterThan(0.9);
        // Xavier items (‖x‖² ≈ 0.01) and default layers: logits of order 0.01, every weight close to 1/L = 0.05.
        MeanMaxAttention(comiRec).Should().BeLessThan(0.1);
    }

    [Fact]
    public void StandardNormal_DrawsTheGeneratorsMatricesWithStd1()
    {
        var config = Config(MatrixInitialization.StandardNormal, EmbeddingInitialization.StandardNormal);
        manual_seed(9);
        var objective = new MultiInterestObjective(config, BackwardFlowOptions.Reference);
        var generator = objective.Flows.Select(f => f.Flow).OfType<ReConstructFlow>().Single();
        using var _ = generator;
        var stds = Stds(generator);
        foreach (var name in new[] { "w_1.weight", "w_2.weight", "w_3.weight" }) stds[name].Should().BeApproximately(1.0, 0.05, name);
        stds["expand.weight"].Should().BeApproximately(1 / Math.Sqrt(3.0 * D), 0.01);
    }

    [Fact]
    public void MatrixInitialization_RoundTripsThroughTheConfigJson_AndIsNotWrittenWhenDefault()
    {
        var reference = Config(MatrixInitialization.StandardNormal, EmbeddingInitialization.StandardNormal);
        var json = System.Text.Json.JsonSerializer.Serialize(reference, ModelCheckpoint.Json);
        json.Should().Contain("\"matrix_initialization\": \"StandardNormal\"");
        System.Text.Json.JsonSerializer.Deserialize<ModelConfig>(json, ModelCheckpoint.Json)!.MatrixInitialization.Should().Be(MatrixInitialization.StandardNormal);

        var plain = System.Text.Json.JsonSerializer.Serialize(reference with { MatrixInitialization = MatrixInitialization.Default }, ModelCheckpoint.Json);
        plain.Should().NotContain("matrix_initialization");
    }

    [Fact]
    public void ReverseHistory_ReadsAsOldestFirst_FromAConfigWrittenWithoutIt()
    {
        // Files from before the switch existed always fed histories oldest first, whatever today's default is.
        const string Json = """{ "encoder": "ComiRecSA", "item_count": 5, "dimension": 4, "interests": 2, "max_length": 3 }""";
        System.Text.Json.JsonSerializer.Deserialize<ModelConfig>(Json, ModelCheckpoint.Json)!.ReverseHistory.Should().BeFalse();
        new ModelConfig().ReverseHistory.Should().BeTrue();
    }

    [Fact]
    public void MatrixInitialization_IsValidated_WithItsName()
    {
        var config = Config((MatrixInitialization)5, EmbeddingInitialization.StandardNormal);
        config.Invoking(c => c.Validate()).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("MatrixInitialization");
    }
}
