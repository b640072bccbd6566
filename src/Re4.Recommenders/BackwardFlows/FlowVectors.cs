using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>The rescaling of <see cref="FlowScaling.Normalized"/>.</summary>
internal static class FlowVectors
{
    /// <summary><paramref name="vectors"/> (any shape, vectors on the last axis) as the flow sees them: unchanged under
    /// <see cref="FlowScaling.Reference"/> (the same tensor: the caller must not dispose it), else each rescaled to norm
    /// √d (zero rows, i.e. padding, stay zero).</summary>
    public static Tensor Scaled(Tensor vectors, FlowScaling scaling)
    {
        if (scaling == FlowScaling.Reference) return vectors;
        using var scope = NewDisposeScope();
        using var rootD = Math.Sqrt(vectors.shape[^1]).ToScalar();   // owned: a temporary Scalar may be freed mid-call
        return (nn.functional.normalize(vectors, p: 2, dim: -1) * rootD).MoveToOuterDisposeScope();
    }
}
