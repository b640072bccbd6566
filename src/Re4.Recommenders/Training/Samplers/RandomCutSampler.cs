using Re4.Recommenders.Data;

namespace Re4.Recommenders.Training;

/// <summary>ComiRec's sampler: each batch draws B distinct training users at random and, for each, a cut k uniformly
/// in [min(4, len−1), len−1]; the history is the ≤ L items before position k and the target is item k.
/// Users with fewer than 2 items cannot give an example and are never drawn.</summary>
/// <remarks>Draws from <see cref="SubtractiveRandom"/>, which reproduces <c>new System.Random(seed)</c> draw for draw
/// (so seeded runs are unchanged) and whose state is stored in a checkpoint.</remarks>
internal sealed class RandomCutSampler : ITrainingSampler
{
    private readonly DataSplit _split;
    private readonly int[] _eligible;
    private readonly SubtractiveRandom _rng;
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
        _rng = new SubtractiveRandom(seed);
    }

    /// <inheritdoc />
    public int Epoch => (int)(_batches * _batchSize / _eligible.Length);

    /// <inheritdoc />
    public SamplerState State
    {
        get => new() { Batches = _batches, Random = _rng.State };
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Batches < 0) throw new ArgumentOutOfRangeException(nameof(value), value.Batches, "Batches must not be negative.");
            _rng.State = value.Random ?? throw new ArgumentException("A random-cut sampler's state needs its generator's state.", nameof(value));
            _batches = value.Batches;
        }
    }

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
