namespace Re4.Recommenders.Evaluation;

/// <summary>Averages of every metric over the evaluated users, and optionally their ranked lists. Immutable.</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(IReadOnlyDictionary<string, double> metrics, int userCount, int topN, int[]? recommendations)
    {
        Metrics = metrics;
        UserCount = userCount;
        TopN = topN;
        Recommendations = recommendations;
    }

    /// <summary>Metric key (see <see cref="MetricNames"/>) to its mean over users, in a stable order.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Users evaluated.</summary>
    public int UserCount { get; }

    /// <summary>The longest list retrieved per user (the largest cutoff).</summary>
    public int TopN { get; }

    /// <summary>When kept: row-major <c>[users, TopN]</c> dense item ids in rank order (0 where nothing was retrieved).</summary>
    public IReadOnlyList<int>? Recommendations { get; }

    /// <summary>The value of a metric; throws with the known keys when it is missing.</summary>
    public double this[string key] => Metrics.TryGetValue(key, out var v)
        ? v
        : throw new KeyNotFoundException($"No metric '{key}'; known: {string.Join(", ", Metrics.Keys)}.");
}
