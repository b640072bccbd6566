namespace Re4.Recommenders.Data;

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

    /// <summary>Releases the chunk holding <paramref name="index"/> once the caller has consumed it.</summary>
    public void ReleaseChunkOf(long index) => _chunks[(int)(index >> ChunkBits)] = Array.Empty<T>();

    public static bool IsChunkEnd(long index) => (index & (ChunkSize - 1)) == ChunkSize - 1;
}
