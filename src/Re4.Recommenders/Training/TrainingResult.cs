namespace Re4.Recommenders.Training;

/// <summary>What a training run did and reached. Immutable.</summary>
public sealed class TrainingResult
{
    internal TrainingResult(long steps, long bestStep, StopReason stopReason, double trainSeconds, double samplesPerSecond,
        IReadOnlyDictionary<string, double> bestValidation, IReadOnlyDictionary<string, double>? test, IReadOnlyList<ValidationRecord> history)
    {
        Steps = steps;
        BestStep = bestStep;
        StopReason = stopReason;
        TrainSeconds = trainSeconds;
        SamplesPerSecond = samplesPerSecond;
        BestValidation = bestValidation;
        Test = test;
        History = history;
    }

    /// <summary>Steps taken.</summary>
    public long Steps { get; }

    /// <summary>The step of the selected (best validation) model.</summary>
    public long BestStep { get; }

    /// <summary>Why training stopped (<see cref="StopReasonExtensions.ToIdentifier"/> gives its text for reports).</summary>
    public StopReason StopReason { get; }

    /// <summary>Seconds spent in training steps (validation excluded).</summary>
    public double TrainSeconds { get; }

    /// <summary>Training examples per second over the training steps.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>Validation metrics of the selected model, over the users each validation evaluated (all of the split's, or
    /// <see cref="TrainerOptions.ValidationUsers"/> of them).</summary>
    public IReadOnlyDictionary<string, double> BestValidation { get; }

    /// <summary>Test metrics of the selected model (evaluated once, at the end), or null when not asked for.</summary>
    public IReadOnlyDictionary<string, double>? Test { get; }

    /// <summary>Every validation: step, losses and metrics.</summary>
    public IReadOnlyList<ValidationRecord> History { get; }
}

/// <summary>One validation during training.</summary>
/// <param name="Step">The step after which it ran.</param>
/// <param name="Loss">Mean total loss since the previous validation.</param>
/// <param name="LossParts">Mean of each loss part since the previous validation.</param>
/// <param name="Metrics">Validation metrics.</param>
public sealed record ValidationRecord(long Step, double Loss, IReadOnlyDictionary<string, double> LossParts, IReadOnlyDictionary<string, double> Metrics);
