namespace Re4.Recommenders.Tuning;

/// <summary>One finished trial: a configuration trained to a rung's step budget, and its best validation metrics.</summary>
/// <param name="Configuration">The configuration's number (0-based, in sampling order).</param>
/// <param name="Rung">The rung.</param>
/// <param name="Budget">The rung's step budget.</param>
/// <param name="Steps">The steps the configuration has been trained in total (below the budget when it stopped early).</param>
/// <param name="BestStep">The step of its best validation.</param>
/// <param name="StopReason">Why its training stopped (<see cref="Training.StopReasonExtensions.ToIdentifier"/>).</param>
/// <param name="Validation">Its best validation metrics (the selected model's).</param>
/// <param name="TrainSeconds">Seconds of training in total.</param>
public sealed record TuningTrial(int Configuration, int Rung, long Budget, long Steps, long BestStep, string StopReason,
    IReadOnlyDictionary<string, double> Validation, double TrainSeconds);
