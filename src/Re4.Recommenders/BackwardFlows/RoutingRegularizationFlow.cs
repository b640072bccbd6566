using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// REMI's routing regularisation (Xie et al., RecSys 2023; docs/remi.md, "RR") against routing collapse, an interest
/// attending to a single history item. For each user b and interest k, the spread of its attention row
/// v<sub>b,k</sub> = (1/d) Σ<sub>l</sub> (A<sub>b,k,l</sub> − Ā<sub>b,k</sub>)² (the diagonal of (A − Ā)(A − Ā)ᵀ / d, d the interests' size)
/// is 0 for uniform attention and largest for one-hot attention; the loss is Σ<sub>k</sub> v<sub>b,k</sub>², summed (or
/// averaged) over the batch.
/// </summary>
/// <remarks>Reads only A and m, so it works on every extractor. Stateless and parameter-free; safe to share.</remarks>
public sealed class RoutingRegularizationFlow : IBackwardFlow
{
    /// <summary>The flow's name in reports and in the command line's <c>--flows</c>.</summary>
    public const string FlowName = "routing-reg";

    private readonly RoutingRegularizationOptions _options;

    /// <summary>Creates the flow with the reference settings.</summary>
    public RoutingRegularizationFlow()
        : this(new RoutingRegularizationOptions())
    {
    }

    /// <summary>Creates the flow from options (validated here).</summary>
    public RoutingRegularizationFlow(RoutingRegularizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public string Name => FlowName;

    /// <summary>The options.</summary>
    public RoutingRegularizationOptions Options => _options;

    /// <inheritdoc />
    public Tensor ComputeLoss(BackwardFlowContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var a = context.Attention;                                                    // [B, K, L]
        Tensor centred;
        if (_options.Centering == RoutingCentering.AllSlots)
        {
            // The reference centres over every slot; A is exactly 0 on padding, which counts towards the mean.
            centred = a - a.mean([-1L], keepdim: true);                               // [B, K, L]
        }
        else
        {
            var valid = context.Mask.unsqueeze(1);                                    // [B, 1, L], float 0/1
            var count = context.Mask.sum(1).clamp_min(TorchScalars.One).view(-1, 1, 1);   // n_b: [B, 1, 1]
            var mean = (a * valid).sum(-1, keepdim: true) / count;                    // [B, K, 1]
            centred = (a - mean) * valid;                                             // [B, K, L], 0 on padding
        }

        using var dimension = context.Interests.shape[2].ToScalar();                 // owned: a temporary Scalar may be freed mid-call
        var variance = centred.Squared().sum(-1) / dimension;                         // diag((A − Ā)(A − Ā)ᵀ / d): [B, K]
        var perUser = variance.Squared().sum(-1);                                     // ‖diag‖²: [B]
        var loss = _options.Reduction == RoutingBatchReduction.Sum ? perUser.sum() : perUser.mean();
        return loss.MoveToOuterDisposeScope();
    }
}
