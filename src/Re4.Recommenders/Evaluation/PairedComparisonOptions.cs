namespace Re4.Recommenders.Evaluation;

/// <summary>Options of <see cref="PairedComparison"/>: how many resamples, which seed, which confidence level.</summary>
public sealed record PairedComparisonOptions
{
    /// <summary>Bootstrap resamples of the users for the confidence interval (default 10,000).</summary>
    public int Resamples { get; init; } = 10_000;

    /// <summary>Random sign flips for the p-value (default 10,000). When 2^users is at most this, every sign vector is
    /// enumerated instead and the p-value is exact.</summary>
    public int Permutations { get; init; } = 10_000;

    /// <summary>The seed of both draws (default 2022): the bootstrap and the sign flips each draw from their own
    /// <see cref="Random"/> made with it.</summary>
    public int Seed { get; init; } = 2022;

    /// <summary>The confidence level of the interval (default 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the parameter names it.</exception>
    public void Validate()
    {
        OptionChecks.Positive(Resamples, nameof(Resamples));
        OptionChecks.Positive(Permutations, nameof(Permutations));
        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1))
            throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, $"{nameof(ConfidenceLevel)} must be in (0, 1).");
    }
}
