using Re4.Recommenders.Data;

namespace Re4.Recommenders.Evaluation;

/// <summary>Runs a recommender over an <see cref="EvaluationSet"/> and averages the <see cref="RankingMetrics"/> over
/// all its users (ComiRec protocol: a user with no hit counts as 0).</summary>
public static class RetrievalEvaluator
{
    /// <summary>Evaluates with default options (N = 20, 50; no history filtering).</summary>
    public static EvaluationResult Evaluate(IRecommender recommender, EvaluationSet users, CancellationToken cancellationToken = default) =>
        Evaluate(recommender, users, new EvaluationOptions(), null, cancellationToken);

    /// <summary>Evaluates with options, reporting progress after each batch.</summary>
    public static EvaluationResult Evaluate(IRecommender recommender, EvaluationSet users, EvaluationOptions options,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recommender);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var cutoffs = options.Cutoffs.Distinct().Order().ToArray();
        var topN = cutoffs[^1];
        var sums = new double[cutoffs.Length, 6];
        var kept = options.KeepRecommendations ? new int[(long)users.Count * topN] : null;
        // A batch never needs more rows than there are users (a huge BatchSize must not overflow B·N).
        var batchSize = Math.Min(options.BatchSize, Math.Max(1, users.Count));
        var items = new int[batchSize * topN];
        var scores = new float[batchSize * topN];
        for (var start = 0; start < users.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, users.Count - start);
            recommender.Recommend(users.Batch(start, count), topN, options.ExcludeHistory, items.AsSpan(0, count * topN), scores.AsSpan(0, count * topN), cancellationToken);
            for (var b = 0; b < count; b++)
            {
                var ranked = items.AsSpan(b * topN, topN);
                var truth = users.Targets(start + b);
                for (var c = 0; c < cutoffs.Length; c++)
                {
                    var top = Retrieved(ranked[..cutoffs[c]]);
                    sums[c, 0] += RankingMetrics.Recall(top, truth);
                    sums[c, 1] += RankingMetrics.RecallSet(top, truth);
                    sums[c, 2] += RankingMetrics.HitRate(top, truth);
                    sums[c, 3] += RankingMetrics.Ndcg(top, truth, cutoffs[c]);
                    sums[c, 4] += RankingMetrics.NdcgComiRec(top, truth);
                    sums[c, 5] += RankingMetrics.NdcgComiRecPaper(top, truth);
                }
            }

            if (kept is not null) items.AsSpan(0, count * topN).CopyTo(kept.AsSpan((int)((long)start * topN)));
            progress?.Report(new EvaluationProgress(start + count, users.Count));
        }

        var metrics = new Dictionary<string, double>();
        var n = Math.Max(1, users.Count);
        for (var c = 0; c < cutoffs.Length; c++)
        {
            var k = cutoffs[c];
            metrics[MetricNames.Recall(k)] = sums[c, 0] / n;
            metrics[MetricNames.RecallSet(k)] = sums[c, 1] / n;
            metrics[MetricNames.HitRate(k)] = sums[c, 2] / n;
            metrics[MetricNames.Ndcg(k)] = sums[c, 3] / n;
            metrics[MetricNames.NdcgComiRec(k)] = sums[c, 4] / n;
            metrics[MetricNames.NdcgComiRecPaper(k)] = sums[c, 5] / n;
        }

        return new EvaluationResult(metrics, users.Count, topN, kept);
    }

    /// <summary>The retrieved prefix without the unfilled (0) slots.</summary>
    private static ReadOnlySpan<int> Retrieved(ReadOnlySpan<int> ranked)
    {
        var end = ranked.IndexOf(0);
        return end < 0 ? ranked : ranked[..end];
    }
}
