namespace Re4.Recommenders.Scoring;

/// <summary>A bounded min-heap keeping the N best (score, item, interest) triples seen so far; "better" means a higher
/// score, or an equal score and a lower item id, so the result is independent of the order items are offered in.
/// Not thread-safe: one per user and thread.</summary>
internal sealed class TopNCollector
{
    private readonly float[] _scores;
    private readonly int[] _items;
    private readonly int[] _interests;
    private int _count;

    public TopNCollector(int capacity)
    {
        _scores = new float[capacity];
        _items = new int[capacity];
        _interests = new int[capacity];
    }

    public void Reset() => _count = 0;

    /// <summary>Whether N triples are kept, so that <see cref="Threshold"/> is a real bound.</summary>
    public bool IsFull => _count == _scores.Length;

    /// <summary>Offers every triple <paramref name="other"/> keeps (merging per-range heaps of one user).</summary>
    public void OfferAll(TopNCollector other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < other._count; i++) Offer(other._scores[i], other._items[i], other._interests[i]);
    }

    /// <summary>The score an item must beat to enter, once the heap is full (−∞ before).</summary>
    public float Threshold => _count == _scores.Length ? _scores[0] : float.NegativeInfinity;

    public void Offer(float score, int item, int interest)
    {
        if (_count < _scores.Length)
        {
            var i = _count++;
            _scores[i] = score;
            _items[i] = item;
            _interests[i] = interest;
            SiftUp(i);
            return;
        }

        if (!Better(score, item, _scores[0], _items[0])) return;
        _scores[0] = score;
        _items[0] = item;
        _interests[0] = interest;
        SiftDown(0);
    }

    /// <summary>Writes the kept triples best first and pads the rest (item 0, −∞, −1).</summary>
    public void Drain(Span<int> items, Span<float> scores, Span<int> interests)
    {
        var n = _count;
        for (var w = n - 1; w >= 0; w--)
        {
            items[w] = _items[0];
            scores[w] = _scores[0];
            interests[w] = _interests[0];
            _count--;
            if (_count > 0)
            {
                _scores[0] = _scores[_count];
                _items[0] = _items[_count];
                _interests[0] = _interests[_count];
                SiftDown(0);
            }
        }

        items[n..].Clear();
        scores[n..].Fill(float.NegativeInfinity);
        interests[n..].Fill(-1);
    }

    private static bool Better(float s, int item, float s2, int item2) => s > s2 || (s == s2 && item < item2);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var p = (i - 1) / 2;
            if (!Better(_scores[p], _items[p], _scores[i], _items[i])) break;
            Swap(i, p);
            i = p;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var l = 2 * i + 1;
            if (l >= _count) return;
            var worst = l;
            var r = l + 1;
            if (r < _count && Better(_scores[l], _items[l], _scores[r], _items[r])) worst = r;
            if (!Better(_scores[i], _items[i], _scores[worst], _items[worst])) return;
            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_items[a], _items[b]) = (_items[b], _items[a]);
        (_interests[a], _interests[b]) = (_interests[b], _interests[a]);
    }
}
