namespace Re4.Recommenders.Data;

/// <summary>Timestamps stored in 4 bytes while they fit an <see cref="int"/> (Unix seconds until 2038 do), widened to 8
/// bytes once one does not: loading holds 12 instead of 16 bytes per raw interaction in the common case.</summary>
internal sealed class TimeColumn(int chunkBits = ChunkedColumn<int>.DefaultChunkBits) : IDisposable
{
    public ChunkedColumn<int>? Narrow { get; private set; } = new(chunkBits);

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

            var wide = new ChunkedColumn<long>(chunkBits);
            for (long i = 0; i < narrow.Count; i++) wide.Add(narrow[i]);
            narrow.Dispose();
            Narrow = null;
            Wide = wide;
        }

        Wide!.Add(time);
    }

    public void Dispose()
    {
        Narrow?.Dispose();
        Wide?.Dispose();
    }
}
