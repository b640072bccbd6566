namespace Re4.Cli;

/// <summary>One model of <c>compare.json</c>'s <c>paired</c> object: its paired statistics per metric.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Metrics">Metric (recall@50, ndcg@50) → the model against the baseline.</param>
internal sealed record ComparePairedModel(string Model, IReadOnlyDictionary<string, PairedStatistics> Metrics);
