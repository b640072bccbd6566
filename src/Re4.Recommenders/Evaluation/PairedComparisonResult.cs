namespace Re4.Recommenders.Evaluation;

/// <summary>The paired comparison of two models on the same users (candidate − baseline, per user). Immutable.</summary>
/// <param name="Users">The users compared (n).</param>
/// <param name="BaselineMean">The baseline's mean metric over the users.</param>
/// <param name="CandidateMean">The candidate's mean metric over the users.</param>
/// <param name="MeanDifference">The mean of the per-user differences (candidate − baseline).</param>
/// <param name="ConfidenceLow">The lower end of the paired bootstrap percentile interval of the mean difference.</param>
/// <param name="ConfidenceHigh">The upper end of that interval.</param>
/// <param name="PValue">The two-sided p-value of the paired sign-flip (permutation) test of a zero mean difference.</param>
/// <param name="ExactPValue">Whether <paramref name="PValue"/> enumerated every sign vector (else it is the Monte Carlo
/// estimate with the +1 correction).</param>
public sealed record PairedComparisonResult(int Users, double BaselineMean, double CandidateMean, double MeanDifference, double ConfidenceLow,
    double ConfidenceHigh, double PValue, bool ExactPValue);
