using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>The input checks every built-in extractor makes, with the caller's parameter names.</summary>
internal static class ExtractorChecks
{
    public static void Shapes(Tensor history, Tensor mask, int dimension, int? maxLength = null)
    {
        if (history.dim() != 3 || history.shape[2] != dimension)
            throw new ArgumentException($"history must be [B, L, {dimension}]; got [{string.Join(", ", history.shape)}].", nameof(history));
        if (mask.dim() != 2 || mask.shape[0] != history.shape[0] || mask.shape[1] != history.shape[1])
            throw new ArgumentException($"mask must be [B, L] = [{history.shape[0]}, {history.shape[1]}]; got [{string.Join(", ", mask.shape)}].", nameof(mask));
        if (maxLength is { } l && history.shape[1] > l)
            throw new ArgumentException($"history has L = {history.shape[1]} positions; this extractor was built for at most {l}.", nameof(history));
    }
}
