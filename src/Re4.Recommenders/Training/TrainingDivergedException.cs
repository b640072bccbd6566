namespace Re4.Recommenders.Training;

/// <summary>Thrown when a loss becomes NaN or infinite, or the weights after an update do (or give non-finite scores):
/// training stops at once and nothing of that state is saved. The trainer's message names the last good checkpoint.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for a non-finite loss part.</summary>
    public TrainingDivergedException(long step, string part, double value)
        : base($"Training diverged at step {step}: the {part} loss is {value}. Lower the learning rate or the loss weights; the last good checkpoint is kept.")
    {
        Step = step;
        Part = part;
        Value = value;
    }

    /// <summary>Creates the exception with the trainer's account of what diverged and which checkpoint is the last good one.</summary>
    /// <param name="step">The step that produced the value.</param>
    /// <param name="part">What diverged: a loss part, <c>weights</c> or <c>scores</c>.</param>
    /// <param name="value">The offending value (NaN when it is not one number).</param>
    /// <param name="reason">What is wrong, in words.</param>
    /// <param name="lastGoodStep">The step of the last good (selected) model, or null when there is none.</param>
    /// <param name="lastGoodCheckpoint">The folder holding it, or null when it was not saved.</param>
    /// <param name="lastGood">The sentence naming the last good checkpoint.</param>
    public TrainingDivergedException(long step, string part, double value, string reason, long? lastGoodStep, string? lastGoodCheckpoint, string lastGood)
        : base($"Training diverged at step {step}: {reason}. Lower the learning rate or the loss weights. {lastGood}")
    {
        Step = step;
        Part = part;
        Value = value;
        LastGoodStep = lastGoodStep;
        LastGoodCheckpoint = lastGoodCheckpoint;
    }

    /// <summary>The step that produced the value.</summary>
    public long Step { get; }

    /// <summary>The loss part (<c>main</c> or a backward flow's name), or <c>weights</c> / <c>scores</c> when the weights
    /// after an update diverged.</summary>
    public string Part { get; }

    /// <summary>The non-finite value.</summary>
    public double Value { get; }

    /// <summary>The step of the last good model (the best validated before the divergence), or null when none was validated.</summary>
    public long? LastGoodStep { get; }

    /// <summary>The folder holding the last good model (the run folder's <c>model/</c>), or null when nothing was saved.</summary>
    public string? LastGoodCheckpoint { get; }
}
