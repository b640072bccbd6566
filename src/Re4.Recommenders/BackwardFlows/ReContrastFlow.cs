using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// Re-contrast (Re4 paper's re-contrast loss; docs/concepts.md, "Backward flows"): each interest is pulled towards its positive history items and pushed from the user's other
/// items, the user's other interests and another user's items, with cosine similarities at temperature τ. For interest
/// k with denominator D<sub>k</sub> = Σ exp(cos/τ) over the user's valid items, its K−1 other interests and the valid items
/// of the neighbouring user of the batch, each positive l costs −log(exp(cos(z<sub>k</sub>, x<sub>l</sub>)/τ)/D<sub>k</sub>),
/// computed in log space (logsumexp) because exp(1/0.02) = e<sup>50</sup> is at float32's edge.
/// </summary>
/// <remarks>Stateless and parameter-free; safe to share.</remarks>
public sealed class ReContrastFlow : IBackwardFlow
{
    private readonly ReContrastOptions _options;

    /// <summary>Creates the flow with the reference settings.</summary>
    public ReContrastFlow()
        : this(new ReContrastOptions())
    {
    }

    /// <summary>Creates the flow from options (validated here).</summary>
    public ReContrastFlow(ReContrastOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public string Name => "contrast";

    /// <summary>The options.</summary>
    public ReContrastOptions Options => _options;

    /// <inheritdoc />
    public Tensor ComputeLoss(BackwardFlowContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        using var invTau = (1.0 / _options.Temperature).ToScalar();   // owned: a temporary Scalar may be freed mid-call
        var shared = FlowSharedInputs.For(context, out var owned);
        using var ownedShared = owned;
        var z = nn.functional.normalize(context.Interests, p: 2, dim: -1);          // [B, K, d]
        var x = nn.functional.normalize(context.History, p: 2, dim: -1);            // [B, L, d], padding rows stay 0
        long b = z.shape[0], k = z.shape[1], l = x.shape[1];
        var padding = shared.Padding.expand(b, k, l);                               // [B, K, L]
        var ownInterests = eye(k, dtype: ScalarType.Bool, device: z.device).unsqueeze(0).expand(b, k, k);   // [B, K, K]: the diagonal is not a negative
        // The denominator's scores side by side, [B, K, 2L+K]: the user's items, the user's other interests and, as the
        // reference code rolls the batch by one, user b−1's items. Three products, not one over the concatenated keys:
        // that would sum Z's gradient in another float order. Scaled by 1/τ and masked once for all three.
        Tensor products, excluded;
        if (_options.NeighbourNegatives)
        {
            products = cat([z.matmul(x.transpose(1, 2)), z.matmul(z.transpose(1, 2)), z.matmul(x.roll(1, 0).transpose(1, 2))], 2);
            excluded = cat([padding, ownInterests, padding.roll(1, 0)], 2);
        }
        else
        {
            products = cat([z.matmul(x.transpose(1, 2)), z.matmul(z.transpose(1, 2))], 2);                 // [B, K, L+K]
            excluded = cat([padding, ownInterests], 2);
        }

        var scores = products * invTau;                                             // [B, K, 2L+K]
        var own = scores.narrow(2, 0, l);                                           // cos(z_k, x_l)/τ: [B, K, L]
        var logDenominator = scores.masked_fill(excluded, TorchScalars.MaskValue).logsumexp(2, keepdim: true);   // [B, K, 1]
        var (positives, notPositives) = shared.Positives(_options.Threshold, _options.FixedThreshold);           // [B, K, L]
        var cellLoss = (logDenominator - own).masked_fill(notPositives, TorchScalars.Zero);                      // [B, K, L]
        var total = cellLoss.sum();
        using var cells = (b * k * l).ToScalar();
        var loss = _options.Normalization == FlowNormalization.AllCells
            ? total / cells
            : total / positives.sum().clamp_min(TorchScalars.One);
        return loss.MoveToOuterDisposeScope();
    }
}
