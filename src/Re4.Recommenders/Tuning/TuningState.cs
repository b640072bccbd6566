using System.Text.Json;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tuning;

/// <summary><c>tune-state.json</c>: what defines a search (to refuse continuing another one) and its finished trials.
/// Rewritten through a temporary sibling and a rename after every trial, so a crash leaves the previous state.</summary>
internal sealed record TuningState
{
    public const string FileName = "tune-state.json";

    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    /// <summary>The model configuration, as JSON.</summary>
    public required string Model { get; init; }

    /// <summary>The trainer options the configurations are applied to, as JSON.</summary>
    public required string Options { get; init; }

    /// <summary>The search space, as JSON.</summary>
    public required string Space { get; init; }

    /// <summary>The schedule, as JSON.</summary>
    public required string Schedule { get; init; }

    public required DataFingerprint Data { get; init; }

    public List<TuningTrial> Trials { get; init; } = new();

    /// <summary>The first way <paramref name="other"/> describes another search, in words, or null.</summary>
    public string? Difference(TuningState other)
    {
        if (Model != other.Model) return "the model (--model, --interests, --dim, ...) differs";
        if (Options != other.Options) return "the training options differ";
        if (Space != other.Space) return "the search ranges differ";
        if (Schedule != other.Schedule) return "the schedule (configurations, η, first rung's steps) differs";
        return Data.Difference(other.Data) is { } data ? $"the data differ: {data}" : null;
    }

    /// <summary>The state in <paramref name="directory"/>, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or of another format; the message names it.</exception>
    public static TuningState? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        TuningState? state;
        try
        {
            state = JsonSerializer.Deserialize<TuningState>(File.ReadAllText(path), Models.ModelCheckpoint.Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{path} is damaged: {e.Message}", e);
        }

        if (state is null) throw new InvalidDataException($"{path} is empty.");
        if (state.Format != CurrentFormat) throw new InvalidDataException($"{path} has format {state.Format}; this version reads format {CurrentFormat}.");
        return state;
    }

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temp = Path.Combine(directory, $".{FileName}.{Guid.NewGuid().ToString("N")[..8]}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(stream, this, Models.ModelCheckpoint.Json);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
