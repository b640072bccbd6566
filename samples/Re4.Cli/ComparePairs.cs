using System.Globalization;
using System.Text;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;

namespace Re4.Cli;

/// <summary><c>compare</c>'s paired significance: each model against the baseline on the test users, user by user
/// (<see cref="PairedComparison"/>), for <see cref="Metrics"/>.</summary>
internal static class ComparePairs
{
    /// <summary>The metrics compared user by user.</summary>
    public static readonly string[] Metrics = [MetricNames.Recall(50), MetricNames.Ndcg(50)];

    /// <summary>The per-user values of <see cref="Metrics"/> from an evaluation of <paramref name="users"/> that kept its lists.</summary>
    public static UserValues Of(EvaluationResult test, EvaluationSet users)
    {
        var ids = new int[users.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = users.User(i);
        return new UserValues(ids, Metrics.ToDictionary(m => m, m => PerUserMetrics.Compute(test, users, m)));
    }

    /// <summary>Each model's users averaged over its runs, then every model but the baseline against it.</summary>
    /// <exception cref="InvalidOperationException">Two runs were evaluated on different users (or in another order).</exception>
    public static ComparePaired Compare(IReadOnlyList<(string Model, IReadOnlyList<UserValues> Runs)> models, string baseline, PairedComparisonOptions options)
    {
        var first = models[0].Runs[0];
        foreach (var (model, runs) in models)
        {
            foreach (var run in runs)
            {
                if (!run.Users.AsSpan().SequenceEqual(first.Users))
                    throw new InvalidOperationException($"the test users of {model} differ from those of {models[0].Model} ({run.Users.Length} and {first.Users.Length} users): a paired comparison needs the same users in the same order");
            }
        }

        var means = models.ToDictionary(m => m.Model, m => Metrics.ToDictionary(metric => metric, metric => Average(m.Runs, metric)));
        return new ComparePaired
        {
            Baseline = baseline,
            Users = first.Users.Length,
            Resamples = options.Resamples,
            Permutations = options.Permutations,
            Seed = options.Seed,
            ConfidenceLevel = options.ConfidenceLevel,
            Models = models.Where(m => m.Model != baseline).Select(m => new ComparePairedModel(m.Model,
                Metrics.ToDictionary(metric => metric,
                    metric => PairedStatistics.From(PairedComparison.Compare(means[baseline][metric], means[m.Model][metric], options))))).ToList(),
        };
    }

    private static double[] Average(IReadOnlyList<UserValues> runs, string metric)
    {
        var sum = new double[runs[0].Users.Length];
        foreach (var run in runs)
        {
            var values = run.Values[metric];
            for (var i = 0; i < sum.Length; i++) sum[i] += values[i];
        }

        for (var i = 0; i < sum.Length; i++) sum[i] /= runs.Count;
        return sum;
    }

    /// <summary>The comparison as a Markdown section (appended to <c>compare.md</c>).</summary>
    public static string Table(ComparePaired paired)
    {
        var b = new StringBuilder();
        var level = string.Create(CultureInfo.InvariantCulture, $"{paired.ConfidenceLevel * 100:0.#} %");
        b.Append(CultureInfo.InvariantCulture, $"\n## Paired comparison with {paired.Baseline} ({paired.Users} test users)\n\n");
        b.Append(CultureInfo.InvariantCulture,
            $"Per user, each model's metric averaged over its runs; difference = model − {paired.Baseline}; {level} paired bootstrap interval ({paired.Resamples} resamples of the users); two-sided p-value of the paired sign-flip test ({paired.Permutations} random flips, +1 correction, or exact when every flip is enumerated); seed {paired.Seed}.\n\n");
        // Rows are named "M vs BASELINE", so that each "| M |" row of the main table stays the only one.
        b.Append("| comparison | metric | baseline | model | difference | relative | ").Append(level).Append(" CI | p |\n");
        b.Append("|---|---|---:|---:|---:|---:|---|---:|\n");
        foreach (var model in paired.Models)
        {
            foreach (var (metric, s) in model.Metrics)
            {
                var relative = s.RelativeDifference is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r * 100:+0.0;-0.0;0.0} %") : "—";
                b.Append(CultureInfo.InvariantCulture,
                    $"| {model.Model} vs {paired.Baseline} | {metric} | {s.Baseline:F4} | {s.Model:F4} | {s.MeanDifference:+0.0000;-0.0000;0.0000} | {relative} | [{s.CiLow:+0.0000;-0.0000;0.0000}, {s.CiHigh:+0.0000;-0.0000;0.0000}] | {s.PValue:F4}{(s.PExact ? " (exact)" : string.Empty)} |\n");
            }
        }

        return b.ToString();
    }

    /// <summary>One run's test users (dense ids, in evaluation order) and its value of each metric for each of them.</summary>
    internal sealed record UserValues(int[] Users, IReadOnlyDictionary<string, double[]> Values);
}
