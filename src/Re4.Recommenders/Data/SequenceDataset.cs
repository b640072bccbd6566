namespace Re4.Recommenders.Data;

/// <summary>
/// Users' behaviour sequences in compressed sparse rows: one contiguous <see cref="int"/> array of dense item ids
/// (1..<see cref="ItemCount"/>; 0 is reserved for padding) and per-user offsets. Costs 4 bytes per interaction plus
/// 4 bytes per user and 8 bytes per user and item for the maps back to numeric original ids (text ids cost a string each).
/// </summary>
/// <remarks>Immutable and safe to share between threads.</remarks>
public sealed partial class SequenceDataset
{
    private readonly int[] _offsets;   // [U + 1]
    private readonly int[] _items;     // [interactions], dense ids 1..N

    /// <summary>Creates a data set from its parts, with numeric original ids; the arrays are taken, not copied.</summary>
    /// <param name="name">A name for reports (usually the file name).</param>
    /// <param name="offsets">User u's items are <c>items[offsets[u]..offsets[u+1]]</c>; length users + 1, non-decreasing, starting at 0.</param>
    /// <param name="items">Dense item ids in 1..<c>itemIds.Length - 1</c>.</param>
    /// <param name="userIds">Original id of each user.</param>
    /// <param name="itemIds">Original id of each dense item id (index 0 is padding and ignored).</param>
    public SequenceDataset(string name, int[] offsets, int[] items, long[] userIds, long[] itemIds)
        : this(name, offsets, items, NumericUsers(userIds), NumericItems(itemIds))
    {
    }

    /// <summary>Creates a data set from its parts, with original ids of any kind (see <see cref="IdMap"/>); the arrays
    /// are taken, not copied.</summary>
    /// <param name="name">A name for reports (usually the file name).</param>
    /// <param name="offsets">User u's items are <c>items[offsets[u]..offsets[u+1]]</c>; length users + 1, non-decreasing, starting at 0.</param>
    /// <param name="items">Dense item ids in 1..<c>itemIds.Count</c>.</param>
    /// <param name="userIds">Original id of each user (first index 0, one per user).</param>
    /// <param name="itemIds">Original id of each item (first index 1; item 0 is padding).</param>
    public SequenceDataset(string name, int[] offsets, int[] items, IdMap userIds, IdMap itemIds)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(userIds);
        ArgumentNullException.ThrowIfNull(itemIds);
        if (userIds.FirstIndex != 0)
            throw new ArgumentException($"userIds must start at dense id 0, not {userIds.FirstIndex}.", nameof(userIds));
        if (itemIds.FirstIndex != 1)
            throw new ArgumentException($"itemIds must start at dense id 1 (0 is padding), not {itemIds.FirstIndex}.", nameof(itemIds));
        if (offsets.Length != userIds.Count + 1)
            throw new ArgumentException($"offsets must have one entry per user plus one ({userIds.Count + 1}), not {offsets.Length}.", nameof(offsets));
        if (offsets[0] != 0 || offsets[^1] != items.Length)
            throw new ArgumentException("offsets must start at 0 and end at items.Length.", nameof(offsets));
        for (var u = 0; u < userIds.Count; u++)
        {
            if (offsets[u + 1] < offsets[u])
                throw new ArgumentException($"offsets must be non-decreasing (user {u}).", nameof(offsets));
        }

        var n = itemIds.Count;
        foreach (var item in items)
        {
            if ((uint)(item - 1) >= (uint)n)
                throw new ArgumentException($"item id {item} is outside 1..{n}.", nameof(items));
        }

        Name = name;
        _offsets = offsets;
        _items = items;
        UserIds = userIds;
        ItemIds = itemIds;
    }

    /// <summary>A name for reports.</summary>
    public string Name { get; }

    /// <summary>Number of users.</summary>
    public int UserCount => UserIds.Count;

    /// <summary>Number of items N; dense ids are 1..N.</summary>
    public int ItemCount => ItemIds.Count;

    /// <summary>Total number of interactions.</summary>
    public long InteractionCount => _items.Length;

    /// <summary>The users' original ids, both ways: <c>UserIds[user]</c> is the original id of dense user 0..U−1,
    /// <c>UserIds.TryGetIndex("u42", out var user)</c> the reverse.</summary>
    public IdMap UserIds { get; }

    /// <summary>The items' original ids, both ways: <c>ItemIds[item]</c> is the original id of dense item 1..N (as text;
    /// numbers in decimal), <c>ItemIds.TryGetIndex("B00ABC", out var item)</c> the reverse.</summary>
    public IdMap ItemIds { get; }

    /// <summary>User <paramref name="user"/>'s behaviour sequence (dense item ids, oldest first).</summary>
    public ReadOnlySpan<int> Sequence(int user) => _items.AsSpan(_offsets[user], _offsets[user + 1] - _offsets[user]);

    /// <summary>Length of user <paramref name="user"/>'s sequence.</summary>
    public int Length(int user) => _offsets[user + 1] - _offsets[user];

    /// <summary>The original id of a user, for numeric ids; <c>UserIds[user]</c> works for any id.</summary>
    /// <exception cref="InvalidOperationException">The user ids are text.</exception>
    public long OriginalUserId(int user) => UserIds.GetNumber(user);

    /// <summary>The original id of a dense item id (1..N), for numeric ids; <c>ItemIds[item]</c> works for any id.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="item"/> is not in 1..N.</exception>
    /// <exception cref="InvalidOperationException">The item ids are text.</exception>
    public long OriginalItemId(int item)
    {
        if ((uint)(item - 1) >= (uint)ItemCount)
            throw new ArgumentOutOfRangeException(nameof(item), item, $"Item ids are 1..{ItemCount}.");
        return ItemIds.GetNumber(item);
    }

    /// <summary>Finds the dense id of a numeric original item id.</summary>
    public bool TryGetItem(long originalId, out int item) => ItemIds.TryGetIndex(originalId, out item);

    /// <summary>Finds the dense id of an original item id given as text.</summary>
    public bool TryGetItem(string originalId, out int item) => ItemIds.TryGetIndex(originalId, out item);

    /// <summary>Finds the dense index of a numeric original user id.</summary>
    public bool TryGetUser(long originalId, out int user) => UserIds.TryGetIndex(originalId, out user);

    /// <summary>Finds the dense index of an original user id given as text.</summary>
    public bool TryGetUser(string originalId, out int user) => UserIds.TryGetIndex(originalId, out user);

    /// <summary>Interactions per item, indexed by dense id (index 0 is 0).</summary>
    public long[] ItemFrequencies()
    {
        var counts = new long[ItemCount + 1];
        foreach (var item in _items) counts[item]++;
        return counts;
    }

    internal ReadOnlySpan<int> Offsets => _offsets;

    internal ReadOnlySpan<int> Items => _items;

    private static IdMap NumericUsers(long[] userIds)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        return IdMap.Numeric(userIds, 0);
    }

    private static IdMap NumericItems(long[] itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        if (itemIds.Length < 1)
            throw new ArgumentException("itemIds must hold at least the padding slot.", nameof(itemIds));
        return IdMap.Numeric(itemIds[1..], 1);
    }
}
