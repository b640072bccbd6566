using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>Re-construct (the paper's re-construct loss; docs/concepts.md, "Backward flows") against <see cref="NaiveFlows.Construct"/>, with the generator's own parameters read
/// through <c>named_parameters()</c>: Q = expand(z_k) in L slots, G = softmax over slots of W₂·tanh(W₁·Qᵀ) with slot j
/// masked when history position j is padding, X̃ = G·(Q·W₃), squared error on the positive cells.</summary>
public sealed class ReConstructFlowTests
{
    private static readonly FlowShape Shape = new(B: 3, K: 3, L: 5, D: 4, Lengths: [5, 3, 2]);

    private static ReConstructOptions Options(FlowNormalization normalization = FlowNormalization.AllCells, PositiveThreshold threshold = PositiveThreshold.Adaptive, double fixedThreshold = 0.1) =>
        new() { Normalization = normalization, Threshold = threshold, FixedThreshold = fixedThreshold };

    private static ReConstructFlow Generator(FlowShape s, ReConstructOptions o, int? maxLength = null, long seed = 5)
    {
        manual_seed(seed);
        return new ReConstructFlow(s.D, maxLength ?? s.L, o);
    }

    /// <summary>libtorch's operations, and the managed weighted error the trainer's default kernel selects.</summary>
    private static readonly LogitsKernel[] Kernels = [LogitsKernel.Torch, LogitsKernel.Managed];

    private static void MatchesNaive(FlowCase c, ReConstructOptions o, string what, int? maxLength = null)
    {
        using var flow = Generator(c.Shape, o, maxLength);
        var expected = NaiveFlows.Construct(c.Shape, Naive.Parameters(flow), c.Zd, c.Xd, c.Ad, o);
        foreach (var kernel in Kernels)
        {
            using var scope = NewDisposeScope();
            var (context, _, _, _) = c.Tensors();
            var loss = flow.ComputeLoss(context with { Kernel = kernel });
            FlowAssert.LossClose(loss, expected, $"{what} ({kernel})");
        }
    }

    private static Dictionary<string, NaiveWeights> With(Dictionary<string, NaiveWeights> p, string name, double[] data)
    {
        var copy = new Dictionary<string, NaiveWeights>(p) { [name] = new NaiveWeights(data, p[name].Shape.Select(v => (long)v).ToArray()) };
        return copy;
    }

    [Fact]
    public void ReConstructFlow_HasTheReferenceParameters()
    {
        using var flow = Generator(Shape, Options());
        var p = Naive.Parameters(flow);
        p.Keys.Should().BeEquivalentTo("expand.weight", "expand.bias", "w_1.weight", "w_2.weight", "w_3.weight");
        p["expand.weight"].Shape.Should().Equal(Shape.L * Shape.D, Shape.D);
        p["w_1.weight"].Shape.Should().Equal(Shape.D, Shape.D);
        p["w_2.weight"].Shape.Should().Equal(Shape.L, Shape.D);
        p["w_3.weight"].Shape.Should().Equal(Shape.D, Shape.D);
    }

    [Theory]
    [InlineData(FlowNormalization.AllCells, PositiveThreshold.Adaptive)]
    [InlineData(FlowNormalization.Positives, PositiveThreshold.Adaptive)]
    [InlineData(FlowNormalization.AllCells, PositiveThreshold.Fixed)]
    [InlineData(FlowNormalization.Positives, PositiveThreshold.Fixed)]
    public void ComputeLoss_MatchesTheNaiveLoss(FlowNormalization normalization, PositiveThreshold threshold)
    {
        var c = FlowCase.Random(Shape, seed: 41);
        c.A.Should().OnlyContain(v => Math.Abs(v - 0.15) > 0.005);
        MatchesNaive(c, Options(normalization, threshold, fixedThreshold: 0.15), $"{normalization}/{threshold}");
    }

    [Fact]
    public void ComputeLoss_UsesTheFirstLSlotsAndPositions_WhenTheGeneratorIsLongerThanTheBatch()
    {
        // maxLength 5, batch L = 4: Q keeps slots 0..3, W₂ rows 0..3.
        var c = FlowCase.Random(Shape with { L = 4, Lengths = [4, 3, 2] }, seed: 42);
        MatchesNaive(c, Options(FlowNormalization.Positives), "L < maxLength", maxLength: 5);
    }

    [Fact]
    public void ReconstructionError_IsThePerPositivePerDimensionMean()
    {
        var c = FlowCase.Random(Shape, seed: 43);
        using var flow = Generator(Shape, Options(FlowNormalization.AllCells));
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        var (total, count) = NaiveFlows.ConstructSum(Shape, Naive.Parameters(flow), c.Zd, c.Xd, c.Ad, PositiveThreshold.Adaptive, 0.1);
        count.Should().BeGreaterThan(0);
        flow.ReconstructionError(context).Should().BeApproximately(total / (count * Shape.D), 1e-5 * Math.Max(1, total / (count * Shape.D)));
        FlowAssert.LossClose(flow.ComputeLoss(context), total / (Shape.B * Shape.K * Shape.L * Shape.D), "all-cells training loss");
    }

    [Fact]
    public void AdaptiveThreshold_GivesNoPositive_ForAOneItemUser()
    {
        var shape = new FlowShape(B: 2, K: 2, L: 3, D: 4, Lengths: [1, 1]);
        var c = FlowCase.Random(shape, seed: 44);
        using (var flow = Generator(shape, Options(FlowNormalization.Positives)))
        using (var scope = NewDisposeScope())
        {
            var (context, _, _, _) = c.Tensors();
            flow.ComputeLoss(context).item<float>().Should().Be(0f, "A = 1 is not > γ = 1");
        }

        MatchesNaive(c, Options(FlowNormalization.Positives, PositiveThreshold.Fixed, fixedThreshold: 0.5), "one-item users, fixed γ");
        var mixed = FlowCase.Random(Shape with { Lengths = [4, 1, 3] }, seed: 45);
        MatchesNaive(mixed, Options(FlowNormalization.AllCells), "one-item row among others, all cells");
        MatchesNaive(mixed, Options(FlowNormalization.Positives), "one-item row among others, positives");
    }

    [Fact]
    public void ComputeLoss_ReconstructsOnlyThatItem_WhenAllAttentionIsOnOneItem()
    {
        var c = FlowCase.Random(Shape, seed: 46);
        for (var b = 0; b < Shape.B; b++)
        {
            for (var k = 0; k < Shape.K; k++) FlowData.OneHot(Shape, c.A, c.LogA, b, k, item: (b + 2 * k) % Shape.N(b));
        }

        MatchesNaive(c, Options(FlowNormalization.AllCells), "one-hot, all cells");
        MatchesNaive(c, Options(FlowNormalization.Positives), "one-hot, positives");
    }

    [Fact]
    public void AdaptiveThreshold_CountsValidItemsNotThePaddedLength()
    {
        var shape = new FlowShape(B: 2, K: 2, L: 5, D: 4, Lengths: [2, 2]);
        var c = FlowCase.Random(shape, seed: 47);
        for (var b = 0; b < shape.B; b++)
        {
            for (var k = 0; k < shape.K; k++)
            {
                c.A[(b * shape.K + k) * shape.L] = 0.4f;
                c.A[(b * shape.K + k) * shape.L + 1] = 0.6f;
            }
        }

        using var flow = Generator(shape, Options());
        var p = Naive.Parameters(flow);
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        var actual = (double)flow.ComputeLoss(context).item<float>();
        var right = NaiveFlows.Construct(shape, p, c.Zd, c.Xd, c.Ad, Options());
        var wrong = NaiveFlows.Construct(shape, p, c.Zd, c.Xd, c.Ad, Options(threshold: PositiveThreshold.Fixed, fixedThreshold: 1.0 / shape.L));
        Math.Abs(right - wrong).Should().BeGreaterThan(1e-3, "the case separates γ = 1/n from γ = 1/L");
        actual.Should().BeApproximately(right, 1e-5 * Math.Max(1, Math.Abs(right)));
    }

    [Fact]
    public void ComputeLoss_StaysFiniteAndMatches_ForPaddingOnlyRowsAndSingleInterests()
    {
        var c = FlowCase.Random(Shape with { Lengths = [3, 0, 4] }, seed: 48);
        MatchesNaive(c, Options(FlowNormalization.AllCells), "padding-only row, all cells");
        MatchesNaive(c, Options(FlowNormalization.Positives), "padding-only row, positives");
        using (var flow = Generator(c.Shape, Options()))
        using (var scope = NewDisposeScope())
        {
            var (context, z, x, _) = c.Tensors(grad: true);
            flow.ComputeLoss(context).backward();
            FlowAssert.AllFinite(z.grad, "dL/dZ");
            FlowAssert.AllFinite(x.grad, "dL/dX");
            foreach (var (name, parameter) in flow.named_parameters()) FlowAssert.AllFinite(parameter.grad, $"dL/d{name}");
        }

        var k1 = FlowCase.Random(Shape with { K = 1 }, seed: 49);
        MatchesNaive(k1, Options(FlowNormalization.AllCells), "K = 1, all cells");
        MatchesNaive(k1, Options(FlowNormalization.Positives), "K = 1, positives");
    }

    [Theory]
    [InlineData(FlowNormalization.AllCells)]
    [InlineData(FlowNormalization.Positives)]
    public void ComputeLoss_HasGradientsMatchingFiniteDifferencesOfTheNaiveLoss(FlowNormalization normalization)
    {
        var c = FlowCase.Random(Shape, seed: 50);
        var o = Options(normalization);
        foreach (var kernel in Kernels)
        {
            using var flow = Generator(Shape, o);
            var p = Naive.Parameters(flow);
            using var scope = NewDisposeScope();
            var (context, z, x, _) = c.Tensors(grad: true);
            flow.ComputeLoss(context with { Kernel = kernel }).backward();
            FlowAssert.GradientMatches(z.grad, c.Zd, zz => NaiveFlows.Construct(Shape, p, zz, c.Xd, c.Ad, o), $"dL/dZ ({kernel})");
            FlowAssert.GradientMatches(x.grad, c.Xd, xx => NaiveFlows.Construct(Shape, p, c.Zd, xx, c.Ad, o), $"dL/dX ({kernel})");
            var parameters = flow.named_parameters().ToDictionary(t => t.name, t => t.parameter);
            foreach (var name in new[] { "w_1.weight", "w_2.weight", "w_3.weight", "expand.bias" })
            {
                FlowAssert.GradientMatches(parameters[name].grad, p[name].Data, w => NaiveFlows.Construct(Shape, With(p, name, w), c.Zd, c.Xd, c.Ad, o), $"dL/d{name} ({kernel})");
            }
        }
    }

    [Theory]
    [InlineData(20, 20)]   // the trainer's shape: whole vectors of 16 and a tail, every slot used
    [InlineData(7, 9)]     // a batch shorter than the generator
    public void ManagedKernel_MatchesLibtorch_InLossAndEveryGradient_AtAVectorWidth(int length, int maxLength)
    {
        // d = 37: two 16-float vectors and a tail of 5, where the managed error runs its vector loops.
        var shape = new FlowShape(B: 4, K: 3, L: length, D: 37, Lengths: [length, length - 2, 3, 1]);
        var c = FlowCase.Random(shape, seed: 52);
        var results = new Dictionary<LogitsKernel, (float Loss, Dictionary<string, float[]> Gradients)>();
        foreach (var kernel in Kernels)
        {
            using var flow = Generator(shape, Options(), maxLength);
            using var scope = NewDisposeScope();
            var (context, z, x, _) = c.Tensors(grad: true);
            var loss = flow.ComputeLoss(context with { Kernel = kernel });
            loss.backward();
            var gradients = flow.named_parameters().ToDictionary(t => t.name, t => Naive.Values(t.parameter.grad!));
            gradients["Z"] = Naive.Values(z.grad!);
            gradients["X"] = Naive.Values(x.grad!);
            results[kernel] = (loss.item<float>(), gradients);
        }

        var (torchLoss, torchGradients) = results[LogitsKernel.Torch];
        var (managedLoss, managedGradients) = results[LogitsKernel.Managed];
        torchLoss.Should().BeGreaterThan(0);
        managedLoss.Should().BeApproximately(torchLoss, 1e-5f * torchLoss);
        foreach (var (name, expected) in torchGradients)
        {
            var actual = managedGradients[name];
            var scale = expected.Max(Math.Abs);
            scale.Should().BeGreaterThan(0, "{0} has a gradient to compare", name);
            for (var i = 0; i < expected.Length; i++)
                actual[i].Should().BeApproximately(expected[i], 1e-4f * scale, "{0}[{1}]", name, i);
        }
    }

    [Fact]
    public void ManagedKernel_SkipsTheCellsThatAreNotPositives()
    {
        // A valid position below the fixed threshold for every interest, with a NaN embedding: libtorch multiplies its error
        // by the weight 0 (NaN·0 = NaN), the managed kernel never forms it (ManagedReconstructionError's remarks).
        var shape = new FlowShape(B: 2, K: 2, L: 4, D: 20, Lengths: [4, 3]);
        var c = FlowCase.Random(shape, seed: 53);
        for (var k = 0; k < shape.K; k++) c.A[k * shape.L + 1] = 0.01f;   // b = 0, l = 1
        for (var e = 0; e < shape.D; e++) c.X[shape.D + e] = float.NaN;      // x[0, 1]
        var o = Options(FlowNormalization.Positives, PositiveThreshold.Fixed, fixedThreshold: 0.05);
        using var flow = Generator(shape, o);
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        float.IsNaN(flow.ComputeLoss(context with { Kernel = LogitsKernel.Torch }).item<float>()).Should().BeTrue();
        var managed = flow.ComputeLoss(context with { Kernel = LogitsKernel.Managed }).item<float>();
        if (!LogitsGemm.Vectorised)
        {
            // Without AVX-512 the managed kernels fall back to libtorch's operations.
            float.IsNaN(managed).Should().BeTrue();
            return;
        }

        float.IsFinite(managed).Should().BeTrue();
        managed.Should().BeGreaterThan(0);
    }
}
