namespace Re4.Recommenders.Data;

/// <summary>Maps original 64-bit ids to dense indices 0, 1, 2, ... in order of first appearance.</summary>
internal sealed class IdInterner
{
    private readonly Dictionary<long, int> _map;
    private long[] _ids;
    private int _count;

    public IdInterner(int capacity = 1024)
    {
        _map = new Dictionary<long, int>(capacity);
        _ids = new long[Math.Max(16, capacity)];
    }

    public int Count => _count;

    public int Intern(long id)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_map, id, out var exists);
        if (exists) return slot;
        if (_count == _ids.Length) Array.Resize(ref _ids, _ids.Length * 2);
        _ids[_count] = id;
        slot = _count;
        return _count++;
    }

    public bool TryGet(long id, out int index) => _map.TryGetValue(id, out index);

    public long[] ToArray() => _ids.AsSpan(0, _count).ToArray();
}
