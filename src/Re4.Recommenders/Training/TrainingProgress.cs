namespace Re4.Recommenders.Training;

/// <summary>A progress report: sent after every step (cheap fields) and after every validation.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="MaxSteps">The step limit.</param>
/// <param name="Epoch">Sampler epochs completed.</param>
/// <param name="Loss">Total loss of the last step.</param>
/// <param name="LossParts">Each part of the last step's loss (<c>main</c>, then each backward flow, unweighted).</param>
/// <param name="SamplesPerSecond">Training examples per second since the start (validation time excluded).</param>
/// <param name="LastValidation">Metrics of the latest validation, or null before the first.</param>
/// <param name="BestStep">Step of the best validation so far (0 before the first).</param>
/// <param name="IsValidation">True when this report follows a validation.</param>
public sealed record TrainingProgress(
    long Step,
    long MaxSteps,
    int Epoch,
    double Loss,
    IReadOnlyDictionary<string, double> LossParts,
    double SamplesPerSecond,
    IReadOnlyDictionary<string, double>? LastValidation,
    long BestStep,
    bool IsValidation);
