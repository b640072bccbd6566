namespace Re4.Recommenders.Evaluation;

/// <summary>
/// Per-user top-N metrics of the ComiRec protocol. <c>retrieved</c> is the ranked top-N list (distinct items), <c>truth</c>
/// the ground truth in time order with duplicates kept. Every function is exact and allocation-light; the evaluator
/// averages them over all evaluated users. See <c>docs/evaluation.md</c> for the definitions and why three NDCGs exist.
/// </summary>
public static class RankingMetrics
{
    /// <summary>HitRate@N: 1 when any retrieved item is in the ground truth, else 0.</summary>
    public static double HitRate(ReadOnlySpan<int> retrieved, ReadOnlySpan<int> truth)
    {
        foreach (var item in retrieved)
        {
            if (truth.Contains(item)) return 1;
        }

        return 0;
    }

    /// <summary>Recall@N as ComiRec counts it: the fraction of ground-truth positions (duplicates counted) whose item was
    /// retrieved, h/|T|.</summary>
    public static double Recall(ReadOnlySpan<int> retrieved, ReadOnlySpan<int> truth)
    {
        if (truth.IsEmpty) return 0;
        var hits = 0;
        foreach (var item in truth)
        {
            if (retrieved.Contains(item)) hits++;
        }

        return (double)hits / truth.Length;
    }

    /// <summary>Set recall@N as the Re4 code counts it: |top-N ∩ set(T)| / |set(T)|.</summary>
    public static double RecallSet(ReadOnlySpan<int> retrieved, ReadOnlySpan<int> truth)
    {
        var set = new HashSet<int>(truth.ToArray());
        if (set.Count == 0) return 0;
        var hits = 0;
        foreach (var item in retrieved)
        {
            if (set.Contains(item)) hits++;
        }

        return (double)hits / set.Count;
    }

    /// <summary>Standard binary NDCG@N: DCG over retrieved ranks r of 1[item_r ∈ T]/log2(r+2), IDCG over
    /// min(|set(T)|, N) ideal positions.</summary>
    public static double Ndcg(ReadOnlySpan<int> retrieved, ReadOnlySpan<int> truth, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (retrieved.Length > n) retrieved = retrieved[..n];   // NDCG@N looks at the first N only
        var set = new HashSet<int>(truth.ToArray());
        var dcg = 0.0;
        for (var r = 0; r < retrieved.Length; r++)
        {
            if (set.Contains(retrieved[r])) dcg += Discount(r);
        }

        var ideal = Math.Min(set.Count, n);
        return ideal == 0 ? 0 : dcg / Idcg(ideal);
    }

    /// <summary>NDCG@N of ComiRec's later code (<c>comirec-master</c>): DCG over retrieved ranks r of 1[item_r ∈ T]/log2(r+2);
    /// IDCG = Σ_{j&lt;h} 1/log2(j+2) with h the number of retrieved items in T; 0 when h = 0.</summary>
    public static double NdcgComiRec(ReadOnlySpan<int> retrieved, ReadOnlySpan<int> truth)
    {
        var dcg = 0.0;
        var hits = 0;
        for (var r = 0; r < retrieved.Length; r++)
        {
            if (!truth.Contains(retrieved[r])) continue;
            dcg += Discount(r);
            hits++;
        }

        return hits == 0 ? 0 : dcg / Idcg(hits);
    }

    /// <summary>NDCG@N as both papers' tables print it (<c>comirec-paper</c>): DCG over positions p of the ground truth
    /// whose item was retrieved, 1/log2(p+2); IDCG = Σ_{j&lt;h} 1/log2(j+2) with h the number of such positions;
    /// 0 when h = 0. It ignores the rank at which an item was retrieved.</summary>
    public static double NdcgComiRecPaper(ReadOnlySpan<int> retrieved, ReadOnlySpan<int> truth)
    {
        var dcg = 0.0;
        var hits = 0;
        for (var p = 0; p < truth.Length; p++)
        {
            if (!retrieved.Contains(truth[p])) continue;
            dcg += Discount(p);
            hits++;
        }

        return hits == 0 ? 0 : dcg / Idcg(hits);
    }

    private static double Discount(int rank) => 1.0 / Math.Log2(rank + 2);

    private static double Idcg(int count)
    {
        var s = 0.0;
        for (var j = 0; j < count; j++) s += Discount(j);
        return s;
    }
}
