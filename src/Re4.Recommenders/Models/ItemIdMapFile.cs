using System.Text;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Models;

/// <summary>A checkpoint's item id map on disk. Numeric ids go to <c>item_ids.bin</c> exactly as before (magic
/// <c>RE4IDS01</c>, int32 N + 1, then N + 1 int64 with slot 0 unused), so numeric checkpoints are unchanged; text ids
/// go to <c>item_keys.bin</c> (magic <c>RE4KEY01</c>, int32 N, then per item an int32 byte length and its UTF-8 bytes).
/// A folder holds one of the two.</summary>
internal static class ItemIdMapFile
{
    public const string NumericFile = "item_ids.bin";
    public const string TextFile = "item_keys.bin";

    /// <summary>The checkpoint format that a map needs: text ids arrived with format 3.</summary>
    public static int FormatFor(IdMap ids) => ids.IsNumeric ? 2 : 3;

    private static readonly byte[] NumericMagic = "RE4IDS01"u8.ToArray();
    private static readonly byte[] TextMagic = "RE4KEY01"u8.ToArray();

    public static void Write(string directory, IdMap ids)
    {
        var numeric = ids.IsNumeric;
        using var stream = new FileStream(Path.Combine(directory, numeric ? NumericFile : TextFile), FileMode.CreateNew);
        using var writer = new BinaryWriter(stream);
        if (numeric)
        {
            writer.Write(NumericMagic);
            writer.Write(ids.Count + 1);
            writer.Write(0L);   // the padding slot
            foreach (var id in ids.Numbers) writer.Write(id);
            return;
        }

        writer.Write(TextMagic);
        writer.Write(ids.Count);
        for (var i = 1; i <= ids.Count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(ids[i]);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    public static IdMap Read(string directory, int itemCount)
    {
        var textPath = Path.Combine(directory, TextFile);
        return File.Exists(textPath) ? ReadText(textPath, itemCount) : ReadNumeric(Path.Combine(directory, NumericFile), itemCount);
    }

    private static IdMap ReadNumeric(string path, int itemCount)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path} is missing.");
        using var reader = new BinaryReader(File.OpenRead(path));
        try
        {
            if (!reader.ReadBytes(NumericMagic.Length).AsSpan().SequenceEqual(NumericMagic)) throw new InvalidDataException($"{path} is not an item id map.");
            var n = reader.ReadInt32();
            if (n != itemCount + 1) throw new InvalidDataException($"{path} maps {n - 1} items; the model has {itemCount}.");
            reader.ReadInt64();   // the padding slot
            var ids = new long[itemCount];
            for (var i = 0; i < ids.Length; i++) ids[i] = reader.ReadInt64();
            return IdMap.Numeric(ids, firstIndex: 1);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }
    }

    private static IdMap ReadText(string path, int itemCount)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        try
        {
            if (!reader.ReadBytes(TextMagic.Length).AsSpan().SequenceEqual(TextMagic)) throw new InvalidDataException($"{path} is not an item id map.");
            var n = reader.ReadInt32();
            if (n != itemCount) throw new InvalidDataException($"{path} maps {n} items; the model has {itemCount}.");
            var ids = new string[n];
            for (var i = 0; i < n; i++)
            {
                var length = reader.ReadInt32();
                if (length is <= 0 or > OriginalIdText.MaxBytes)
                    throw new InvalidDataException($"{path}: item {i + 1} has an id of {length} bytes; expected 1 to {OriginalIdText.MaxBytes}.");
                var bytes = reader.ReadBytes(length);
                if (bytes.Length != length) throw new EndOfStreamException();
                ids[i] = Encoding.UTF8.GetString(bytes);
            }

            return IdMap.Text(ids, firstIndex: 1);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }
    }
}
