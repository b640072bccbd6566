using Re4.Recommenders.Data;

namespace Re4.Recommenders.Training;

/// <summary>The Re4 reference sampler: every prefix of every training user (history = the ≤ L items before position k,
/// target = item k, for k = 1..len−1), shuffled once with the seed and visited in that order, epoch after epoch.</summary>
/// <remarks>The shuffle is re-derived from the seed at construction, so the state is only the position and the epoch.</remarks>
internal sealed class EveryPrefixSampler : ITrainingSampler
{
    private readonly DataSplit _split;
    private readonly long[] _examples;   // (train index << 32) | k
    private readonly int _batchSize;
    private readonly bool _reverse;
    private int _position;
    private long _batches;

    /// <summary>Creates the sampler.</summary>
    public EveryPrefixSampler(DataSplit split, int batchSize, int seed, bool reverseHistory = false)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _split = split;
        var list = new List<long>();
        for (var i = 0; i < split.TrainCount; i++)
        {
            var len = split.TrainSequence(i).Length;
            for (var k = 1; k < len; k++) list.Add(((long)i << 32) | (uint)k);
        }

        if (list.Count == 0) throw new ArgumentException("No training user has 2 or more items.", nameof(split));
        _examples = list.ToArray();
        // Fisher–Yates with System.Random: the shuffle happens once here, so its generator's state is never stored.
        var rng = new Random(seed);
        for (var i = _examples.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (_examples[i], _examples[j]) = (_examples[j], _examples[i]);
        }

        if (batchSize > _examples.Length)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Larger than the {_examples.Length} training examples (prefixes).");
        _batchSize = batchSize;
        _reverse = reverseHistory;
    }

    /// <summary>Examples per epoch.</summary>
    public int ExampleCount => _examples.Length;

    /// <inheritdoc />
    public int Epoch { get; private set; }

    /// <inheritdoc />
    public SamplerState State
    {
        get => new() { Batches = _batches, Position = _position, Epoch = Epoch };
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Position < 0 || value.Position >= _examples.Length)
                throw new ArgumentOutOfRangeException(nameof(value), value.Position, $"Position must lie in 0..{_examples.Length - 1} (the examples of this split).");
            if (value.Epoch < 0) throw new ArgumentOutOfRangeException(nameof(value), value.Epoch, "Epoch must not be negative.");
            if (value.Batches < 0) throw new ArgumentOutOfRangeException(nameof(value), value.Batches, "Batches must not be negative.");
            _position = value.Position;
            Epoch = value.Epoch;
            _batches = value.Batches;
        }
    }

    /// <inheritdoc />
    public TrainingBatch Next()
    {
        var batch = new TrainingBatch(_batchSize, _split.MaxLength);
        for (var b = 0; b < _batchSize; b++)
        {
            var e = _examples[_position++];
            SamplerRows.Fill(batch, b, _split.TrainSequence((int)(e >> 32)), (int)(e & 0xFFFFFFFF), _reverse);
            if (_position == _examples.Length)
            {
                // Count the pass as soon as its last example is taken, so Epoch reads as completed passes after this call.
                _position = 0;
                Epoch++;
            }
        }

        _batches++;
        return batch;
    }
}
