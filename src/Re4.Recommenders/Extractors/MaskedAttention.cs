using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>Masked distributions over the history axis, shared by the extractors.</summary>
internal static class MaskedAttention
{
    /// <summary>A large finite negative for masked logits: exp underflows to exactly 0, and 0·(−1e9) stays finite where
    /// −∞ would give NaN in a cross-entropy.</summary>
    public const float MaskValue = -1e9f;

    /// <summary>softmax over L of logits <c>[B, K, L]</c> with padding masked; returns (A, log A), both <c>[B, K, L]</c>,
    /// A exactly 0 and log A = −1e9-ish (finite) on padding.</summary>
    public static (Tensor Attention, Tensor LogAttention) Softmax(Tensor logits, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var padding = mask.eq(TorchScalars.Zero).unsqueeze(1);   // [B, 1, L]
        var masked = logits.masked_fill(padding, TorchScalars.MaskValue);   // [B, K, L]
        var attention = masked.softmax(-1);
        var logAttention = masked.log_softmax(-1);
        return (attention.MoveToOuterDisposeScope(), logAttention.MoveToOuterDisposeScope());
    }

    /// <summary>Uniform attention over the valid items for K interests (single-interest baselines): <c>[B, K, L]</c>.</summary>
    public static (Tensor Attention, Tensor LogAttention) Uniform(Tensor mask, int interests)
    {
        using var scope = NewDisposeScope();
        var logits = zeros_like(mask).unsqueeze(1).expand(-1, interests, -1);   // [B, K, L]
        var (a, logA) = Softmax(logits, mask);
        return (a.MoveToOuterDisposeScope(), logA.MoveToOuterDisposeScope());
    }
}
