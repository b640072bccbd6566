using Re4.Recommenders.Evaluation;

namespace Re4.Cli;

/// <summary>One metric of a paired comparison in <c>compare.json</c> (see <see cref="PairedComparison"/>).</summary>
internal sealed class PairedStatistics
{
    /// <summary>The baseline's mean over the users.</summary>
    public required double Baseline { get; init; }

    /// <summary>The model's mean over the users.</summary>
    public required double Model { get; init; }

    /// <summary>Mean of the per-user differences, model − baseline.</summary>
    public required double MeanDifference { get; init; }

    /// <summary>The difference relative to the baseline's mean (null when that is 0).</summary>
    public double? RelativeDifference { get; init; }

    /// <summary>The paired bootstrap percentile interval of the mean difference.</summary>
    public required double CiLow { get; init; }

    public required double CiHigh { get; init; }

    /// <summary>Two-sided p-value of the paired sign-flip test.</summary>
    public required double PValue { get; init; }

    /// <summary>Whether every sign vector was enumerated (else Monte Carlo with the +1 correction).</summary>
    public required bool PExact { get; init; }

    public static PairedStatistics From(PairedComparisonResult r) => new()
    {
        Baseline = r.BaselineMean,
        Model = r.CandidateMean,
        MeanDifference = r.MeanDifference,
        RelativeDifference = r.BaselineMean == 0 ? null : r.MeanDifference / r.BaselineMean,
        CiLow = r.ConfidenceLow,
        CiHigh = r.ConfidenceHigh,
        PValue = r.PValue,
        PExact = r.ExactPValue,
    };
}
