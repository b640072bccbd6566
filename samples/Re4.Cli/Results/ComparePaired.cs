namespace Re4.Cli;

/// <summary>The <c>paired</c> object of <c>compare.json</c>: each model against the baseline, user by user on the test
/// users (each user's metric averaged over the model's seeds).</summary>
internal sealed class ComparePaired
{
    public required string Baseline { get; init; }

    public required int Users { get; init; }

    /// <summary>What a user's value of a model is.</summary>
    public string PerUser { get; init; } = "the user's test metric averaged over the model's runs (seeds)";

    public required int Resamples { get; init; }

    public required int Permutations { get; init; }

    public required int Seed { get; init; }

    public required double ConfidenceLevel { get; init; }

    /// <summary>Every model but the baseline, in table order.</summary>
    public required IReadOnlyList<ComparePairedModel> Models { get; init; }
}
