namespace Re4.Recommenders.Training;

/// <summary>Which code computes the main loss's logits U·Eᵀ and their gradients, and Adam's update
/// (<see cref="TrainerOptions.LogitsKernel"/>).</summary>
public enum LogitsKernel
{
    /// <summary>libtorch's operations throughout: its matrix product and cross-entropy, and Adam as eight libtorch operations
    /// per parameter. The default of earlier builds, whose seeded results it reproduces bit for bit.</summary>
    Torch,

    /// <summary>The default: with the full softmax, the library's own cache-blocked SIMD kernel computes the logits, the
    /// softmax cross-entropy and their gradients in one function on the tensors' memory; and Adam updates each CPU float32
    /// parameter in one pass; re-construct's weighted squared error and its gradients are one function as well
    /// (<see cref="BackwardFlows.ReConstructFlow"/>). CPU float32 tensors on machines with AVX-512 only (others fall back to libtorch); a sampled
    /// softmax keeps libtorch's product for its negatives (at S = 10·B the managed one measured slower). Exact to float
    /// rounding, not bit-identical to <see cref="Torch"/>: the sums run in another order, and Adam's square root is IEEE's
    /// where libtorch's (MKL's) can differ in the last bit.</summary>
    Managed,
}
