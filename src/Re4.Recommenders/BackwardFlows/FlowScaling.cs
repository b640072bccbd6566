namespace Re4.Recommenders.BackwardFlows;

/// <summary>Which vectors the re-attend and re-construct flows compare: the raw embeddings (whose scale sets the flows'
/// strength) or embeddings rescaled to a fixed norm. Re-contrast compares cosines, so it has no scale to fix.</summary>
public enum FlowScaling
{
    /// <summary>The raw Z and X, as the reference code: with Xavier-initialised items (‖x‖² ≈ 0.01 at d = 64) re-construct's
    /// squared error and re-attend's logits Z·Xᵀ are 10³–10⁴ times smaller than with the reference's standard-normal
    /// items (‖x‖² ≈ d), so the same λ is a much weaker flow.</summary>
    Reference,

    /// <summary>Z and X each rescaled to norm √d (the norm of a standard-normal d-vector) before the flow compares them:
    /// re-attend's target is softmax(d·cos(z, x)), re-construct generates from z/‖z‖·√d and is scored against x/‖x‖·√d.
    /// Multiplying the embeddings by any c &gt; 0 leaves the loss unchanged, and at the reference's scale the flows
    /// are about as strong as the reference's.</summary>
    Normalized,
}
