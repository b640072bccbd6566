namespace Re4.Recommenders.Data;

/// <summary>
/// The two-way map between dense ids (what models, samplers and scorers use) and the data's original ids (what a
/// file, a database or a catalogue uses). Original ids are numbers or text: an id whose text is the decimal form of a
/// 64-bit integer (no leading zeros, no '+') is stored as that number, any other id (an ASIN, a SKU, a UUID, "007") as
/// its exact text. A map is <see cref="IsNumeric"/> when every id is a number, and then costs 8 bytes per id.
/// </summary>
/// <remarks>Dense ids run from <see cref="FirstIndex"/> to <see cref="FirstIndex"/> + <see cref="Count"/> − 1: user
/// maps start at 0, item maps at 1 (item 0 is padding). Immutable and safe to share between threads; the reverse
/// lookups are built on first use.</remarks>
public sealed class IdMap
{
    private readonly long[]? _numbers;
    private readonly string[]? _texts;
    private Dictionary<long, int>? _numberLookup;
    private Dictionary<string, int>? _textLookup;

    private IdMap(long[]? numbers, string[]? texts, int firstIndex)
    {
        _numbers = numbers;
        _texts = texts;
        FirstIndex = firstIndex;
    }

    /// <summary>How many ids the map holds.</summary>
    public int Count => _numbers?.Length ?? _texts!.Length;

    /// <summary>The first dense id: 0 for users, 1 for items.</summary>
    public int FirstIndex { get; }

    /// <summary>Whether every original id is a 64-bit integer (then <see cref="GetNumber"/> answers for every id).</summary>
    public bool IsNumeric => _numbers is not null;

    /// <summary>The original id of dense id <paramref name="index"/>, as text (a number in invariant decimal form).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the map.</exception>
    public string this[int index] => _numbers is { } n ? OriginalIdText.Format(n[Offset(index)]) : _texts![Offset(index)];

    /// <summary>The original id of dense id <paramref name="index"/> as a number.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the map.</exception>
    /// <exception cref="InvalidOperationException">The map holds text ids (<see cref="IsNumeric"/> is false).</exception>
    public long GetNumber(int index)
    {
        var offset = Offset(index);
        return _numbers is { } n ? n[offset]
            : throw new InvalidOperationException($"The original ids are text (for example '{_texts![offset]}'), not numbers: read them with the indexer, idMap[{index}].");
    }

    /// <summary>Finds the dense id of an original id given as text (a number's text finds the number).</summary>
    public bool TryGetIndex(string originalId, out int index)
    {
        ArgumentNullException.ThrowIfNull(originalId);
        if (_numbers is not null)
        {
            index = -1;
            return OriginalIdText.TryParseNumber(originalId.AsSpan(), out var number) && TryGetIndex(number, out index);
        }

        return TextLookup().TryGetValue(originalId, out index);
    }

    /// <summary>Finds the dense id of an original id given as a number (in a text map, its decimal text).</summary>
    public bool TryGetIndex(long originalId, out int index) => _numbers is not null
        ? NumberLookup().TryGetValue(originalId, out index)
        : TextLookup().TryGetValue(OriginalIdText.Format(originalId), out index);

    /// <summary>A map of numeric ids: dense id <c>firstIndex + i</c> is <c>ids[i]</c>.</summary>
    /// <param name="ids">The original ids, in dense order; each once.</param>
    /// <param name="firstIndex">The first dense id: 0 (users) or 1 (items).</param>
    /// <exception cref="ArgumentException">An id appears twice, or <paramref name="firstIndex"/> is neither 0 nor 1.</exception>
    public static IdMap FromNumbers(IEnumerable<long> ids, int firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(ids);
        CheckFirstIndex(firstIndex);
        var map = new IdMap(ids.ToArray(), null, firstIndex);
        var lookup = new Dictionary<long, int>(map.Count);
        for (var i = 0; i < map._numbers!.Length; i++)
        {
            if (!lookup.TryAdd(map._numbers[i], i + firstIndex))
                throw new ArgumentException($"Original id {map._numbers[i]} appears twice (positions {lookup[map._numbers[i]] - firstIndex} and {i}).", nameof(ids));
        }

        map._numberLookup = lookup;
        return map;
    }

