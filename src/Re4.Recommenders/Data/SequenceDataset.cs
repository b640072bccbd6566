namespace Re4.Recommenders.Data;

/// <summary>
/// Users' behaviour sequences in compressed sparse rows: one contiguous <see cref="int"/> array of dense item ids
/// (1..<see cref="ItemCount"/>; 0 is reserved for padding) and per-user offsets. Costs 4 bytes per interaction plus
/// 4 bytes per user and 8 bytes per user and item for the maps back to the original ids.
/// </summary>
/// <remarks>Immutable and safe to share between threads.</remarks>
public sealed class SequenceDataset
{
    private readonly int[] _offsets;   // [U + 1]
    private readonly int[] _items;     // [interactions], dense ids 1..N
    private readonly long[] _userIds;  // [U], original ids
    private readonly long[] _itemIds;  // [N + 1], original ids; index 0 (padding) unused
    private Dictionary<long, int>? _itemLookup;
    private Dictionary<long, int>? _userLookup;

    /// <summary>Creates a data set from its parts; the arrays are taken, not copied.</summary>
    /// <param name="name">A name for reports (usually the file name).</param>
    /// <param name="offsets">User u's items are <c>items[offsets[u]..offsets[u+1]]</c>; length users + 1, non-decreasing, starting at 0.</param>
    /// <param name="items">Dense item ids in 1..<c>itemIds.Length - 1</c>.</param>
    /// <param name="userIds">Original id of each user.</param>
    /// <param name="itemIds">Original id of each dense item id (index 0 is padding and ignored).</param>
    public SequenceDataset(string name, int[] offsets, int[] items, long[] userIds, long[] itemIds)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(userIds);
        ArgumentNullException.ThrowIfNull(itemIds);
        if (offsets.Length != userIds.Length + 1)
            throw new ArgumentException($"offsets must have one entry per user plus one ({userIds.Length + 1}), not {offsets.Length}.", nameof(offsets));
        if (offsets[0] != 0 || offsets[^1] != items.Length)
            throw new ArgumentException("offsets must start at 0 and end at items.Length.", nameof(offsets));
        if (itemIds.Length < 1)
            throw new ArgumentException("itemIds must hold at least the padding slot.", nameof(itemIds));
        for (var u = 0; u < userIds.Length; u++)
        {
            if (offsets[u + 1] < offsets[u])
                throw new ArgumentException($"offsets must be non-decreasing (user {u}).", nameof(offsets));
        }

        var n = itemIds.Length - 1;
        foreach (var item in items)
        {
            if ((uint)(item - 1) >= (uint)n)
                throw new ArgumentException($"item id {item} is outside 1..{n}.", nameof(items));
        }

        Name = name;
        _offsets = offsets;
        _items = items;
        _userIds = userIds;
        _itemIds = itemIds;
    }

    /// <summary>A name for reports.</summary>
    public string Name { get; }

    /// <summary>Number of users.</summary>
    public int UserCount => _userIds.Length;

    /// <summary>Number of items N; dense ids are 1..N.</summary>
    public int ItemCount => _itemIds.Length - 1;

    /// <summary>Total number of interactions.</summary>
    public long InteractionCount => _items.Length;

    /// <summary>User <paramref name="user"/>'s behaviour sequence (dense item ids, oldest first).</summary>
    public ReadOnlySpan<int> Sequence(int user) => _items.AsSpan(_offsets[user], _offsets[user + 1] - _offsets[user]);

    /// <summary>Length of user <paramref name="user"/>'s sequence.</summary>
    public int Length(int user) => _offsets[user + 1] - _offsets[user];

    /// <summary>The original id of a user.</summary>
    public long OriginalUserId(int user) => _userIds[user];

    /// <summary>The original id of a dense item id (1..N).</summary>
    public long OriginalItemId(int item)
    {
        if ((uint)(item - 1) >= (uint)ItemCount)
            throw new ArgumentOutOfRangeException(nameof(item), item, $"Item ids are 1..{ItemCount}.");
        return _itemIds[item];
    }

    /// <summary>Finds the dense id of an original item id.</summary>
    public bool TryGetItem(long originalId, out int item)
    {
        var lookup = _itemLookup ??= BuildLookup(_itemIds, skipFirst: true);
        return lookup.TryGetValue(originalId, out item);
    }

    /// <summary>Finds the dense index of an original user id.</summary>
    public bool TryGetUser(long originalId, out int user)
    {
        var lookup = _userLookup ??= BuildLookup(_userIds, skipFirst: false);
        return lookup.TryGetValue(originalId, out user);
    }

    /// <summary>Interactions per item, indexed by dense id (index 0 is 0).</summary>
    public long[] ItemFrequencies()
    {
        var counts = new long[ItemCount + 1];
        foreach (var item in _items) counts[item]++;
        return counts;
    }

    internal ReadOnlySpan<int> Offsets => _offsets;

    internal ReadOnlySpan<int> Items => _items;

    internal ReadOnlySpan<long> UserIds => _userIds;

    internal ReadOnlySpan<long> ItemIds => _itemIds;

    private static Dictionary<long, int> BuildLookup(long[] ids, bool skipFirst)
    {
        var d = new Dictionary<long, int>(ids.Length);
        for (var i = skipFirst ? 1 : 0; i < ids.Length; i++) d[ids[i]] = i;
        return d;
    }
}
