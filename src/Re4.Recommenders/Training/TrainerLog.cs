using Microsoft.Extensions.Logging;
using Re4.Recommenders.Models;

namespace Re4.Recommenders.Training;

/// <summary>
/// The trainer's log messages, as source-generated <see cref="LoggerMessageAttribute"/> methods: the template is parsed
/// once at compile time, the level is checked before anything is formatted, and value-type arguments are not boxed, so a
/// validation line costs nothing when Information is filtered out.
/// </summary>
internal static partial class TrainerLog
{
    [LoggerMessage(EventId = 1, EventName = "TrainingStarted", Level = LogLevel.Information,
        Message = "Training {Model} (K = {K}, d = {D}) on {Users} training users, {Items} items: batch {Batch}, lr {Lr}, {Negatives} negatives, flows [{Flows}], {Device}")]
    public static partial void TrainingStarted(ILogger logger, string model, int k, int d, int users, int items, int batch, double lr, string negatives, string flows, string device);

    [LoggerMessage(EventId = 5, EventName = "ValidationSample", Level = LogLevel.Information,
        Message = "Validating on {Users} of the {Total} validation users (spread evenly); test users are evaluated in full")]
    public static partial void ValidationSample(ILogger logger, int users, int total);

    [LoggerMessage(EventId = 6, EventName = "ValidationCostly", Level = LogLevel.Warning,
        Message = "Validating {Users} users took {Seconds:F1} s against {TrainSeconds:F1} s for the {Steps} steps before it: validate on a sample (TrainerOptions.ValidationUsers, re4 train --valid-users {Suggested}) or less often (TrainerOptions.EvaluateEvery, --eval-every); test users are evaluated in full either way")]
    public static partial void ValidationCostly(ILogger logger, int users, double seconds, double trainSeconds, long steps, int suggested);

    [LoggerMessage(EventId = 2, EventName = "Validated", Level = LogLevel.Information,
        Message = "step {Step}: loss {Loss:F4}, valid {Metric} {Value:F4}{Mark} (best {Best:F4} at {BestStep}), {Rate:F0} samples/s")]
    public static partial void Validated(ILogger logger, long step, double loss, string metric, double value, string mark, double best, long bestStep, double rate);

    [LoggerMessage(EventId = 3, EventName = "TrainingStopped", Level = LogLevel.Information,
        Message = "Stopped ({Reason}) after {Steps} steps; best validation {Metric} = {Value:F4} at step {Best}")]
    public static partial void TrainingStopped(ILogger logger, string reason, long steps, string metric, double value, long best);

    [LoggerMessage(EventId = 4, EventName = "LossExploding", Level = LogLevel.Warning,
        Message = "step {Step}: the loss {Loss:G3} is over {Factor}x the first step's ({First:G3}): training is diverging; lower the learning rate or the loss weights")]
    public static partial void LossExploding(ILogger logger, long step, double loss, double factor, double first);
}
