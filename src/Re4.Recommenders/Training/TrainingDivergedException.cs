namespace Re4.Recommenders.Training;

/// <summary>Thrown when a loss becomes NaN or infinite: training stops at once and nothing of that state is saved.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(long step, string part, double value)
        : base($"Training diverged at step {step}: the {part} loss is {value}. Lower the learning rate or the loss weights; the last good checkpoint is kept.")
    {
        Step = step;
        Part = part;
        Value = value;
    }

    /// <summary>The step that produced the value.</summary>
    public long Step { get; }

    /// <summary>The loss part (<c>main</c> or a backward flow's name).</summary>
    public string Part { get; }

    /// <summary>The non-finite value.</summary>
    public double Value { get; }
}
