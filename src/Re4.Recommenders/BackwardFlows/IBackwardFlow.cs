using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// A Re4 backward flow: an auxiliary loss that regularises the interests from the extractor's outputs alone, so it
/// plugs onto any <see cref="Extractors.InterestExtractor"/>. Re-contrast, re-attend and re-construct implement it;
/// the trainer adds λ·loss to the main loss and reports each flow's part by <see cref="Name"/>.
/// </summary>
public interface IBackwardFlow
{
    /// <summary>A short name for reports (<c>contrast</c>, <c>attend</c>, <c>construct</c>).</summary>
    string Name { get; }

    /// <summary>The flow's loss, a scalar tensor on the inputs' device.</summary>
    Tensor ComputeLoss(BackwardFlowContext context);
}

/// <summary>The tensors a backward flow may read. Borrowed, not owned: the flow must not dispose them.</summary>
/// <param name="Interests">Z, <c>[B, K, d]</c>.</param>
/// <param name="Attention">A, <c>[B, K, L]</c>.</param>
/// <param name="LogAttention">log A, <c>[B, K, L]</c>.</param>
/// <param name="History">X, <c>[B, L, d]</c>, padding rows 0.</param>
/// <param name="Mask">m, <c>[B, L]</c>, float 0/1.</param>
public sealed record BackwardFlowContext(Tensor Interests, Tensor Attention, Tensor LogAttention, Tensor History, Tensor Mask)
{
    /// <summary>What the step's flows derive from these tensors, computed once for all of them; null outside the
    /// objective (each flow then derives its own).</summary>
    internal FlowSharedInputs? Shared { get; init; }

    /// <summary>Whether a flow may use the library's own kernels (the step's <see cref="Training.TrainerOptions.LogitsKernel"/>);
    /// libtorch's operations outside the trainer's objective.</summary>
    internal Training.LogitsKernel Kernel { get; init; } = Training.LogitsKernel.Torch;
}
