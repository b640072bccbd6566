namespace Re4.Recommenders.Scoring;

/// <summary>An item gallery's embeddings on managed memory: row-major <c>[N + 1, d]</c> where row 0 is padding (never
/// retrieved) and row j is item j. Immutable once created: the array is owned by the table.</summary>
public sealed class ItemEmbeddingTable
{
    private readonly float[] _data;

    /// <summary>Wraps a row-major <c>[N + 1, d]</c> array (taken, not copied).</summary>
    public ItemEmbeddingTable(float[] data, int dimension)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (data.Length % dimension != 0 || data.Length / dimension < 2)
            throw new ArgumentException($"data must hold (N + 1)·d floats with N ≥ 1 and d = {dimension}; it has {data.Length}.", nameof(data));
        _data = data;
        Dimension = dimension;
    }

    /// <summary>N.</summary>
    public int ItemCount => _data.Length / Dimension - 1;

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>The embedding of item <paramref name="item"/> (0 is padding).</summary>
    public ReadOnlySpan<float> this[int item] => _data.AsSpan(item * Dimension, Dimension);

    /// <summary>Rows [first, first + count).</summary>
    public ReadOnlySpan<float> Rows(int first, int count) => _data.AsSpan(first * Dimension, count * Dimension);
}
