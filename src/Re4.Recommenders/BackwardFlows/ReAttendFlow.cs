using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// Re-attend (Re4 paper's re-attend loss; docs/concepts.md, "Backward flows"): retrieval scores items by the dot product with an interest, so the forward attention should agree
/// with it. The re-attention R = softmax<sub>L</sub>(masked Z·Xᵀ) (raw dot product, no temperature) is the target of a
/// cross-entropy against the forward attention A: L = mean over (b, k) of −Σ<sub>l</sub> R·log A / Σ<sub>l</sub> R.
/// With <see cref="FlowScaling.Normalized"/>, Z and X are first rescaled to norm √d (R = softmax(d·cos)).
/// </summary>
/// <remarks>Stateless and parameter-free; safe to share.</remarks>
public sealed class ReAttendFlow : IBackwardFlow
{
    private readonly ReAttendOptions _options;
    private static readonly Scalar Epsilon = 1e-12.ToScalar();   // static: a Scalar must outlive the native call

    /// <summary>Creates the flow with the reference settings.</summary>
    public ReAttendFlow()
        : this(new ReAttendOptions())
    {
    }

    /// <summary>Creates the flow from options (validated here).</summary>
    public ReAttendFlow(ReAttendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public string Name => "attend";

    /// <summary>The options.</summary>
    public ReAttendOptions Options => _options;

    /// <inheritdoc />
    public Tensor ComputeLoss(BackwardFlowContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var shared = FlowSharedInputs.For(context, out var owned);
        using var ownedShared = owned;
        var z = FlowVectors.Scaled(context.Interests, _options.Scaling);             // [B, K, d]
        var x = FlowVectors.Scaled(context.History, _options.Scaling);               // [B, L, d]
        var logits = z.matmul(x.transpose(1, 2));                                   // [B, K, L]
        // R, 0 on padding: MaskedAttention.Softmax without the log-softmax it also makes, which R does not need.
        var target = logits.masked_fill(shared.Padding, TorchScalars.MaskValue).softmax(-1);
        if (_options.DetachTarget) target = target.detach();
        // R is 0 where log A is the finite mask value, so padding contributes exactly 0.
        var crossEntropy = -(target * context.LogAttention).sum(-1) / target.sum(-1).clamp_min(Epsilon);   // [B, K]
        return crossEntropy.mean().MoveToOuterDisposeScope();
    }
}
