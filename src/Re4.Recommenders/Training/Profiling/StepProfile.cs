namespace Re4.Recommenders.Training;

/// <summary>Where the time of a training step goes: the mean time per step of each <see cref="StepPhase"/>, measured by
/// <see cref="MultiInterestTrainer.Profile"/> over <see cref="Steps"/> steps after a warm-up.</summary>
/// <param name="Steps">Steps timed (after the warm-up).</param>
/// <param name="BatchSize">B: examples per step.</param>
/// <param name="SecondsPerStep">Mean wall time of a whole step (sampling included), in seconds: the sum of the phases.</param>
/// <param name="Phases">Each phase's mean time, in step order (each flow once, by name).</param>
public sealed record StepProfile(int Steps, int BatchSize, double SecondsPerStep, IReadOnlyList<StepPhaseTiming> Phases)
{
    /// <summary>Training examples per second of wall time, sampling included.</summary>
    public double SamplesPerSecond => SecondsPerStep > 0 ? BatchSize / SecondsPerStep : 0;

    /// <summary>The mean time per step of every timing of <paramref name="phase"/> (all flows together for
    /// <see cref="StepPhase.Flow"/>), in seconds.</summary>
    public double SecondsOf(StepPhase phase) => Phases.Where(p => p.Phase == phase).Sum(p => p.SecondsPerStep);
}
