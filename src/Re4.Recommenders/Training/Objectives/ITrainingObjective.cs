using Re4.Recommenders.BackwardFlows;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// What the trainer minimises: given one step's encoded batch, the total loss, with each of its parts reported by name.
/// <see cref="MultiInterestObjective"/> is the library's (the main loss plus Re4's weighted backward flows); implement
/// this interface to replace it, or wrap it to extend it (docs/extending.md, section 4).
/// </summary>
/// <remarks>
/// The trainer calls <see cref="ComputeLoss"/> once per step inside the step's dispose scope, then back-propagates the
/// returned tensor and records it as the part <c>total</c>. Not called concurrently.
/// </remarks>
public interface ITrainingObjective
{
    /// <summary>The backward flows in the loss, with their weights (for reports; empty when none).</summary>
    IReadOnlyList<WeightedBackwardFlow> Flows { get; }

    /// <summary>Modules whose parameters the trainer optimises with the model's and saves in the resume state (e.g.
    /// the re-construct generator); empty when none. The same modules, in the same order, on every read. The trainer
    /// disposes them with the model.</summary>
    IReadOnlyList<nn.Module> Modules { get; }

    /// <summary>The total loss of a step, a scalar tensor on the batch's device. Report each part with
    /// <see cref="StepLossParts.Add"/> as soon as it is computed (that is where a NaN or infinite part stops training).</summary>
    /// <param name="context">The step's batch, encoded: borrowed tensors, not to be disposed.</param>
    /// <param name="parts">Where the parts are reported (<c>main</c> and each flow's name, by convention).</param>
    Tensor ComputeLoss(TrainingStepContext context, StepLossParts parts);
}
