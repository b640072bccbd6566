using Re4.Recommenders.Data;

namespace Re4.Recommenders.Training;

/// <summary>Turns the training sequences of a <see cref="DataSplit"/> into batches of (history, next item).</summary>
/// <remarks>Not thread-safe: a sampler holds its random state. Deterministic for a seed.</remarks>
internal interface ITrainingSampler
{
    /// <summary>Completed passes over the training data (every-prefix), or batches / batches-per-epoch (random cut).</summary>
    int Epoch { get; }

    /// <summary>The next batch.</summary>
    TrainingBatch Next();
}

/// <summary>ComiRec's sampler: each batch draws B distinct training users at random and, for each, a cut k uniformly
/// in [min(4, len−1), len−1]; the history is the ≤ L items before position k and the target is item k.
/// Users with fewer than 2 items cannot give an example and are never drawn.</summary>
internal sealed class RandomCutSampler : ITrainingSampler
{
    private readonly DataSplit _split;
    private readonly int[] _eligible;
    private readonly Random _rng;
    private readonly int _batchSize;
    private readonly int _minCut;
    private readonly bool _reverse;
    private long _batches;

    /// <summary>Creates the sampler.</summary>
    /// <param name="split">The split whose training sequences are sampled.</param>
    /// <param name="batchSize">B; at most the number of eligible users.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="minCut">The smallest cut position (ComiRec: 4).</param>
    /// <param name="reverseHistory">Most recent item first (the Re4 reference code's order) instead of oldest first.</param>
    public RandomCutSampler(DataSplit split, int batchSize, int seed, int minCut = 4, bool reverseHistory = false)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minCut);
        _split = split;
        _eligible = Enumerable.Range(0, split.TrainCount).Where(i => split.TrainSequence(i).Length >= 2).ToArray();
        if (_eligible.Length == 0) throw new ArgumentException("No training user has 2 or more items.", nameof(split));
        if (batchSize > _eligible.Length)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Larger than the {_eligible.Length} training users with 2 or more items.");
        _batchSize = batchSize;
        _minCut = minCut;
        _reverse = reverseHistory;
        _rng = new Random(seed);
    }

    /// <inheritdoc />
    public int Epoch => (int)(_batches * _batchSize / _eligible.Length);

    /// <inheritdoc />
    public TrainingBatch Next()
    {
        var batch = new TrainingBatch(_batchSize, _split.MaxLength);
        // Rejection sampling: B distinct users (B is small next to the user count in practice).
        var chosen = new HashSet<int>();
        var b = 0;
        while (b < _batchSize)
        {
            var i = _eligible[_rng.Next(_eligible.Length)];
            if (!chosen.Add(i)) continue;
            var seq = _split.TrainSequence(i);
            var lo = Math.Min(_minCut, seq.Length - 1);
            var k = _rng.Next(lo, seq.Length);
            SamplerRows.Fill(batch, b++, seq, k, _reverse);
        }

        _batches++;
        return batch;
    }
}

/// <summary>The Re4 reference sampler: every prefix of every training user (history = the ≤ L items before position k,
/// target = item k, for k = 1..len−1), shuffled once with the seed and visited in that order, epoch after epoch.</summary>
internal sealed class EveryPrefixSampler : ITrainingSampler
{
    private readonly DataSplit _split;
    private readonly long[] _examples;   // (train index << 32) | k
    private readonly int _batchSize;
    private readonly bool _reverse;
    private int _position;

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

        return batch;
    }
}

internal static class SamplerRows
{
    /// <summary>Writes row b: the ≤ L items before position k (oldest first, or most recent first), target seq[k].</summary>
    public static void Fill(TrainingBatch batch, int b, ReadOnlySpan<int> seq, int k, bool reverse)
    {
        var l = batch.MaxLength;
        var start = Math.Max(0, k - l);
        var history = seq[start..k];
        var row = batch.Histories.AsSpan(b * l, l);
        history.CopyTo(row);
        if (reverse) row[..history.Length].Reverse();
        batch.Lengths[b] = history.Length;
        batch.Targets[b] = seq[k];
    }
}
