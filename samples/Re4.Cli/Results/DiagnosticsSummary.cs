using Re4.Recommenders.Diagnostics;

namespace Re4.Cli;

/// <summary>The <c>diagnostics</c> object of <c>metrics.json</c> and <c>diagnostics.json</c>: the interest diagnostics over
/// the test users (docs/concepts.md). A measure that is undefined (not finite) or was not computed is left out.</summary>
internal sealed record DiagnosticsSummary(int Users, double? InterestCosine, double? AttentionKl, double? ReconstructionMse, double? TopicPurity,
    double? TopicCoverage)
{
    /// <summary>The summary of <paramref name="report"/>.</summary>
    public static DiagnosticsSummary From(InterestDiagnosticsReport report) =>
        new(report.Users, Finite(report.Distinctness), Finite(report.AttentionDisagreement), Finite(report.ReconstructionError),
            Finite(report.TopicPurity), Finite(report.TopicCoverage));

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
