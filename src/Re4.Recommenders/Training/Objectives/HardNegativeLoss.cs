using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The main loss with REMI's interest-aware hard negatives (docs/remi.md, "IHN"): with s<sub>j</sub> = ⟨u<sub>k*</sub>, e<sub>j</sub>⟩ the
/// selected interest's score and s̃<sub>j</sub> the logit the plain loss uses (s<sub>j</sub> − logQ<sub>j</sub> with the correction),
/// L = −log(exp(s̃<sub>+</sub>) / (exp(s̃<sub>+</sub>) + Σ<sub>j</sub> w<sub>j</sub>·exp(s̃<sub>j</sub>))), w<sub>j</sub> = exp(β·s<sub>j</sub>) / mean<sub>i</sub> exp(β·s<sub>i</sub>),
/// sums and means over the row's negatives that are not its target; averaged over the batch.
/// </summary>
internal static class HardNegativeLoss
{
    /// <summary>Sampled softmax with shared negatives, reweighted (arguments as <see cref="MainLoss.Sampled"/>).</summary>
    public static Tensor Sampled(Tensor interests, Tensor table, Tensor targets, Tensor negatives, Tensor? negativeLogQ, Tensor? targetLogQ,
        HardNegativeOptions options)
    {
        using var scope = NewDisposeScope();
        var targetEmb = table.index_select(0, targets);                                 // [B, d]
        var u = MainLoss.SelectInterest(interests, targetEmb);                           // [B, d]
        var positive = (u * targetEmb).sum(-1, keepdim: true);                           // [B, 1]
        var scores = u.matmul(table.index_select(0, negatives).t());                    // s: [B, S]
        var corrected = scores;                                                          // s̃: [B, S]
        if (targetLogQ is not null) positive = positive - targetLogQ.unsqueeze(1);
        if (negativeLogQ is not null) corrected = scores - negativeLogQ.unsqueeze(0);
        // Accidental hits: a negative equal to the row's target is neither in the sum nor in the weights' mean.
        var hits = negatives.unsqueeze(0).eq(targets.unsqueeze(1));                     // [B, S]
        using var beta = options.Beta.ToScalar();                                        // owned: a temporary Scalar may be freed mid-call
        var hardness = scores * beta;                                                    // β·s: [B, S]
        if (options.DetachWeights) hardness = hardness.detach();
        // log Σ w·exp(s̃) = logsumexp(β·s + s̃) − logsumexp(β·s) + log S', all over the kept negatives.
        var logWeighted = hardness.Plus(corrected).masked_fill(hits, TorchScalars.MaskValue).logsumexp(1, keepdim: true);   // [B, 1]
        var logNormaliser = hardness.masked_fill(hits, TorchScalars.MaskValue).logsumexp(1, keepdim: true);              // [B, 1]
        var kept = hits.logical_not().sum(1, keepdim: true).to_type(scores.dtype);                                       // S': [B, 1]
        var logNegatives = (logWeighted - logNormaliser).Plus(kept.clamp_min(TorchScalars.One).log())
            .masked_fill(kept.eq(TorchScalars.Zero), TorchScalars.MaskValue);        // a row whose only negative is its target has none
        var logits = cat([positive, logNegatives], 1);                                   // [B, 2]
        return (-logits.log_softmax(1).select(1, 0)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Full softmax over items 1..N, reweighted: every item but the target is a negative.</summary>
    public static Tensor Full(Tensor interests, Tensor table, Tensor targets, HardNegativeOptions options)
    {
        using var scope = NewDisposeScope();
        // Ids 1..N built on the managed side: TorchSharp's arange hands libtorch a temporary step Scalar (see TorchScalars).
        var ids = new long[table.shape[0] - 1];
        for (var i = 0; i < ids.Length; i++) ids[i] = i + 1;
        var all = tensor(ids, device: table.device);                                     // [N]
        return Sampled(interests, table, targets, all, null, null, options).MoveToOuterDisposeScope();
    }
}
