using System.Text;

namespace Re4.Recommenders.Data;

/// <summary>Interns text ids straight from UTF-8 bytes: a lookup allocates nothing, and each distinct id is stored once
/// (its bytes in one growing buffer), so a file of string ids costs one string per distinct id, made at the end.</summary>
/// <remarks>Open addressing with linear probing over a power-of-two table kept at most half full.</remarks>
internal sealed class Utf8IdTable
{
    private byte[] _bytes = new byte[1 << 16];
    private int _used;
    private int[] _start = new int[1024];   // [count + 1]: id i's bytes are _bytes[_start[i].._start[i + 1]]
    private int[] _hashes = new int[1024];
    private int[] _slots = new int[2048];   // index + 1 of the id in each slot; 0 = empty
    private int _count;

    public int Count => _count;

    /// <summary>The index of <paramref name="text"/>, adding it when new.</summary>
    public int Intern(ReadOnlySpan<byte> text)
    {
        var hash = Hash(text);
        var mask = _slots.Length - 1;
        for (var s = hash & mask; ; s = (s + 1) & mask)
        {
            var entry = _slots[s];
            if (entry == 0)
            {
                var index = Add(text, hash);
                _slots[s] = index + 1;
                if (_count * 2 > _slots.Length) Rehash();
                return index;
            }

            if (_hashes[entry - 1] == hash && Bytes(entry - 1).SequenceEqual(text)) return entry - 1;
        }
    }

    /// <summary>Finds <paramref name="text"/> without adding it.</summary>
    public bool TryGet(ReadOnlySpan<byte> text, out int index)
    {
        var hash = Hash(text);
        var mask = _slots.Length - 1;
        for (var s = hash & mask; ; s = (s + 1) & mask)
        {
            var entry = _slots[s];
            if (entry == 0)
            {
                index = -1;
                return false;
            }

            if (_hashes[entry - 1] == hash && Bytes(entry - 1).SequenceEqual(text))
            {
                index = entry - 1;
                return true;
            }
        }
    }

    /// <summary>The ids as strings, in index order.</summary>
    public string[] ToStrings()
    {
        var result = new string[_count];
        for (var i = 0; i < _count; i++) result[i] = Encoding.UTF8.GetString(Bytes(i));
        return result;
    }

    private ReadOnlySpan<byte> Bytes(int index) => _bytes.AsSpan(_start[index], _start[index + 1] - _start[index]);

    private int Add(ReadOnlySpan<byte> text, int hash)
    {
        if (_used + text.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + text.Length));
        if (_count + 2 > _start.Length)
        {
            Array.Resize(ref _start, _start.Length * 2);
            Array.Resize(ref _hashes, _hashes.Length * 2);
        }

        text.CopyTo(_bytes.AsSpan(_used));
        _start[_count] = _used;
        _used += text.Length;
        _start[_count + 1] = _used;
        _hashes[_count] = hash;
        return _count++;
    }

    private void Rehash()
    {
        var slots = new int[_slots.Length * 2];
        var mask = slots.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            var s = _hashes[i] & mask;
            while (slots[s] != 0) s = (s + 1) & mask;
            slots[s] = i + 1;
        }

        _slots = slots;
    }

    private static int Hash(ReadOnlySpan<byte> text)
    {
        var h = new HashCode();
        h.AddBytes(text);
        return h.ToHashCode() & int.MaxValue;
    }
}
