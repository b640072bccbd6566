using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>Re-attend (the paper's re-attend loss; docs/concepts.md, "Backward flows") against <see cref="NaiveFlows.Attend"/>: R = softmax over valid l of z_k·x_l (no temperature),
/// loss = mean over (b, k) of −Σ R·log A / Σ R.</summary>
public sealed class ReAttendFlowTests
{
    private static readonly FlowShape Shape = new(B: 3, K: 3, L: 5, D: 4, Lengths: [5, 3, 1]);

    private static void MatchesNaive(FlowCase c, bool detach, string what)
    {
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        var loss = new ReAttendFlow(new ReAttendOptions { DetachTarget = detach }).ComputeLoss(context);
        FlowAssert.LossClose(loss, NaiveFlows.Attend(c.Shape, c.Zd, c.Xd, c.LogAd), what);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ComputeLoss_MatchesTheNaiveLoss(bool detach)
    {
        MatchesNaive(FlowCase.Random(Shape, seed: 31, scale: 1.5), detach, "random");
        MatchesNaive(FlowCase.Random(Shape with { K = 1 }, seed: 32, scale: 1.5), detach, "K = 1");
    }

    [Fact]
    public void ComputeLoss_IsZero_ForAOneItemUser()
    {
        // R = A = 1 on the single item: −1·log 1 = 0.
        var shape = new FlowShape(B: 2, K: 2, L: 4, D: 4, Lengths: [1, 1]);
        var c = FlowCase.Random(shape, seed: 33);
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        new ReAttendFlow().ComputeLoss(context).item<float>().Should().Be(0f);
    }

    [Fact]
    public void ComputeLoss_CostsTheReAttentionMassElsewhere_WhenAllAttentionIsOnOneItem()
    {
        var c = FlowCase.Random(Shape, seed: 34, scale: 1.5);
        for (var b = 0; b < Shape.B; b++)
        {
            for (var k = 0; k < Shape.K; k++) FlowData.OneHot(Shape, c.A, c.LogA, b, k, item: k % Shape.N(b));
        }

        MatchesNaive(c, detach: false, "one-hot");
    }

    [Fact]
    public void ComputeLoss_StaysFinite_WithLargeDotProductsAndExactZeroPadding()
    {
        // Dot products up to ~100 (no temperature, but large embeddings) and padding rows exactly 0.
        var c = FlowCase.Random(Shape, seed: 35, scale: 5);
        MatchesNaive(c, detach: false, "large logits");
        using var scope = NewDisposeScope();
        var (context, z, x, logA) = c.Tensors(grad: true, logAGrad: true);
        new ReAttendFlow().ComputeLoss(context).backward();
        FlowAssert.AllFinite(z.grad, "dL/dZ");
        FlowAssert.AllFinite(x.grad, "dL/dX");
        FlowAssert.AllFinite(logA.grad, "dL/dlogA");
    }

    [Fact]
    public void ComputeLoss_HasGradientsMatchingFiniteDifferencesOfTheNaiveLoss()
    {
        var c = FlowCase.Random(Shape, seed: 36, scale: 1.5);
        using var scope = NewDisposeScope();
        var (context, z, x, logA) = c.Tensors(grad: true, logAGrad: true);
        new ReAttendFlow().ComputeLoss(context).backward();
        FlowAssert.GradientMatches(z.grad, c.Zd, zz => NaiveFlows.Attend(Shape, zz, c.Xd, c.LogAd), "dL/dZ");
        FlowAssert.GradientMatches(x.grad, c.Xd, xx => NaiveFlows.Attend(Shape, c.Zd, xx, c.LogAd), "dL/dX");
        FlowAssert.GradientMatches(logA.grad, c.LogAd, la => NaiveFlows.Attend(Shape, c.Zd, c.Xd, la), "dL/dlogA");
    }

    [Fact]
    public void DetachTarget_KeepsTheValue_AndRemovesTheGradientThroughR()
    {
        var c = FlowCase.Random(Shape, seed: 37, scale: 1.5);
        float attached, detached;
        float[] gradLogAttached, gradLogDetached, gradZAttached;
        using (var scope = NewDisposeScope())
        {
            var (context, z, _, logA) = c.Tensors(grad: true, logAGrad: true);
            var loss = new ReAttendFlow(new ReAttendOptions { DetachTarget = false }).ComputeLoss(context);
            attached = loss.item<float>();
            loss.backward();
            gradLogAttached = Naive.Values(logA.grad!);
            gradZAttached = Naive.Values(z.grad!);
        }

        using (var scope = NewDisposeScope())
        {
            var (context, z, x, logA) = c.Tensors(grad: true, logAGrad: true);
            var loss = new ReAttendFlow(new ReAttendOptions { DetachTarget = true }).ComputeLoss(context);
            detached = loss.item<float>();
            loss.backward();
            gradLogDetached = Naive.Values(logA.grad!);
            // A is an input here, so with R detached Z and X reach the loss by no path at all.
            if (z.grad is { } gz) Naive.Values(gz).Should().OnlyContain(v => v == 0f, "R is detached");
            if (x.grad is { } gx) Naive.Values(gx).Should().OnlyContain(v => v == 0f, "R is detached");
        }

        detached.Should().Be(attached, "detaching changes gradients, not the value");
        gradZAttached.Should().Contain(v => Math.Abs(v) > 1e-3f, "without detach Z gets a gradient through R");
        gradLogDetached.Should().Equal(gradLogAttached, "the gradient through log A does not depend on the detach");

        // dL/dlog A = −R/(B·K) on valid items, 0 on padding.
        var expected = new double[Shape.B * Shape.K * Shape.L];
        for (var b = 0; b < Shape.B; b++)
        {
            for (var k = 0; k < Shape.K; k++)
            {
                var r = NaiveFlows.ReAttention(Shape, c.Zd, c.Xd, b, k);
                for (var l = 0; l < r.Length; l++) expected[(b * Shape.K + k) * Shape.L + l] = -r[l] / (Shape.B * Shape.K);
            }
        }

        using var s = NewDisposeScope();
        Naive.ShouldBeClose(tensor(gradLogDetached), expected, 1e-6, "dL/dlogA");
    }
}
