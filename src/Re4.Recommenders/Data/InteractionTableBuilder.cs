namespace Re4.Recommenders.Data;

/// <summary>The one place where interactions in any order become a <see cref="SequenceDataset"/>: users and items are
/// numbered by first appearance (<see cref="IdColumnBuilder"/>), interactions grouped by user and sorted stably by
/// timestamp, so ties keep input order. Files (<see cref="InteractionFileReader"/>) and in-memory records
/// (<see cref="SequenceDataset.FromInteractions{TRecord, TUser, TItem}"/>) both feed it.</summary>
/// <remarks>Memory: the raw columns hold 12 bytes per interaction (4-byte user, item and time; 16 with times beyond
/// 32 bits), in native chunks. <see cref="Build"/> groups them in place (the user column becomes each interaction's
/// destination, then a cycle-following permutation moves items and times there), frees the destinations, and copies
/// user by user into the data set's 4-byte item array while freeing the chunks it has read: the peak stays at the raw
/// columns plus the id maps, about 13 bytes per interaction on Taobao-shaped data, with no intermediate copy.</remarks>
internal sealed class InteractionTableBuilder(int chunkBits = ChunkedColumn<int>.DefaultChunkBits) : IDisposable
{
    private const int Done = -1;   // a destination already moved (destinations are ≥ 0)
    private readonly ChunkedColumn<int> _users = new(chunkBits);
    private readonly ChunkedColumn<int> _items = new(chunkBits);
    private readonly TimeColumn _times = new(chunkBits);

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

    /// <summary>Groups what was added into a data set (at most <see cref="int.MaxValue"/> interactions); the builder is
    /// spent afterwards.</summary>
    public SequenceDataset Build(string name) => _times.IsNarrow
        ? GroupByUser(name, _times.Narrow!)
        : GroupByUser(name, _times.Wide!);

    public void Dispose()
    {
        _users.Dispose();
        _items.Dispose();
        _times.Dispose();
    }

    /// <summary>A stable grouping by user in place, then a stable sort by time within each user.</summary>
    private SequenceDataset GroupByUser<T>(string name, ChunkedColumn<T> times)
        where T : unmanaged, IComparable<T>
    {
        var total = (int)_users.Count;
        var userCount = Users.Count;
        var offsets = new int[userCount + 1];   // [U + 1]
        for (long i = 0; i < total; i++) offsets[_users[i] + 1]++;
        for (var u = 0; u < userCount; u++) offsets[u + 1] += offsets[u];

        // Each interaction's place in the grouped order (users in order, each user's interactions in input order),
        // written over its user: the user is known again from the offsets.
        PlaceByUser(_users, offsets, total);
        Permute(_users, _items, times, total);
        _users.Dispose();

        var items = new int[total];   // [interactions], the data set's own array
        var buffer = new T[64];
        long released = 0;            // chunks of _items and times below this index are freed
        for (var u = 0; u < userCount; u++)
        {
            var start = offsets[u];
            var length = offsets[u + 1] - start;
            if (buffer.Length < length) buffer = new T[Math.Max(length, buffer.Length * 2)];
            for (var k = 0; k < length; k++)
            {
                items[start + k] = _items[start + k];
                buffer[k] = times[start + k];
            }

            StableSortByTime(items.AsSpan(start, length), buffer.AsSpan(0, length));
            for (; released + _items.ChunkSize <= offsets[u + 1]; released += _items.ChunkSize)
            {
                _items.ReleaseChunkOf(released);
                times.ReleaseChunkOf(released);
            }
        }

        Dispose();
        return new SequenceDataset(name, offsets, items, Users.ToMap(firstIndex: 0), Items.ToMap(firstIndex: 1));
    }

    /// <summary>Replaces each interaction's user by its place in the grouped order (stable: input order within a user).</summary>
    private static void PlaceByUser(ChunkedColumn<int> users, int[] offsets, int total)
    {
        var cursor = offsets.AsSpan(0, offsets.Length - 1).ToArray();   // [U]
        for (long i = 0; i < total; i++)
        {
            ref var slot = ref users[i];
            slot = cursor[slot]++;
        }
    }

    /// <summary>Moves every (item, time) to <c>destinations[i]</c> by following the permutation's cycles: no second copy
    /// of the columns. Each destination is marked <see cref="Done"/> once its element has moved.</summary>
    private static void Permute<T>(ChunkedColumn<int> destinations, ChunkedColumn<int> items, ChunkedColumn<T> times, int total)
        where T : unmanaged
    {
        for (long start = 0; start < total; start++)
        {
            var next = destinations[start];
            if (next == Done) continue;
            destinations[start] = Done;
            if (next == start) continue;
            var carriedItem = items[start];
            var carriedTime = times[start];
            while (next != start)
            {
                (carriedItem, items[next]) = (items[next], carriedItem);
                (carriedTime, times[next]) = (times[next], carriedTime);
                ref var destination = ref destinations[next];
                next = destination;
                destination = Done;
            }

            items[start] = carriedItem;
            times[start] = carriedTime;
        }
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
