namespace Re4.Recommenders.Data;

/// <summary>Validation or test users: for each, a history (the model's input, oldest first, at most L items) and the
/// ground-truth items that follow it (in time order, duplicates kept). Immutable.</summary>
public sealed class EvaluationSet
{
    private readonly int[] _users;
    private readonly int[] _historyOffsets;
    private readonly int[] _histories;
    private readonly int[] _targetOffsets;
    private readonly int[] _targets;

    /// <summary>Creates a set from CSR arrays (taken, not copied).</summary>
    public EvaluationSet(int[] users, int[] historyOffsets, int[] histories, int[] targetOffsets, int[] targets)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(historyOffsets);
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(targetOffsets);
        ArgumentNullException.ThrowIfNull(targets);
        if (historyOffsets.Length != users.Length + 1 || targetOffsets.Length != users.Length + 1)
            throw new ArgumentException("Offsets must have one entry per user plus one.");
        if (historyOffsets[^1] != histories.Length || targetOffsets[^1] != targets.Length)
            throw new ArgumentException("The last offset must equal the data length.");
        _users = users;
        _historyOffsets = historyOffsets;
        _histories = histories;
        _targetOffsets = targetOffsets;
        _targets = targets;
    }

    /// <summary>Number of users evaluated.</summary>
    public int Count => _users.Length;

    /// <summary>The dense user index (into the <see cref="SequenceDataset"/>) of entry <paramref name="i"/>.</summary>
    public int User(int i) => _users[i];

    /// <summary>The model's input for entry <paramref name="i"/>: at most L items, oldest first.</summary>
    public ReadOnlySpan<int> History(int i) => _histories.AsSpan(_historyOffsets[i], _historyOffsets[i + 1] - _historyOffsets[i]);

    /// <summary>The ground truth of entry <paramref name="i"/>, in time order, duplicates kept.</summary>
    public ReadOnlySpan<int> Targets(int i) => _targets.AsSpan(_targetOffsets[i], _targetOffsets[i + 1] - _targetOffsets[i]);

    /// <summary>Histories of entries [start, start + count) as one batch.</summary>
    public HistoryBatch Batch(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start + count > Count) throw new ArgumentOutOfRangeException(nameof(count), "The batch runs past the end of the set.");
        return new HistoryBatch(_histories, _historyOffsets.AsMemory(start, count + 1));
    }

    /// <summary>At most <paramref name="count"/> entries spread evenly through the set: entry ⌊i·Count/count⌋ for
    /// i &lt; count, in order (the set itself when it has no more). The choice depends on the set alone, so every run on a
    /// split validates on the same users (in the split's order: shuffled by ComiRec's protocol, by user by leave-one-out).</summary>
    internal EvaluationSet Spread(int count)
    {
        if (count >= Count) return this;   // an empty set included
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var rows = new List<(int User, int[] History, int[] Targets)>(count);
        for (var i = 0; i < count; i++)
        {
            var entry = (int)((long)i * Count / count);
            rows.Add((_users[entry], History(entry).ToArray(), Targets(entry).ToArray()));
        }

        return Build(rows);
    }

    internal static EvaluationSet Build(List<(int User, int[] History, int[] Targets)> rows)
    {
        var users = new int[rows.Count];
        var ho = new int[rows.Count + 1];
        var to = new int[rows.Count + 1];
        for (var i = 0; i < rows.Count; i++)
        {
            users[i] = rows[i].User;
            ho[i + 1] = ho[i] + rows[i].History.Length;
            to[i + 1] = to[i] + rows[i].Targets.Length;
        }

        var h = new int[ho[^1]];
        var t = new int[to[^1]];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].History.CopyTo(h, ho[i]);
            rows[i].Targets.CopyTo(t, to[i]);
        }

        return new EvaluationSet(users, ho, h, to, t);
    }
}

/// <summary>A batch of user histories in CSR form: row b is <c>items[offsets[b]..offsets[b+1]]</c>, oldest first.
/// Offsets are absolute positions in the items array.</summary>
public readonly struct HistoryBatch
{
    private readonly int[] _items;
    private readonly ReadOnlyMemory<int> _offsets;

    /// <summary>Creates a batch over shared arrays (not copied).</summary>
    public HistoryBatch(int[] items, ReadOnlyMemory<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (offsets.Length < 1) throw new ArgumentException("Offsets need at least one entry.", nameof(offsets));
        _items = items;
        _offsets = offsets;
    }

    /// <summary>Creates a batch from separate histories (copied).</summary>
    public static HistoryBatch FromHistories(IReadOnlyList<int[]> histories)
    {
        ArgumentNullException.ThrowIfNull(histories);
        var offsets = new int[histories.Count + 1];
        for (var i = 0; i < histories.Count; i++) offsets[i + 1] = offsets[i] + histories[i].Length;
        var items = new int[offsets[^1]];
        for (var i = 0; i < histories.Count; i++) histories[i].CopyTo(items, offsets[i]);
        return new HistoryBatch(items, offsets);
    }

    /// <summary>Number of users in the batch.</summary>
    public int Count => _offsets.Length - 1;

    /// <summary>Row <paramref name="b"/>'s history.</summary>
    public ReadOnlySpan<int> this[int b]
    {
        get
        {
            var o = _offsets.Span;
            return _items.AsSpan(o[b], o[b + 1] - o[b]);
        }
    }

    /// <summary>The longest history in the batch.</summary>
    public int MaxLength
    {
        get
        {
            var max = 0;
            for (var b = 0; b < Count; b++) max = Math.Max(max, this[b].Length);
            return max;
        }
    }
}
