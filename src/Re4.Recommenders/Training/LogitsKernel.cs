namespace Re4.Recommenders.Training;

/// <summary>Which code computes the main loss's logits U·Eᵀ and their gradients (<see cref="TrainerOptions.LogitsKernel"/>).</summary>
public enum LogitsKernel
{
    /// <summary>libtorch's matrix product and cross-entropy (the default of earlier builds; seeded results are those of earlier
    /// versions).</summary>
    Torch,

    /// <summary>The default: the library's own cache-blocked SIMD kernel on the tensors' memory, forward and backward, for CPU float32
    /// tensors (others fall back to libtorch). With the full softmax it also computes the softmax cross-entropy and its
    /// gradient in the same pass over the logits. Exact to float rounding, not bit-identical to <see cref="Torch"/>: the sums
    /// run in another order.</summary>
    Managed,
}