    /// <summary>A map of ids given as text: dense id <c>firstIndex + i</c> is <c>ids[i]</c>. When every id is a number's
    /// decimal text the map is numeric.</summary>
    /// <param name="ids">The original ids, in dense order; each once, none empty, none with control characters, at most
    /// 256 UTF-8 bytes each.</param>
    /// <param name="firstIndex">The first dense id: 0 (users) or 1 (items).</param>
    /// <exception cref="ArgumentException">An id is null, empty, too long, holds a control character or appears twice, or
    /// <paramref name="firstIndex"/> is neither 0 nor 1.</exception>
    public static IdMap FromStrings(IEnumerable<string> ids, int firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(ids);
        CheckFirstIndex(firstIndex);
        var texts = ids.ToArray();
        var numbers = new long[texts.Length];
        var numeric = true;
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is null) throw new ArgumentException($"Original id {i} is null.", nameof(ids));
            if (OriginalIdText.Problem(texts[i]) is { } problem)
                throw new ArgumentException($"Original id {i} ('{texts[i]}'): {problem}.", nameof(ids));
            numeric = numeric && OriginalIdText.TryParseNumber(texts[i].AsSpan(), out numbers[i]);
        }

        if (numeric) return FromNumbers(numbers, firstIndex);
        var map = new IdMap(null, texts, firstIndex);
        var lookup = new Dictionary<string, int>(texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < texts.Length; i++)
        {
            if (!lookup.TryAdd(texts[i], i + firstIndex))
                throw new ArgumentException($"Original id '{texts[i]}' appears twice (positions {lookup[texts[i]] - firstIndex} and {i}).", nameof(ids));
        }

        map._textLookup = lookup;
        return map;
    }

    /// <summary>A numeric map over <paramref name="ids"/> (taken, not copied; not checked for duplicates).</summary>
    internal static IdMap Numeric(long[] ids, int firstIndex) => new(ids, null, firstIndex);

    /// <summary>A text map over <paramref name="ids"/> (taken, not copied; not checked).</summary>
    internal static IdMap Text(string[] ids, int firstIndex) => new(null, ids, firstIndex);

    /// <summary>A map of the ids at <paramref name="indexes"/> (dense ids of this map), in that order.</summary>
    internal IdMap Pick(ReadOnlySpan<int> indexes, int firstIndex)
    {
        if (_numbers is { } n)
        {
            var picked = new long[indexes.Length];
            for (var i = 0; i < picked.Length; i++) picked[i] = n[Offset(indexes[i])];
            return Numeric(picked, firstIndex);
        }

        var texts = new string[indexes.Length];
        for (var i = 0; i < texts.Length; i++) texts[i] = _texts![Offset(indexes[i])];
        return Text(texts, firstIndex);
    }

    /// <summary>Whether both maps hold the same ids at the same dense ids.</summary>
    internal bool SameIds(IdMap other)
    {
        if (other.FirstIndex != FirstIndex || other.Count != Count) return false;
        if (_numbers is { } a && other._numbers is { } b) return a.AsSpan().SequenceEqual(b);
        for (var i = FirstIndex; i < FirstIndex + Count; i++)
        {
            if (this[i] != other[i]) return false;
        }

        return true;
    }

    /// <summary>The numbers, for the binary id file; null for a text map.</summary>
    internal ReadOnlySpan<long> Numbers => _numbers;

    private int Offset(int index)
    {
        var offset = index - FirstIndex;
        if ((uint)offset >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, Count == 0 ? "The map is empty." : $"Dense ids are {FirstIndex}..{FirstIndex + Count - 1}.");
        return offset;
    }

    private Dictionary<long, int> NumberLookup()
    {
        if (_numberLookup is { } built) return built;
        var d = new Dictionary<long, int>(_numbers!.Length);
        for (var i = 0; i < _numbers.Length; i++) d[_numbers[i]] = i + FirstIndex;
        return _numberLookup = d;   // a race builds two equal maps; either is fine
    }

    private Dictionary<string, int> TextLookup()
    {
        if (_textLookup is { } built) return built;
        var d = new Dictionary<string, int>(_texts!.Length, StringComparer.Ordinal);
        for (var i = 0; i < _texts.Length; i++) d[_texts[i]] = i + FirstIndex;
        return _textLookup = d;
    }

    private static void CheckFirstIndex(int firstIndex)
    {
        if (firstIndex is not (0 or 1))
            throw new ArgumentOutOfRangeException(nameof(firstIndex), firstIndex, "The first dense id is 0 (users) or 1 (items).");
    }
}
