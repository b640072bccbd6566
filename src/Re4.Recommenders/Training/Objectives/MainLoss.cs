using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The main loss (docs/concepts.md, "Main loss"): the interest that best matches the target, k* = argmax<sub>k</sub> ⟨u<sub>k</sub>, e<sub>y</sub>⟩
/// (no gradient through the choice), then a softmax of ⟨u<sub>k*</sub>, e⟩ over the target and the negatives shared by the
/// batch (or over all items), averaged over the batch.
/// </summary>
internal static class MainLoss
{
    /// <summary>Picks u<sub>k*</sub> for each row: <c>[B, K, d]</c> → <c>[B, d]</c>.</summary>
    public static Tensor SelectInterest(Tensor interests, Tensor targetEmbeddings)
    {
        using var scope = NewDisposeScope();
        var scores = interests.matmul(targetEmbeddings.unsqueeze(-1)).squeeze(-1);    // [B, K]
        var best = scores.detach().argmax(1);                                            // [B]
        var index = best.view(-1, 1, 1).expand(-1, 1, interests.shape[2]);              // [B, 1, d]
        return interests.gather(1, index).squeeze(1).MoveToOuterDisposeScope();          // [B, d]
    }

    /// <summary>Full softmax over items 1..N.</summary>
    /// <param name="interests">U, <c>[B, K, d]</c>.</param>
    /// <param name="table">The item table <c>[N + 1, d]</c>.</param>
    /// <param name="targets">Target ids <c>[B]</c> int64, in 1..N.</param>
    /// <param name="kernel">Which code computes the logits and their gradients.</param>
    public static Tensor Full(Tensor interests, Tensor table, Tensor targets, LogitsKernel kernel = LogitsKernel.Torch)
    {
        using var scope = NewDisposeScope();
        var u = SelectInterest(interests, table.index_select(0, targets));              // [B, d]
        StepProfiler.Mark(StepPhase.InterestSelection);
        Tensor loss;
        if (kernel == LogitsKernel.Managed)
        {
            // Logits, softmax and cross-entropy in one function over rows 1..N (it marks the logits phase itself).
            loss = ManagedSoftmaxCrossEntropy.Loss(u, table, targets.sub(TorchScalars.One), skipRows: 1).MoveToOuterDisposeScope();
        }
        else
        {
            var logits = u.matmul(table.narrow(0, 1, table.shape[0] - 1).t());             // [B, N]
            StepProfiler.Mark(StepPhase.Logits);
            loss = nn.functional.cross_entropy(logits, targets.sub(TorchScalars.One)).MoveToOuterDisposeScope();
        }

        StepProfiler.Mark(StepPhase.SoftmaxCrossEntropy);
        return loss;
    }

    /// <summary>Sampled softmax with shared negatives.</summary>
    /// <param name="interests">U, <c>[B, K, d]</c>.</param>
    /// <param name="table">The item table <c>[N + 1, d]</c>.</param>
    /// <param name="targets">Target ids <c>[B]</c> int64.</param>
    /// <param name="negatives">Negative ids <c>[S]</c> int64.</param>
    /// <param name="negativeLogQ">log expected count per negative <c>[S]</c> (logQ correction), or null for none.</param>
    /// <param name="targetLogQ">log expected count per target <c>[B]</c>, or null for none.</param>
    public static Tensor Sampled(Tensor interests, Tensor table, Tensor targets, Tensor negatives, Tensor? negativeLogQ, Tensor? targetLogQ)
    {
        using var scope = NewDisposeScope();
        var targetEmb = table.index_select(0, targets);                                 // [B, d]
        var u = SelectInterest(interests, targetEmb);                                    // [B, d]
        StepProfiler.Mark(StepPhase.InterestSelection);
        var positive = (u * targetEmb).sum(-1, keepdim: true);                           // [B, 1]
        // libtorch's product under either kernel: at these sizes (S = 10·B by default) the managed one measured slower.
        var negative = u.matmul(table.index_select(0, negatives).t());                  // [B, S]
        StepProfiler.Mark(StepPhase.Logits);
        if (targetLogQ is not null) positive = positive - targetLogQ.unsqueeze(1);
        if (negativeLogQ is not null) negative = negative - negativeLogQ.unsqueeze(0);
        // Accidental hits: a negative equal to the row's target is not a negative.
        var hits = negatives.unsqueeze(0).eq(targets.unsqueeze(1));                     // [B, S]
        negative = negative.masked_fill(hits, TorchScalars.MaskValue);
        var logits = cat([positive, negative], 1);                                       // [B, 1 + S]
        var loss = (-logits.log_softmax(1).select(1, 0)).mean().MoveToOuterDisposeScope();
        StepProfiler.Mark(StepPhase.SoftmaxCrossEntropy);
        return loss;
    }
}
