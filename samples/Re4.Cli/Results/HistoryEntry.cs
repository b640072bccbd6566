using System.Text.Json;
using System.Text.Json.Serialization;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>One validation in <c>metrics.json</c>'s <c>history</c>: <c>step</c>, <c>loss</c>, then <c>loss_PART</c> for each
/// loss part and <c>valid_METRIC</c> for each validation metric (names that depend on the run, hence extension data).</summary>
internal sealed class HistoryEntry
{
    public required long Step { get; init; }

    public required double Loss { get; init; }

    /// <summary>The loss parts and the validation metrics, in that order.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement> Parts { get; set; } = new();

    /// <summary>The entry of <paramref name="record"/>.</summary>
    public static HistoryEntry From(ValidationRecord record)
    {
        var entry = new HistoryEntry { Step = record.Step, Loss = record.Loss };
        foreach (var (part, value) in record.LossParts) entry.Parts.Add("loss_" + part, Number(value));
        foreach (var (key, value) in record.Metrics) entry.Parts.Add("valid_" + key, Number(value));
        return entry;
    }

    private static JsonElement Number(double value) => JsonSerializer.SerializeToElement(value, CliJsonContext.Default.Double);
}
