namespace Re4.Recommenders.Data;

/// <summary>The one place where interactions in any order become a <see cref="SequenceDataset"/>: users and items are
/// numbered by first appearance (<see cref="IdColumnBuilder"/>), interactions grouped by user and sorted stably by
/// timestamp, so ties keep input order. Files (<see cref="InteractionFileReader"/>) and in-memory records
/// (<see cref="SequenceDataset.FromInteractions{TRecord, TUser, TItem}"/>) both feed it.</summary>
internal sealed class InteractionTableBuilder
{
    private readonly ChunkedColumn<int> _users = new();
    private readonly ChunkedColumn<int> _items = new();
    private readonly TimeColumn _times = new();

    public IdColumnBuilder Users { get; } = new();

    public IdColumnBuilder Items { get; } = new(1 << 16);

    /// <summary>Interactions added so far.</summary>
    public long Count => _users.Count;

    /// <summary>Adds one interaction of users and items already interned in <see cref="Users"/> and <see cref="Items"/>.</summary>
    public void Add(int user, int item, long timestamp)
    {
        _users.Add(user);
        _items.Add(item + 1);   // dense item ids start at 1; 0 is padding
        _times.Add(timestamp);
    }

    /// <summary>Groups what was added into a data set; the builder is spent afterwards.</summary>
    public SequenceDataset Build(string name) => _times.IsNarrow
        ? GroupByUser(name, _times.Narrow!)
        : GroupByUser(name, _times.Wide!);

    /// <summary>Counting sort by user (stable), then a stable sort by time within each user.</summary>
    private SequenceDataset GroupByUser<T>(string name, ChunkedColumn<T> timeCol)
        where T : unmanaged, IComparable<T>
    {
        var total = (int)_users.Count;
        var userCount = Users.Count;
        var offsets = new int[userCount + 1];
        for (long i = 0; i < total; i++) offsets[_users[i] + 1]++;
        for (var u = 0; u < userCount; u++) offsets[u + 1] += offsets[u];

        var cursor = offsets.AsSpan(0, userCount).ToArray();
        var outItems = new int[total];
        var outTimes = new T[total];
        for (long i = 0; i < total; i++)
        {
            var slot = cursor[_users[i]]++;
            outItems[slot] = _items[i];
            outTimes[slot] = timeCol[i];
            if (ChunkedColumn<int>.IsChunkEnd(i))
            {
                // Hand consumed chunks back to the GC so the peak stays near one copy of the data.
                _users.ReleaseChunkOf(i);
                _items.ReleaseChunkOf(i);
                timeCol.ReleaseChunkOf(i);
            }
        }

        for (var u = 0; u < userCount; u++)
            StableSortByTime(outItems.AsSpan(offsets[u], offsets[u + 1] - offsets[u]), outTimes.AsSpan(offsets[u], offsets[u + 1] - offsets[u]));

        return new SequenceDataset(name, offsets, outItems, Users.ToMap(firstIndex: 0), Items.ToMap(firstIndex: 1));
    }

    internal static void StableSortByTime<T>(Span<int> items, Span<T> times)
        where T : unmanaged, IComparable<T>
    {
        var sorted = true;
        for (var i = 1; i < times.Length && sorted; i++) sorted = times[i - 1].CompareTo(times[i]) <= 0;
        if (sorted) return;
        var rows = new (T Time, int Position, int Item)[items.Length];
        for (var i = 0; i < rows.Length; i++) rows[i] = (times[i], i, items[i]);
        Array.Sort(rows, static (a, b) => a.Time.CompareTo(b.Time) is var c && c != 0 ? c : a.Position.CompareTo(b.Position));
        for (var i = 0; i < rows.Length; i++)
        {
            items[i] = rows[i].Item;
            times[i] = rows[i].Time;
        }
    }
}
