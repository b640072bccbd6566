using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>The positive cells of the re-contrast and re-construct flows: valid history items that an interest attends
/// to more than the threshold γ (no gradient through the choice).</summary>
internal static class Positives
{
    /// <summary>Boolean <c>[B, K, L]</c>: A<sub>k,l</sub> &gt; γ<sub>b</sub> on valid items.</summary>
    public static Tensor Of(Tensor attention, Tensor mask, PositiveThreshold threshold, double fixedThreshold)
    {
        using var scope = NewDisposeScope();
        var valid = mask.unsqueeze(1).gt(TorchScalars.Zero);                        // [B, 1, L]
        Tensor gamma;
        if (threshold == PositiveThreshold.Adaptive)
        {
            // γ = 1/n_b from the number of valid items, never from L (the classic bug counts padding slots).
            gamma = mask.sum(1).clamp_min(TorchScalars.One).reciprocal().mul(TorchScalars.OneSingle).view(-1, 1, 1);   // 1f / n: [B, 1, 1]
        }
        else
        {
            gamma = tensor((float)fixedThreshold, device: attention.device);
        }

        return (attention.detach().gt(gamma) & valid).MoveToOuterDisposeScope();  // [B, K, L]
    }
}
