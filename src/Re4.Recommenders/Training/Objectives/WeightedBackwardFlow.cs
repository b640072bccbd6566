using Re4.Recommenders.BackwardFlows;

namespace Re4.Recommenders.Training;

/// <summary>A backward flow and its weight λ in the total loss.</summary>
/// <param name="Flow">The flow.</param>
/// <param name="Weight">λ.</param>
public sealed record WeightedBackwardFlow(IBackwardFlow Flow, double Weight);
