using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>The modules of an <see cref="ITrainingObjective"/> (e.g. the re-construct generator) as one module, so that
/// their parameters are optimised, moved, switched to training mode and saved in the resume state with the model's.</summary>
/// <remarks>
/// Each module is registered under its position ("0", "1", ...). Not TorchSharp's <c>ModuleList</c>: in 0.107 a list built
/// from an array registers none of its modules' parameters, so until this type existed the generator was never updated
/// and the resume state held no tensor of it. Disposing this container disposes the modules.
/// </remarks>
internal sealed class ObjectiveModules : nn.Module
{
    public ObjectiveModules(IReadOnlyList<nn.Module> modules)
        : base(nameof(ObjectiveModules))
    {
        ArgumentNullException.ThrowIfNull(modules);
        for (var i = 0; i < modules.Count; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), modules[i]);
    }
}
