namespace Re4.Recommenders.Training;

/// <summary>Why a training run stopped (<see cref="TrainingResult.StopReason"/>).</summary>
public enum StopReason
{
    /// <summary><see cref="TrainerOptions.MaxSteps"/> was reached.</summary>
    MaxSteps,

    /// <summary><see cref="TrainerOptions.MaxEpochs"/> was reached.</summary>
    MaxEpochs,

    /// <summary><see cref="TrainerOptions.MaxDuration"/> was reached.</summary>
    MaxDuration,

    /// <summary><see cref="TrainerOptions.Patience"/> validations passed without a gain.</summary>
    EarlyStopping,
}
