namespace Re4.Cli;

/// <summary>One trial in <c>tune.json</c>.</summary>
internal sealed class TuneTrialEntry
{
    /// <summary>The configuration's number (0-based, in sampling order; its run folder is <c>trials/c&lt;n&gt;</c>).</summary>
    public required int Configuration { get; init; }

    public required int Rung { get; init; }

    /// <summary>The rung's step budget.</summary>
    public required long Budget { get; init; }

    /// <summary>Steps trained in total (below the budget when it stopped early).</summary>
    public required long Steps { get; init; }

    public required long BestStep { get; init; }

    public required string StopReason { get; init; }

    /// <summary>The searched parameters' values (by their <c>train</c> flag's name).</summary>
    public required IReadOnlyDictionary<string, double> Config { get; init; }

    /// <summary>The best validation metrics of the configuration so far.</summary>
    public required IReadOnlyDictionary<string, double> Valid { get; init; }
}
