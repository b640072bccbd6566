namespace Re4.Recommenders.Training;

/// <summary>
/// Knuth's subtractive generator in exactly the form <c>new System.Random(seed)</c> uses for a seeded instance, so a
/// sampler that once drew from <see cref="System.Random"/> draws the same numbers from this one, but with a state that
/// can be read and written (a checkpoint stores it instead of replaying every draw). Not thread-safe.
/// </summary>
/// <remarks>
/// The state is 55 lagged values in 0..2³¹−2 (slots 1..55 of a 56-entry array; slot 0 is unused) and two cursors 21
/// apart. Each draw advances both cursors cyclically over 1..55 and replaces the value under the first with the
/// difference of the two, modulo 2³¹−1 (Knuth, TAOCP vol. 2, §3.2.2, and Numerical Recipes' <c>ran3</c>).
/// Equivalence with <see cref="System.Random"/> is tested on millions of draws.
/// </remarks>
internal sealed class SubtractiveRandom
{
    private const int Lags = 55;
    private const int Modulus = int.MaxValue;     // 2³¹ − 1
    private const int SeedBase = 161_803_398;     // the golden-ratio digits seeding slot 55

    private readonly int[] _values = new int[Lags + 1];
    private int _next;
    private int _nextLagged;

    /// <summary>Seeds the generator as <c>new System.Random(seed)</c> does.</summary>
    public SubtractiveRandom(int seed)
    {
        // |seed|, with int.MinValue (which has no positive counterpart) taken as int.MaxValue.
        var magnitude = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
        var previous = SeedBase - magnitude;
        _values[Lags] = previous;
        var current = 1;
        // Fill the other 54 slots in the order 21, 42, 8, 29, ... (steps of 21 modulo 55) with a Fibonacci-like
        // difference sequence.
        var slot = 0;
        for (var i = 1; i < Lags; i++)
        {
            slot += 21;
            if (slot >= Lags) slot -= Lags;
            _values[slot] = current;
            current = previous - current;
            if (current < 0) current += Modulus;
            previous = _values[slot];
        }

        // Four warm-up rounds: each slot i loses the value 31 places ahead (cyclically over 1..55).
        for (var round = 0; round < 4; round++)
        {
            for (var i = 1; i <= Lags; i++)
            {
                var ahead = i + 30;
                if (ahead >= Lags) ahead -= Lags;
                _values[i] -= _values[ahead + 1];
                if (_values[i] < 0) _values[i] += Modulus;
            }
        }

        _next = 0;
        _nextLagged = 21;
    }

    /// <summary>The generator's state: a copy, so later draws do not change it. Setting it validates it.</summary>
    public SubtractiveRandomState State
    {
        get => new(_values[1..], _next, _nextLagged);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Values is not { Length: Lags } values)
                throw new ArgumentException($"A subtractive generator's state holds {Lags} values.", nameof(value));
            if (values.Any(v => v is < 0 or >= Modulus))
                throw new ArgumentException($"A subtractive generator's values lie in 0..{Modulus - 1}.", nameof(value));
            if (value.Next is < 0 or > Lags || value.NextLagged is < 1 or > Lags)
                throw new ArgumentException($"A subtractive generator's cursors lie in 0..{Lags} and 1..{Lags}.", nameof(value));
            values.CopyTo(_values, 1);
            _next = value.Next;
            _nextLagged = value.NextLagged;
        }
    }

    /// <summary>The next raw value, in 0..2³¹−2.</summary>
    private int NextValue()
    {
        var i = _next + 1;
        if (i > Lags) i = 1;
        var j = _nextLagged + 1;
        if (j > Lags) j = 1;
        var value = _values[i] - _values[j];
        // System.Random maps 2³¹−1 (reachable only from the seeding) down by one so that Sample() stays below 1.
        if (value == Modulus) value--;
        if (value < 0) value += Modulus;
        _values[i] = value;
        _next = i;
        _nextLagged = j;
        return value;
    }

    /// <summary>Uniform in [0, 1), as <see cref="System.Random.NextDouble"/>: the raw value over 2³¹−1.</summary>
    public double NextDouble() => NextValue() * (1.0 / Modulus);

    /// <summary>In [0, <paramref name="maxExclusive"/>), as <see cref="System.Random.Next(int)"/>: NextDouble() scaled and truncated.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxExclusive);
        return (int)(NextDouble() * maxExclusive);
    }

    /// <summary>In [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), as <see cref="System.Random.Next(int, int)"/>
    /// for ranges up to 2³¹−1 (the only ones the samplers draw).</summary>
    public int Next(int minInclusive, int maxExclusive)
    {
        if (minInclusive > maxExclusive) throw new ArgumentOutOfRangeException(nameof(minInclusive), minInclusive, "Must not exceed maxExclusive.");
        var range = (long)maxExclusive - minInclusive;
        if (range > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "Ranges wider than 2³¹−1 are not supported.");
        return (int)(NextDouble() * range) + minInclusive;
    }
}
