using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>Copies of a module's state, for keeping the best model in memory.</summary>
internal static class ModuleState
{
    /// <summary>Detached copies of a module's state (the intermediate detached views are disposed at once).</summary>
    public static Dictionary<string, Tensor> Clone(nn.Module module)
    {
        using var scope = NewDisposeScope();
        var copy = module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        foreach (var t in copy.Values) t.MoveToOuterDisposeScope();
        return copy;
    }
}
