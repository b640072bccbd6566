using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>The three flows as they were computed before their shared inputs were computed once per step and re-contrast's
/// products fused into one (the tensor operations of that code, kept here unchanged): the reference the restructured flows
/// must match bit for bit.</summary>
internal static class PreviousFlowFormulations
{
    private static readonly Scalar Epsilon = 1e-12.ToScalar();

    public static Tensor Contrast(BackwardFlowContext context, ReContrastOptions options)
    {
        using var scope = NewDisposeScope();
        using var invTau = (1.0 / options.Temperature).ToScalar();
        var mask = context.Mask;
        var z = nn.functional.normalize(context.Interests, p: 2, dim: -1);
        var x = nn.functional.normalize(context.History, p: 2, dim: -1);
        long b = z.shape[0], k = z.shape[1];
        var padding = mask.eq(TorchScalars.Zero).unsqueeze(1);
        var own = z.matmul(x.transpose(1, 2)) * invTau;
        var ownMasked = own.masked_fill(padding, TorchScalars.MaskValue);
        var others = (z.matmul(z.transpose(1, 2)) * invTau)
            .masked_fill(eye(k, dtype: ScalarType.Bool, device: z.device).unsqueeze(0), TorchScalars.MaskValue);
        var parts = new List<Tensor> { ownMasked, others };
        if (options.NeighbourNegatives)
        {
            var neighbourX = x.roll(1, 0);
            var neighbourPadding = mask.roll(1, 0).eq(TorchScalars.Zero).unsqueeze(1);
            parts.Add((z.matmul(neighbourX.transpose(1, 2)) * invTau).masked_fill(neighbourPadding, TorchScalars.MaskValue));
        }

        var logDenominator = cat(parts, 2).logsumexp(2, keepdim: true);
        var positives = Positives.Of(context.Attention, mask, options.Threshold, options.FixedThreshold);
        var cellLoss = (logDenominator - own).masked_fill(positives.logical_not(), TorchScalars.Zero);
        var total = cellLoss.sum();
        using var cells = (b * k * own.shape[2]).ToScalar();
        var loss = options.Normalization == FlowNormalization.AllCells
            ? total / cells
            : total / positives.sum().clamp_min(TorchScalars.One);
        return loss.MoveToOuterDisposeScope();
    }

    public static Tensor Attend(BackwardFlowContext context, ReAttendOptions options)
    {
        using var scope = NewDisposeScope();
        var z = FlowVectors.Scaled(context.Interests, options.Scaling);
        var x = FlowVectors.Scaled(context.History, options.Scaling);
        var logits = z.matmul(x.transpose(1, 2));
        var (target, _) = MaskedAttention.Softmax(logits, context.Mask);
        if (options.DetachTarget) target = target.detach();
        var crossEntropy = -(target * context.LogAttention).sum(-1) / target.sum(-1).clamp_min(Epsilon);
        return crossEntropy.mean().MoveToOuterDisposeScope();
    }

    /// <summary>Re-construct with the generator's parameters (by their names in <c>named_parameters()</c>).</summary>
    public static Tensor Construct(BackwardFlowContext context, IReadOnlyDictionary<string, Tensor> p, int maxLength, ReConstructOptions options)
    {
        using var scope = NewDisposeScope();
        var z = FlowVectors.Scaled(context.Interests, options.Scaling);
        var x = FlowVectors.Scaled(context.History, options.Scaling);
        long b = z.shape[0], k = z.shape[1], l = x.shape[1], d = z.shape[2];
        var q = nn.functional.linear(z, p["expand.weight"], p["expand.bias"]).view(b, k, maxLength, d).narrow(2, 0, l);
        var logits = nn.functional.linear(nn.functional.linear(q, p["w_1.weight"]).tanh(), p["w_2.weight"])
            .narrow(3, 0, l).transpose(2, 3);
        var padding = context.Mask.eq(TorchScalars.Zero).view(b, 1, 1, l);
        var g = logits.masked_fill(padding, TorchScalars.MaskValue).softmax(-1);
        var reconstructed = g.matmul(nn.functional.linear(q, p["w_3.weight"]));
        var error = (reconstructed - x.unsqueeze(1)).Squared();
        var positives = Positives.Of(context.Attention, context.Mask, options.Threshold, options.FixedThreshold);
        var total = error.masked_fill(positives.logical_not().unsqueeze(-1), TorchScalars.Zero).sum();
        using var cells = (b * k * l * d).ToScalar();
        using var dimension = d.ToScalar();
        var loss = options.Normalization == FlowNormalization.AllCells
            ? total / cells
            : total / (positives.sum().clamp_min(TorchScalars.One) * dimension);
        return loss.MoveToOuterDisposeScope();
    }
}
