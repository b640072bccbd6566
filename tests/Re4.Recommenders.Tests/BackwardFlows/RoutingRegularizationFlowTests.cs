using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>REMI's routing regularisation (docs/remi.md, "RR") against a plain double loop:
/// v_{b,k} = (1/d) Σ_l (A_{b,k,l} − Ā_{b,k})², loss = Σ_b Σ_k v², centred over all L slots (reference) or the valid items.</summary>
public sealed class RoutingRegularizationFlowTests
{
    private static readonly FlowShape Shape = new(B: 3, K: 3, L: 5, D: 4, Lengths: [5, 3, 1]);

    /// <summary>The loss written out independently, in double, over the flat A of shape [B, K, L].</summary>
    private static double Naive(FlowShape s, double[] a, RoutingRegularizationOptions o)
    {
        var total = 0.0;
        for (var b = 0; b < s.B; b++)
        {
            var slots = o.Centering == RoutingCentering.AllSlots ? s.L : s.N(b);   // valid items are left-aligned
            for (var k = 0; k < s.K; k++)
            {
                var mean = 0.0;
                for (var l = 0; l < slots; l++) mean += a[(b * s.K + k) * s.L + l];
                mean /= slots;
                var spread = 0.0;
                for (var l = 0; l < slots; l++)
                {
                    var deviation = a[(b * s.K + k) * s.L + l] - mean;
                    spread += deviation * deviation;
                }

                var v = spread / s.D;
                total += v * v;
            }
        }

        return o.Reduction == RoutingBatchReduction.Sum ? total : total / s.B;
    }

    private static (BackwardFlowContext Context, Tensor A) Context(FlowCase c)
    {
        var s = c.Shape;
        var a = tensor(c.A, [s.B, s.K, s.L]).requires_grad_();
        var context = new BackwardFlowContext(tensor(c.Z, [s.B, s.K, s.D]), a, tensor(c.LogA, [s.B, s.K, s.L]), tensor(c.X, [s.B, s.L, s.D]),
            tensor(c.Mask, [s.B, s.L]));
        return (context, a);
    }

