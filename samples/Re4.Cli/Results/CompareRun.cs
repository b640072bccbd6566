using System.Text.Json.Serialization;

namespace Re4.Cli;

/// <summary>One run in <c>compare.json</c>: its seed (null for most-popular, written as null), its folder under DIR, the
/// training figures of a trained run, and its test metrics.</summary>
internal sealed class CompareRun
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required int? Seed { get; init; }

    public required string Dir { get; init; }

    public long? Steps { get; init; }

    public long? BestStep { get; init; }

    /// <summary>Seconds in training steps (3 decimals).</summary>
    public double? TrainSeconds { get; init; }

    /// <summary>The table's metrics for the test users.</summary>
    public required IReadOnlyDictionary<string, double> Test { get; init; }
}
