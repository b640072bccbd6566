namespace Re4.Recommenders.Training;

/// <summary>A batch of training examples: histories padded with item 0 to L columns, and the next item of each.
/// Arrays are owned by the batch; a sampler returns a new batch per call.</summary>
internal sealed class TrainingBatch
{
    internal TrainingBatch(int size, int maxLength)
    {
        Size = size;
        MaxLength = maxLength;
        Histories = new int[size * maxLength];
        Lengths = new int[size];
        Targets = new int[size];
    }

    /// <summary>B: the number of examples.</summary>
    public int Size { get; }

    /// <summary>L: columns per history.</summary>
    public int MaxLength { get; }

    /// <summary>Histories, row-major <c>[B, L]</c>; row b holds <c>Lengths[b]</c> items then zeros (padding).</summary>
    public int[] Histories { get; }

    /// <summary>Valid items per row, 1..L.</summary>
    public int[] Lengths { get; }

    /// <summary>The item to predict for each row.</summary>
    public int[] Targets { get; }
}
