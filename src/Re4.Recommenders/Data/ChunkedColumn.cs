using System.Runtime.InteropServices;

namespace Re4.Recommenders.Data;

/// <summary>An append-only column of the loader, stored in native chunks of <see cref="ChunkSize"/> elements: growth
/// never copies what is already there, and a chunk is freed as soon as the loader has consumed it. Native, not managed,
/// so that freeing is immediate and the loading peak deterministic: a chunk is at least 32 MiB, which the C allocator
/// maps on its own (glibc's mmap threshold never exceeds 32 MiB) and unmaps when freed, whereas a dropped managed array
/// stays resident until a full collection. Untouched pages of a chunk cost no memory, so small files pay nothing.</summary>
internal sealed unsafe class ChunkedColumn<T> : IDisposable
    where T : unmanaged
{
    /// <summary>log2 of the default chunk size: 8 Mi elements (32 MiB of <see cref="int"/>, 64 MiB of <see cref="long"/>).</summary>
    public const int DefaultChunkBits = 23;

    private readonly List<nint> _chunks = new();   // 0 once released
    private readonly int _chunkBits;
    private readonly long _mask;
    private T* _current;
    private long _count;

    /// <summary>Makes an empty column.</summary>
    /// <param name="chunkBits">log2 of the elements per chunk; tests use small chunks to cross chunk boundaries.</param>
    public ChunkedColumn(int chunkBits = DefaultChunkBits)
    {
        _chunkBits = chunkBits;
        _mask = (1L << chunkBits) - 1;
    }

    ~ChunkedColumn() => Free();

    /// <summary>Elements per chunk.</summary>
    public long ChunkSize => 1L << _chunkBits;

    /// <summary>Elements added so far.</summary>
    public long Count => _count;

    public void Add(T value)
    {
        var offset = _count & _mask;
        if (offset == 0)
        {
            _current = (T*)NativeMemory.Alloc((nuint)ChunkSize, (nuint)sizeof(T));
            _chunks.Add((nint)_current);
        }

        _current[offset] = value;
        _count++;
    }

    /// <summary>The element at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>, its chunk not released).</summary>
    public ref T this[long index] => ref ((T*)_chunks[(int)(index >> _chunkBits)])[index & _mask];

    /// <summary>Frees the chunk holding <paramref name="index"/> once the caller has consumed it (again: no effect).</summary>
    public void ReleaseChunkOf(long index)
    {
        var chunk = (int)(index >> _chunkBits);
        if (chunk >= _chunks.Count || _chunks[chunk] == 0) return;
        NativeMemory.Free((void*)_chunks[chunk]);
        _chunks[chunk] = 0;
        if (chunk == _chunks.Count - 1) _current = null;
    }

    /// <summary>Frees every chunk; the column is spent.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        for (var c = 0; c < _chunks.Count; c++)
        {
            if (_chunks[c] != 0) NativeMemory.Free((void*)_chunks[c]);
            _chunks[c] = 0;
        }

        _current = null;
    }
}
