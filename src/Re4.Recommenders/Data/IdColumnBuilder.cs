using System.Buffers.Text;
using System.Runtime.InteropServices;

namespace Re4.Recommenders.Data;

/// <summary>Numbers one column's original ids 0, 1, 2, ... in order of first appearance. It starts numeric (a
/// <c>long</c> per id, as fast as ever) and switches once, for good, to text when the first id that is not a number
/// arrives: the ids seen so far become their decimal text, keeping their indices.</summary>
internal sealed class IdColumnBuilder
{
    private readonly Dictionary<long, int> _numbers;
    private long[] _ids;
    private int _count;
    private Utf8IdTable? _text;

    public IdColumnBuilder(int capacity = 1024)
    {
        _numbers = new Dictionary<long, int>(capacity);
        _ids = new long[Math.Max(16, capacity)];
    }

    public int Count => _text?.Count ?? _count;

    /// <summary>Whether every id so far is a number.</summary>
    public bool IsNumeric => _text is null;

    /// <summary>Interns an id given as a number.</summary>
    public int Intern(long id)
    {
        if (_text is not null) return InternFormatted(_text, id);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_numbers, id, out var exists);
        if (exists) return slot;
        if (_count == _ids.Length) Array.Resize(ref _ids, _ids.Length * 2);
        _ids[_count] = id;
        slot = _count;
        return _count++;
    }

    /// <summary>Interns an id given as its UTF-8 text (checked by <see cref="OriginalIdText.Problem(ReadOnlySpan{byte})"/>
    /// beforehand): a number when it is one, else text.</summary>
    public int Intern(ReadOnlySpan<byte> text)
    {
        if (OriginalIdText.TryParseNumber(text, out var number)) return Intern(number);
        return SwitchToText().Intern(text);
    }

    /// <summary>Interns an id given as a .NET string (checked beforehand).</summary>
    public int Intern(string text)
    {
        if (OriginalIdText.TryParseNumber(text.AsSpan(), out var number)) return Intern(number);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return SwitchToText().Intern(bytes);
    }

    /// <summary>Finds an id given as a number without adding it.</summary>
    public bool TryGet(long id, out int index)
    {
        if (_text is null) return _numbers.TryGetValue(id, out index);
        Span<byte> buffer = stackalloc byte[24];
        Utf8Formatter.TryFormat(id, buffer, out var written);
        return _text.TryGet(buffer[..written], out index);
    }

    /// <summary>Finds an id given as its UTF-8 text without adding it.</summary>
    public bool TryGet(ReadOnlySpan<byte> text, out int index)
    {
        if (OriginalIdText.TryParseNumber(text, out var number)) return TryGet(number, out index);

        index = -1;
        return _text is not null && _text.TryGet(text, out index);
    }

    /// <summary>The map from index to original id, its first index being <paramref name="firstIndex"/> (1 for items,
    /// whose index 0 is padding).</summary>
    public IdMap ToMap(int firstIndex) => _text is null
        ? IdMap.Numeric(_ids.AsSpan(0, _count).ToArray(), firstIndex)
        : IdMap.Text(_text.ToStrings(), firstIndex);

    private Utf8IdTable SwitchToText()
    {
        if (_text is not null) return _text;
        var table = new Utf8IdTable();
        for (var i = 0; i < _count; i++) InternFormatted(table, _ids[i]);
        _text = table;
        _numbers.Clear();
        _numbers.TrimExcess();
        _ids = [];
        return table;
    }

    private static int InternFormatted(Utf8IdTable table, long id)
    {
        Span<byte> buffer = stackalloc byte[24];
        Utf8Formatter.TryFormat(id, buffer, out var written);
        return table.Intern(buffer[..written]);
    }
}
