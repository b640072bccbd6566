using static TorchSharp.torch;

namespace Re4.Recommenders.Models;

/// <summary>Finiteness checks of a module's tensors: a model with a NaN or infinite weight is never saved, loaded or
/// served (its scores would be NaN or infinite, and its rankings arbitrary).</summary>
internal static class WeightChecks
{
    /// <summary>The name of the first parameter or buffer of <paramref name="module"/> holding a NaN or an infinity, or null.</summary>
    public static string? FirstNonFinite(nn.Module module)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = module.state_dict();
        // One fused reduction in the common (finite) case; the per-tensor search only when it fails.
        var all = state.Values.Where(t => t.is_floating_point()).Select(t => isfinite(t).all()).ToList();
        if (all.Count == 0 || stack(all).all().item<bool>()) return null;
        return state.First(p => p.Value.is_floating_point() && !isfinite(p.Value).all().item<bool>()).Key;
    }
}
