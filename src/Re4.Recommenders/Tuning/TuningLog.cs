using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.Tuning;

/// <summary>The tuner's log messages (source-generated, as the trainer's).</summary>
internal static partial class TuningLog
{
    [LoggerMessage(EventId = 101, EventName = "TrialStarted", Level = LogLevel.Information,
        Message = "Trial {Done}/{Total}: configuration {Configuration} ({Values}), rung {Rung}, to step {Steps}")]
    public static partial void TrialStarted(ILogger logger, int done, int total, int configuration, string values, int rung, long steps);

    [LoggerMessage(EventId = 102, EventName = "TrialFinished", Level = LogLevel.Information,
        Message = "Trial {Done}/{Total}: configuration {Configuration}, rung {Rung}: valid {Metric} {Value:F4} at step {BestStep} ({Steps} steps, {Reason})")]
    public static partial void TrialFinished(ILogger logger, int done, int total, int configuration, int rung, string metric, double value, long bestStep, long steps, string reason);

    [LoggerMessage(EventId = 103, EventName = "TrialKept", Level = LogLevel.Information,
        Message = "Trial {Done}/{Total}: configuration {Configuration}, rung {Rung}: finished before, kept (valid {Metric} {Value:F4})")]
    public static partial void TrialKept(ILogger logger, int done, int total, int configuration, int rung, string metric, double value);

    [LoggerMessage(EventId = 104, EventName = "RungPromoted", Level = LogLevel.Information,
        Message = "Rung {Rung} done: configurations {Promoted} go on to rung {Next}")]
    public static partial void RungPromoted(ILogger logger, int rung, string promoted, int next);
}
