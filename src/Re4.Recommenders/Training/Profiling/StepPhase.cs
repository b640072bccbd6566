namespace Re4.Recommenders.Training;

/// <summary>A phase of one training step, as <see cref="MultiInterestTrainer.Profile"/> times it. The phases follow
/// the step's order; their times add up to the step's wall time.</summary>
public enum StepPhase
{
    /// <summary>Drawing the batch from the training sampler (with prefetching: waiting for the prefetched batch).</summary>
    Sampling,

    /// <summary>The batch's ids (and the sampled negatives) copied into tensors on the model's device; in a lazy step of
    /// the default objective also the distinct ids sorted and renumbered and their rows gathered from the item table.</summary>
    Batch,

    /// <summary>The history embeddings X = E[history] and the mask (in a lazy step, read from the gathered rows).</summary>
    EmbeddingGather,

    /// <summary>The extractor's forward pass (interests and attention).</summary>
    Extractor,

    /// <summary>The main loss's choice of the interest that best matches the target.</summary>
    InterestSelection,

    /// <summary>The main loss's logits: ⟨u, e⟩ over every item (full softmax) or over the sampled negatives.</summary>
    Logits,

    /// <summary>The main loss's softmax and cross-entropy over the logits.</summary>
    SoftmaxCrossEntropy,

    /// <summary>One backward flow's forward work (its loss); <see cref="StepPhaseTiming.Name"/> names the flow.</summary>
    Flow,

    /// <summary>The rest of the objective: reading the parts, weighting and summing them (or a custom objective's work
    /// that marks no phase itself).</summary>
    Objective,

    /// <summary>Back-propagation of the total loss (every part's gradient, the flows' included).</summary>
    Backward,

    /// <summary>Adam's update (and zeroing the gradients).</summary>
    Optimizer,
}
