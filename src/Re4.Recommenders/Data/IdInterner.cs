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

/// <summary>An append-only column stored in fixed-size chunks, so growth never copies what is already there.</summary>
internal sealed class ChunkedColumn<T> where T : unmanaged
{
    private const int ChunkBits = 20;
    private const int ChunkSize = 1 << ChunkBits;
    private readonly List<T[]> _chunks = new();
    private long _count;

    public long Count => _count;

    public void Add(T value)
    {
        var offset = (int)(_count & (ChunkSize - 1));
        if (offset == 0) _chunks.Add(new T[ChunkSize]);
        _chunks[^1][offset] = value;
        _count++;
    }

    public T this[long index] => _chunks[(int)(index >> ChunkBits)][index & (ChunkSize - 1)];

    public void RemoveLast(long n) => _count -= n;

    /// <summary>Releases the chunk holding <paramref name="index"/> once the caller has consumed it.</summary>
    public void ReleaseChunkOf(long index) => _chunks[(int)(index >> ChunkBits)] = Array.Empty<T>();

    public static bool IsChunkEnd(long index) => (index & (ChunkSize - 1)) == ChunkSize - 1;
}

/// <summary>Timestamps stored in 4 bytes while they fit an <see cref="int"/> (Unix seconds until 2038 do), widened to 8
/// bytes once one does not: loading holds 12 instead of 16 bytes per raw interaction in the common case.</summary>
internal sealed class TimeColumn
{
    public ChunkedColumn<int>? Narrow { get; private set; } = new();

    public ChunkedColumn<long>? Wide { get; private set; }

    public bool IsNarrow => Narrow is not null;

    public void Add(long time)
    {
        if (Narrow is { } narrow)
        {
            if (time is >= int.MinValue and <= int.MaxValue)
            {
                narrow.Add((int)time);
                return;
            }

            var wide = new ChunkedColumn<long>();
            for (long i = 0; i < narrow.Count; i++) wide.Add(narrow[i]);
            Narrow = null;
            Wide = wide;
        }

        Wide!.Add(time);
    }
}
