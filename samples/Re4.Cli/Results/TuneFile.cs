namespace Re4.Cli;

/// <summary><c>tune.json</c> (docs/cli.md): the search, every trial, the best configuration and its <c>train</c> command.
/// Nothing in it depends on the test users, nor on timing (the file is the same for the same search).</summary>
internal sealed class TuneFile
{
    public required string Model { get; init; }

    public required string Dataset { get; init; }

    public required int Seed { get; init; }

    public required int SplitSeed { get; init; }

    public required string Protocol { get; init; }

    /// <summary>The users the search trained and selected on (the test users are not read).</summary>
    public required TuneUsers Users { get; init; }

    /// <summary>How many of the validation users each trial validated on (<c>--valid-users</c>; <see cref="Users"/>'
    /// <c>valid</c> when all of them). Absent from files written before the option existed, which validated on all.</summary>
    public int? ValidationUsers { get; init; }

    public required string SelectionMetric { get; init; }

    public required TuneSchedule Schedule { get; init; }

    /// <summary>Parameter (its <c>train</c> flag's name) → where it was searched.</summary>
    public required IReadOnlyDictionary<string, TuneRange> Space { get; init; }

    /// <summary>Every trial, rung by rung.</summary>
    public required IReadOnlyList<TuneTrialEntry> Trials { get; init; }

    /// <summary>The configuration the last rung kept, with its last trial.</summary>
    public required TuneTrialEntry Best { get; init; }

    /// <summary>The <c>re4 train</c> command that trains the best configuration with the search's other options.</summary>
    public required string Command { get; init; }
}