    public static TheoryData<RoutingCentering, RoutingBatchReduction> Variants => new()
    {
        { RoutingCentering.AllSlots, RoutingBatchReduction.Sum },
        { RoutingCentering.AllSlots, RoutingBatchReduction.Mean },
        { RoutingCentering.ValidItems, RoutingBatchReduction.Sum },
        { RoutingCentering.ValidItems, RoutingBatchReduction.Mean },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void ComputeLoss_MatchesTheNaiveLoss_AndItsGradient(RoutingCentering centering, RoutingBatchReduction reduction)
    {
        var options = new RoutingRegularizationOptions { Centering = centering, Reduction = reduction };
        var c = FlowCase.Random(Shape, seed: 41);
        using var scope = NewDisposeScope();
        var (context, a) = Context(c);

        var loss = new RoutingRegularizationFlow(options).ComputeLoss(context);
        FlowAssert.LossClose(loss, Naive(Shape, c.Ad, options), $"{centering}/{reduction}");
        loss.backward();
        FlowAssert.GradientMatches(a.grad, c.Ad, aa => Naive(Shape, aa, options), "dL/dA");
    }

    [Fact]
    public void ComputeLoss_IsTheHandValue_ForOneHotAttention()
    {
        // L = 4, one interest one-hot: Ā = 1/4, Σ(A − Ā)² = (3/4)² + 3·(1/4)² = 3/4 = 1 − 1/L; v = 3/4 / d = 3/8; v² = 9/64.
        var shape = new FlowShape(B: 1, K: 1, L: 4, D: 2, Lengths: [4]);
        var c = FlowCase.Random(shape, seed: 42);
        FlowData.OneHot(shape, c.A, c.LogA, 0, 0, item: 2);
        using var scope = NewDisposeScope();
        new RoutingRegularizationFlow().ComputeLoss(Context(c).Context).item<float>().Should().BeApproximately(9f / 64, 1e-7f);
    }

    [Fact]
    public void ComputeLoss_IsZeroForUniformAttention_AndGrowsTowardsOneHot()
    {
        var shape = new FlowShape(B: 2, K: 2, L: 4, D: 4, Lengths: [4, 4]);
        double Loss(double sharpness)
        {
            // Row weights ∝ exp(sharpness·[0, 1, 2, 3]): uniform at 0, one-hot on the last item as sharpness grows.
            var c = FlowCase.Random(shape, seed: 43);
            var row = Enumerable.Range(0, shape.L).Select(l => Math.Exp(sharpness * l)).ToArray();
            var sum = row.Sum();
            for (var i = 0; i < c.A.Length; i++) c.A[i] = (float)(row[i % shape.L] / sum);
            using var scope = NewDisposeScope();
            return new RoutingRegularizationFlow().ComputeLoss(Context(c).Context).item<float>();
        }

        Loss(0).Should().Be(0, "uniform attention over every slot has no spread");
        var losses = new[] { 0.0, 0.5, 1, 2, 4, 20 }.Select(Loss).ToArray();
        losses.Should().BeInAscendingOrder("sharper attention is penalised more");
        // One-hot: B·K users·interests, each v = (1 − 1/L)/d = 0.1875.
        losses[^1].Should().BeApproximately(4 * 0.1875 * 0.1875, 1e-6);
    }

    [Fact]
    public void ValidItems_IsZeroForUniformAttentionOverAShortHistory_WhereAllSlotsIsNot()
    {
        // A user with 2 of 4 slots valid, attention 1/2 on each: over the valid items no spread; over all slots
        // Ā = 1/4 and Σ(A − Ā)² = 2·(1/4)² + 2·(1/4)² = 1/4 = 1/n − 1/L.
        var shape = new FlowShape(B: 1, K: 1, L: 4, D: 1, Lengths: [2]);
        var c = FlowCase.Random(shape, seed: 44);
        c.A[0] = c.A[1] = 0.5f;
        c.A[2] = c.A[3] = 0f;
        using var scope = NewDisposeScope();
        var context = Context(c).Context;
        new RoutingRegularizationFlow(new() { Centering = RoutingCentering.ValidItems }).ComputeLoss(context).item<float>().Should().Be(0);
        new RoutingRegularizationFlow().ComputeLoss(context).item<float>().Should().BeApproximately(1f / 16, 1e-7f);
    }

    [Fact]
    public void Constructor_ThrowsForAnInvalidWeight_NamingIt()
    {
        FluentActions.Invoking(() => new RoutingRegularizationFlow(new() { Weight = -1 }))
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("Weight");
        FluentActions.Invoking(() => new RoutingRegularizationFlow(new() { Centering = (RoutingCentering)7 }))
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("Centering");
        FluentActions.Invoking(() => new RoutingRegularizationFlow(null!)).Should().Throw<ArgumentNullException>();
        var options = new TrainerOptions { BackwardFlows = new BackwardFlowOptions { Routing = new() { Weight = double.NaN } } };
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("Routing.Weight");
    }

    [Fact]
    public void Objective_AddsTheFlowAfterRe4s_WithItsWeight()
    {
        var config = new Re4.Recommenders.Models.ModelConfig { Encoder = Re4.Recommenders.Extractors.ComiRecSaDescriptor.EncoderName, ItemCount = 10, Dimension = 4, Interests = 2, MaxLength = 5 };
        var flows = BackwardFlowOptions.Reference with { Routing = new() { Weight = 3 } };
        var objective = new MultiInterestObjective(config, flows);
        objective.Flows.Select(f => f.Flow.Name).Should().Equal("contrast", "attend", "construct", "routing-reg");
        objective.Flows[^1].Weight.Should().Be(3);
        BackwardFlowOptions.Reference.Routing.Should().BeNull("the reference options are Re4's three flows");
        new BackwardFlowOptions { Routing = new() }.IsEmpty.Should().BeFalse();
    }
}
