namespace Re4.Recommenders.Training;

/// <summary>Which code computes the main loss's logits U·Eᵀ and their gradients, and Adam's update
/// (<see cref="TrainerOptions.LogitsKernel"/>).</summary>
public enum LogitsKernel
{
    /// <summary>libtorch's operations throughout: its matrix product and cross-entropy, and Adam as eight libtorch operations
    /// per parameter. The default of earlier builds, whose seeded results it reproduces bit for bit.</summary>
    Torch,

    /// <summary>The default: the library's own cache-blocked SIMD kernel on the tensors' memory, forward and backward, for CPU
    /// float32 tensors on machines with AVX-512 (others fall back to libtorch). With the full softmax it also computes the
    /// softmax cross-entropy and its gradient in the same pass over the logits, and Adam updates each CPU float32 parameter
    /// in one pass. Exact to float rounding, not bit-identical to <see cref="Torch"/>: the sums run in another order, and
    /// Adam's square root is IEEE's where libtorch's (MKL's) can differ in the last bit.</summary>
    Managed,
}
