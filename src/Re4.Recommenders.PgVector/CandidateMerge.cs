namespace Re4.Recommenders.PgVector;

/// <summary>Merges candidate lists of one user (per interest, or per shard) into its top N: an item's score is its
/// highest, won by the lowest interest on ties; the order is score descending, then item ascending — the
/// <see cref="Scoring.ICandidateScorer"/> contract.</summary>
internal sealed class CandidateMerge
{
    private readonly Dictionary<int, (float Score, int Interest)> _best = new();
    private readonly List<(int Item, float Score, int Interest)> _sorted = new();

    /// <summary>Offers one candidate; scores that are NaN or −∞ are never returned, so they are dropped here.</summary>
    public void Offer(int item, float score, int interest)
    {
        if (float.IsNaN(score) || float.IsNegativeInfinity(score) || item <= 0) return;
        if (_best.TryGetValue(item, out var held) && (held.Score > score || (held.Score == score && held.Interest <= interest))) return;
        _best[item] = (score, interest);
    }

    /// <summary>Writes the top <c>items.Length</c> candidates (unfilled slots: item 0, score −∞, interest −1) and
    /// forgets them all, ready for the next user.</summary>
    public void Drain(Span<int> items, Span<float> scores, Span<int> interests)
    {
        _sorted.Clear();
        foreach (var (item, (score, interest)) in _best) _sorted.Add((item, score, interest));
        _best.Clear();
        _sorted.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        for (var i = 0; i < items.Length; i++)
        {
            if (i < _sorted.Count)
            {
                (items[i], scores[i], interests[i]) = _sorted[i];
            }
            else
            {
                items[i] = 0;
                scores[i] = float.NegativeInfinity;
                interests[i] = -1;
            }
        }
    }
}
