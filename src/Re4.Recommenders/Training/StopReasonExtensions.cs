namespace Re4.Recommenders.Training;

/// <summary>The text of a <see cref="StopReason"/> in logs and reports (the <c>stop_reason</c> of the command line's
/// <c>metrics.json</c>): the one place that maps the enum to it.</summary>
public static class StopReasonExtensions
{
    /// <summary><c>max-steps</c>, <c>max-epochs</c>, <c>max-duration</c> or <c>early-stopping</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined <see cref="StopReason"/>.</exception>
    public static string ToIdentifier(this StopReason reason) => reason switch
    {
        StopReason.MaxSteps => "max-steps",
        StopReason.MaxEpochs => "max-epochs",
        StopReason.MaxDuration => "max-duration",
        StopReason.EarlyStopping => "early-stopping",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a stop reason."),
    };
}
