using System.Globalization;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Evaluation;

/// <summary>One metric per user from an evaluation that kept its ranked lists (<see cref="EvaluationOptions.KeepRecommendations"/>):
/// what <see cref="RetrievalEvaluator"/> averages, user by user, e.g. for a <see cref="PairedComparison"/>.</summary>
public static class PerUserMetrics
{
    /// <summary>The value of <paramref name="metric"/> (a <see cref="MetricNames"/> key such as <c>recall@50</c>) for each
    /// user of <paramref name="users"/>, in its order; their mean is <paramref name="result"/>'s value of the metric.</summary>
    /// <param name="result">An evaluation of <paramref name="users"/> that kept its recommendations.</param>
    /// <param name="users">The users evaluated, in the order they were evaluated.</param>
    /// <param name="metric">The metric key; its cutoff may not exceed <see cref="EvaluationResult.TopN"/>.</param>
    /// <exception cref="ArgumentException">The lists were not kept, the users are not those evaluated, or the metric is
    /// unknown.</exception>
    public static double[] Compute(EvaluationResult result, EvaluationSet users, string metric)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentException.ThrowIfNullOrEmpty(metric);
        var kept = result.Recommendations
            ?? throw new ArgumentException("The evaluation did not keep its ranked lists: evaluate with KeepRecommendations = true.", nameof(result));
        if (result.UserCount != users.Count)
            throw new ArgumentException($"The evaluation has {result.UserCount} users, the set {users.Count}: give the users that were evaluated.", nameof(users));
        var at = metric.LastIndexOf('@');
        if (at <= 0 || !int.TryParse(metric.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > result.TopN)
            throw new ArgumentException($"'{metric}' is not a metric key with a cutoff of at most {result.TopN} (such as {MetricNames.Recall(Math.Min(50, result.TopN))}).", nameof(metric));
        Func<int[], int[], double> value = metric switch
        {
            _ when metric == MetricNames.Recall(n) => (top, truth) => RankingMetrics.Recall(top, truth),
            _ when metric == MetricNames.RecallSet(n) => (top, truth) => RankingMetrics.RecallSet(top, truth),
            _ when metric == MetricNames.HitRate(n) => (top, truth) => RankingMetrics.HitRate(top, truth),
            _ when metric == MetricNames.Ndcg(n) => (top, truth) => RankingMetrics.Ndcg(top, truth, n),
            _ when metric == MetricNames.NdcgComiRec(n) => (top, truth) => RankingMetrics.NdcgComiRec(top, truth),
            _ when metric == MetricNames.NdcgComiRecPaper(n) => (top, truth) => RankingMetrics.NdcgComiRecPaper(top, truth),
            _ => throw new ArgumentException($"'{metric}' is not a metric key; known for N = {n}: {string.Join(", ", MetricNames.All(n))}.", nameof(metric)),
        };

        var values = new double[users.Count];
        var row = new int[result.TopN];
        for (var u = 0; u < values.Length; u++)
        {
            for (var r = 0; r < row.Length; r++) row[r] = kept[u * result.TopN + r];
            // As the evaluator: the first n ranks, without the unfilled (0) slots.
            var length = Array.IndexOf(row, 0, 0, n);
            var top = row[..(length < 0 ? n : length)];
            values[u] = value(top, users.Targets(u).ToArray());
        }

        return values;
    }
}
