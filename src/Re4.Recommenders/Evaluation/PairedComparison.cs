namespace Re4.Recommenders.Evaluation;

/// <summary>
/// Per-user paired statistics of two models evaluated on the same users in the same order (e.g. each user's recall@50
/// under a baseline and under a candidate): the mean difference d̄ = mean(c_i − b_i), a paired bootstrap percentile
/// confidence interval of d̄ (users resampled with replacement), and the two-sided p-value of the paired sign-flip
/// permutation test (under "no difference" each d_i is as likely to have had the other sign).
/// </summary>
/// <remarks>
/// Bootstrap: <see cref="PairedComparisonOptions.Resamples"/> times, n indices drawn with <c>Random.Next(n)</c>
/// from <c>new Random(Seed)</c> (resample by resample, user by user), the mean of the drawn differences; the interval is
/// the (1 − level)/2 and (1 + level)/2 quantiles of those means, linearly interpolated between order statistics
/// (quantile q of the sorted means m_0..m_{B−1}: h = (B − 1)q, m_⌊h⌋ + (h − ⌊h⌋)(m_⌊h⌋+1 − m_⌊h⌋)).
/// Sign flips: the statistic is |Σ d_i|. When 2^n ≤ <see cref="PairedComparisonOptions.Permutations"/>, every sign
/// vector is enumerated and p = #{|Σ s_i d_i| ≥ |Σ d_i|} / 2^n exactly; otherwise each of the M flips draws s_i = +1 when
/// <c>Random.Next(2)</c> is 0 and −1 otherwise (from its own <c>new Random(Seed)</c>), and p = (1 + #{...}) / (M + 1), which
/// never reads 0. Sums within a relative 1e-9 of the observed one count as ties (≥). Thread-safe: nothing is shared.
/// </remarks>
public static class PairedComparison
{
    /// <summary>Compares <paramref name="candidate"/> with <paramref name="baseline"/>, user by user.</summary>
    /// <param name="baseline">The baseline's metric per user.</param>
    /// <param name="candidate">The candidate's metric for the same users, in the same order.</param>
    /// <param name="options">Resamples, seed and level; null for the defaults.</param>
    /// <exception cref="ArgumentException">The lengths differ, there are no users, or a value is not finite.</exception>
    public static PairedComparisonResult Compare(ReadOnlySpan<double> baseline, ReadOnlySpan<double> candidate, PairedComparisonOptions? options = null)
    {
        options ??= new PairedComparisonOptions();
        options.Validate();
        if (baseline.Length != candidate.Length)
            throw new ArgumentException($"The candidate has {candidate.Length} users and the baseline {baseline.Length}: a paired comparison needs the same users.", nameof(candidate));
        if (baseline.IsEmpty) throw new ArgumentException("There are no users to compare.", nameof(baseline));
        var n = baseline.Length;
        var differences = new double[n];
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(baseline[i])) throw new ArgumentException($"The baseline's value of user {i} is {baseline[i]}, not a finite number.", nameof(baseline));
            if (!double.IsFinite(candidate[i])) throw new ArgumentException($"The candidate's value of user {i} is {candidate[i]}, not a finite number.", nameof(candidate));
            differences[i] = candidate[i] - baseline[i];
        }

        var (low, high) = BootstrapInterval(differences, options);
        var (p, exact) = SignFlipPValue(differences, options);
        return new PairedComparisonResult(n, Mean(baseline), Mean(candidate), Mean(differences), low, high, p, exact);
    }

    private static double Mean(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    private static (double Low, double High) BootstrapInterval(double[] d, PairedComparisonOptions options)
    {
        var random = new Random(options.Seed);
        var n = d.Length;
        var means = new double[options.Resamples];
        for (var b = 0; b < means.Length; b++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++) sum += d[random.Next(n)];
            means[b] = sum / n;
        }

        Array.Sort(means);
        var tail = (1 - options.ConfidenceLevel) / 2;
        return (Quantile(means, tail), Quantile(means, 1 - tail));
    }

    /// <summary>Quantile <paramref name="q"/> of sorted values, interpolated linearly between order statistics.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        var h = (sorted.Length - 1) * q;
        var below = (int)Math.Floor(h);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
    }

    private static (double P, bool Exact) SignFlipPValue(double[] d, PairedComparisonOptions options)
    {
        var n = d.Length;
        var observed = 0.0;
        var scale = 0.0;
        foreach (var v in d)
        {
            observed += v;
            scale += Math.Abs(v);
        }

        observed = Math.Abs(observed);
        // Rounding makes equal sums differ in the last bits; the identity flip must count as a tie.
        var threshold = observed - 1e-9 * scale;
        if (n < 31 && (1L << n) <= options.Permutations)
        {
            var vectors = 1L << n;
            long atLeast = 0;
            for (long mask = 0; mask < vectors; mask++)
            {
                var sum = 0.0;
                for (var i = 0; i < n; i++) sum += (mask >> i & 1) == 0 ? d[i] : -d[i];
                if (Math.Abs(sum) >= threshold) atLeast++;
            }

            return ((double)atLeast / vectors, true);
        }

        var random = new Random(options.Seed);
        long extreme = 0;
        for (var m = 0; m < options.Permutations; m++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++) sum += random.Next(2) == 0 ? d[i] : -d[i];
            if (Math.Abs(sum) >= threshold) extreme++;
        }

        return ((1.0 + extreme) / (options.Permutations + 1.0), false);
    }
}
