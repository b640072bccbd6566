namespace Re4.Cli;

/// <summary><c>compare.json</c> (docs/cli.md): the split, the seeds, and one entry per model in table order.</summary>
internal sealed class CompareFile
{
    public required string Dataset { get; init; }

    public required string Protocol { get; init; }

    public required int SplitSeed { get; init; }

    public required IReadOnlyList<int> Seeds { get; init; }

    public required int TestUsers { get; init; }

    /// <summary>Which standard deviation <see cref="CompareModel.Std"/> is.</summary>
    public string Std { get; init; } = "sample (n - 1); 0 for a single run";

    public required IReadOnlyList<CompareModel> Models { get; init; }

    /// <summary>Every model against the baseline, user by user (absent with a single model).</summary>
    public ComparePaired? Paired { get; init; }
}
