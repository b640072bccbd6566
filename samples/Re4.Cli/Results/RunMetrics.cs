namespace Re4.Cli;

/// <summary><c>metrics.json</c> of <c>evaluate</c> and <c>train</c> (a public contract, docs/cli.md): the run's data and
/// split, then the validation and test metrics, then what the verb adds. Members a verb does not fill stay null and are
/// not written: <c>evaluate</c> fills <see cref="LoadSeconds"/> and <see cref="EvaluateSeconds"/>, <c>train</c> the
/// members from <see cref="TrainSeconds"/> on.</summary>
internal sealed record RunMetrics
{
    public required string Model { get; init; }

    public required string Dataset { get; init; }

    public required int Seed { get; init; }

    public required int SplitSeed { get; init; }

    public required string Protocol { get; init; }

    public required string Filter { get; init; }

    public required int MaxLen { get; init; }

    public required bool ExcludeHistory { get; init; }

    public required UserCounts Users { get; init; }

    public required int Items { get; init; }

    public required long Interactions { get; init; }

    /// <summary>Validation metrics, keyed as <see cref="Recommenders.Evaluation.MetricNames"/> names them.</summary>
    public required IReadOnlyDictionary<string, double> Valid { get; init; }

    /// <summary>Test metrics, same keys.</summary>
    public required IReadOnlyDictionary<string, double> Test { get; init; }

    /// <summary><c>evaluate</c>: seconds to load, filter and split the data (3 decimals).</summary>
    public double? LoadSeconds { get; init; }

    /// <summary><c>evaluate</c>: seconds to evaluate both user sets (3 decimals).</summary>
    public double? EvaluateSeconds { get; init; }

    /// <summary><c>train</c>: seconds in training steps (3 decimals).</summary>
    public double? TrainSeconds { get; init; }

    /// <summary><c>train</c>: training examples per second (1 decimal).</summary>
    public double? TrainSamplesPerSecond { get; init; }

    public long? BestStep { get; init; }

    public long? Steps { get; init; }

    /// <summary>Why training stopped: <c>max-steps</c>, <c>max-epochs</c>, <c>max-duration</c> or <c>early-stopping</c>.</summary>
    public string? StopReason { get; init; }

    /// <summary>The encoder's CLI name.</summary>
    public string? Encoder { get; init; }

    public int? Interests { get; init; }

    public int? Dim { get; init; }

    public int? BatchSize { get; init; }

    public double? Lr { get; init; }

    /// <summary>The negative sampler's CLI name.</summary>
    public string? Sampler { get; init; }

    /// <summary><c>train</c>: the softmax the run trained with, <see cref="Sampler"/> with <c>auto</c> resolved for the
    /// catalogue (<c>full</c>, <c>log-uniform</c> or <c>uniform</c>).</summary>
    public string? Softmax { get; init; }

    /// <summary><c>train</c>: how Adam updated the item table, --item-updates with <c>auto</c> resolved for the catalogue
    /// (<c>dense</c> or <c>lazy</c>).</summary>
    public string? ItemUpdates { get; init; }

    /// <summary><c>train</c>: how many validation users each validation evaluated (all of <see cref="Users"/>' <c>valid</c>
    /// unless --valid-users was smaller): <see cref="Valid"/> and <see cref="History"/> are over these users.</summary>
    public int? ValidationUsers { get; init; }

    /// <summary><c>train</c>: the --recipe name (the model preset's unless given).</summary>
    public string? Recipe { get; init; }

    /// <summary><c>train</c>: the training sampler's CLI name (<c>every-prefix</c> or <c>random-cut</c>).</summary>
    public string? TrainSampler { get; init; }

    /// <summary><c>train</c>: <c>most-recent-first</c> or <c>oldest-first</c>.</summary>
    public string? HistoryOrder { get; init; }

    /// <summary>Each backward flow's name and weight λ.</summary>
    public IReadOnlyDictionary<string, double>? Flows { get; init; }

    /// <summary>β of REMI's interest-aware hard negatives (docs/remi.md); absent when off.</summary>
    public double? HardNegatives { get; init; }

    /// <summary>The interest diagnostics of the test users (absent without test users).</summary>
    public DiagnosticsSummary? Diagnostics { get; init; }

    /// <summary>One entry per validation.</summary>
    public IReadOnlyList<HistoryEntry>? History { get; init; }
}
