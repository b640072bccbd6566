namespace Re4.Recommenders.Training;

/// <summary>The mean time one phase of a training step took, over the steps <see cref="MultiInterestTrainer.Profile"/>
/// timed.</summary>
/// <param name="Phase">The phase.</param>
/// <param name="Name">The flow's name for <see cref="StepPhase.Flow"/>; otherwise the phase's name in kebab case
/// (e.g. <c>softmax-cross-entropy</c>).</param>
/// <param name="SecondsPerStep">Mean wall time per step, in seconds.</param>
public sealed record StepPhaseTiming(StepPhase Phase, string Name, double SecondsPerStep);
