namespace Re4.Recommenders.Training;

/// <summary>Draws the negatives shared by a batch and their log expected counts (for the logQ correction).</summary>
/// <remarks>Not thread-safe (it owns its random state).</remarks>
internal sealed class NegativeSampler
{
    private readonly NegativeSampling _kind;
    private readonly int _items;
    private readonly int _count;
    private readonly Re4Random _rng;
    private readonly double _logRange;

    public NegativeSampler(NegativeSampling kind, int items, int count, Re4Random rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        if (kind != NegativeSampling.Full) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _kind = kind;
        _items = items;
        _count = count;
        _rng = rng;
        _logRange = Math.Log(items + 1.0);
    }

    /// <summary>Probability that one log-uniform draw yields item id <paramref name="item"/> (1..N, class c = id − 1):
    /// P(c) = (log(c + 2) − log(c + 1)) / log(N + 1).</summary>
    public double LogUniformProbability(int item) => (Math.Log(item + 1.0) - Math.Log(item)) / _logRange;

    /// <summary>Draws negatives for a batch. Uniform: distinct ids, none of <paramref name="targets"/> (when the catalogue
    /// leaves fewer than the count, all the others). Log-uniform: distinct ids (targets may appear: the loss removes those
    /// accidental hits) and, per id, log of its expected count over the draws, log(1 − (1 − p)^tries).</summary>
    public (long[] Items, float[]? LogExpected, float[]? TargetLogExpected) Sample(ReadOnlySpan<int> targets)
    {
        switch (_kind)
        {
            case NegativeSampling.Uniform:
            {
                var excluded = new HashSet<int>(targets.ToArray());
                var available = _items - excluded.Count;
                var n = Math.Min(_count, available);
                var chosen = new HashSet<int>(n);
                var result = new long[n];
                if (n == available)
                {
                    var w = 0;
                    for (var i = 1; i <= _items; i++)
                    {
                        if (!excluded.Contains(i)) result[w++] = i;
                    }

                    return (result, null, null);
                }

                var c = 0;
                while (c < n)
                {
                    var id = _rng.Next(_items) + 1;
                    if (excluded.Contains(id) || !chosen.Add(id)) continue;
                    result[c++] = id;
                }

                return (result, null, null);
            }

            case NegativeSampling.LogUniform:
            {
                var n = Math.Min(_count, _items);
                var chosen = new HashSet<int>(n);
                var result = new long[n];
                var tries = 0L;
                var c = 0;
                while (c < n)
                {
                    tries++;
                    var id = (int)Math.Floor(Math.Exp(_rng.NextDouble() * _logRange));   // class + 1, in 1..N
                    id = Math.Clamp(id, 1, _items);
                    if (chosen.Add(id)) result[c++] = id;
                }

                var logExpected = new float[n];
                for (var i = 0; i < n; i++) logExpected[i] = LogExpectedCount((int)result[i], tries);
                var targetLog = new float[targets.Length];
                for (var i = 0; i < targets.Length; i++) targetLog[i] = LogExpectedCount(targets[i], tries);
                return (result, logExpected, targetLog);
            }

            default:
                throw new InvalidOperationException("A full softmax draws no negatives.");
        }
    }

    private float LogExpectedCount(int item, long tries)
    {
        // Expected count of an id over `tries` draws made until the sample was unique: 1 − (1 − p)^tries.
        var p = LogUniformProbability(item);
        return (float)Math.Log(-double.ExpM1(tries * double.LogP1(-p)));
    }
}
