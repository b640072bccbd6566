using System.Diagnostics;

namespace Re4.Recommenders.Training;

public sealed partial class MultiInterestTrainer
{
    /// <summary>Takes <paramref name="warmupSteps"/> then <paramref name="steps"/> training steps, exactly as
    /// <see cref="Fit"/> takes them (the same batches, losses and updates: the run's state advances, and a later
    /// <see cref="Fit"/> continues from it), without validating, and returns the mean time per step of each
    /// <see cref="StepPhase"/> over the timed steps.</summary>
    /// <param name="steps">Steps timed, at least 1.</param>
    /// <param name="warmupSteps">Steps taken first and not timed (JIT compilation, libtorch's memory pools), at least 0.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <remarks>Timing reads a clock between phases (on CUDA it also waits for the queued work before reading it, which
    /// slows the step but not what it computes). A phase the objective does not mark (e.g. inside an objective of your
    /// own) is counted in the next marked one, <see cref="StepPhase.Objective"/> at the latest. The step limits of the
    /// options do not apply.</remarks>
    /// <exception cref="TrainingDivergedException">A loss became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between steps.</exception>
    public StepProfile Profile(int steps, int warmupSteps = 5, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        var clock = new Stopwatch();
        var parts = new Dictionary<string, double>();
        using var profiler = StepProfiler.Activate(_device);
        for (var i = 0; i < warmupSteps + steps; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i == warmupSteps) profiler.Recording = true;

            profiler.Restart();
            NextStep(clock, parts);
        }

        var phases = profiler.Timings(steps);
        return new StepProfile(steps, _options.BatchSize, phases.Sum(p => p.SecondsPerStep), phases);
    }
}
