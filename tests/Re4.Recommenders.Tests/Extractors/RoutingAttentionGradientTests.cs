using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Extractors;

/// <summary>Where re-attend's gradient goes on the routing encoders. Without
/// <see cref="DynamicRoutingOptions.AttentionGradient"/>, log A comes from routing logits without gradient, so with a
/// detached target R the loss reaches no weight of the extractor; with it, the same A carries a gradient into the
/// bilinear maps.</summary>
public sealed class RoutingAttentionGradientTests
{
    private const int B = 3, L = 5, D = 4, K = 3;

    private static (DynamicRoutingExtractor Extractor, Tensor History, Tensor Mask) Build(bool gradient, bool mind)
    {
        manual_seed(17);
        var options = (mind ? DynamicRoutingOptions.Mind(D, K, L) : new DynamicRoutingOptions { Dimension = D, Interests = K, MaxLength = L })
            with { AttentionGradient = gradient };
        var extractor = new DynamicRoutingExtractor(options);
        var history = tensor(Naive.History(3, [5, 3, 2], L, D, 1.0), [B, L, D]);   // [B, L, d], padding rows 0
        var mask = tensor(Naive.Mask([5, 3, 2], L), [B, L]);                          // [B, L]
        return (extractor, history, mask);
    }

    /// <summary>The re-attend loss with a detached target, backpropagated; the summed absolute gradient of the extractor's
    /// weights, and the attention A.</summary>
    private static (double Gradient, float[] Attention) ReAttendGradient(bool gradient, bool mind)
    {
        var (extractor, history, mask) = Build(gradient, mind);
        using (extractor)
        using (var scope = NewDisposeScope())
        {
            if (mind) manual_seed(23);   // MIND's routing start is drawn in training mode: the same draw for both runs
            using var output = extractor.Extract(history, mask);
            var context = new BackwardFlowContext(output.Interests, output.Attention, output.LogAttention, history, mask);
            var loss = new ReAttendFlow(new ReAttendOptions { DetachTarget = true }).ComputeLoss(context);
            // Without the option nothing in the loss requires a gradient: there is nothing to backpropagate.
            if (loss.requires_grad) loss.backward();
            else if (gradient) throw new InvalidOperationException("With AttentionGradient the loss must carry a gradient.");
            var total = extractor.parameters().Sum(p => p.grad is null ? 0.0 : p.grad.abs().sum().item<float>());
            return (total, output.Attention.data<float>().ToArray());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReAttend_ReachesNoWeight_WithoutAttentionGradient(bool mind)
    {
        ReAttendGradient(gradient: false, mind).Gradient.Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReAttend_ReachesTheBilinearMaps_WithAttentionGradient(bool mind)
    {
        ReAttendGradient(gradient: true, mind).Gradient.Should().BeGreaterThan(1e-6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttentionGradient_KeepsTheAttentionValues(bool mind)
    {
        var without = ReAttendGradient(gradient: false, mind).Attention;
        var with = ReAttendGradient(gradient: true, mind).Attention;
        with.Should().Equal(without, (a, b) => Math.Abs(a - b) <= 1e-6f);
    }
}
