using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.USearch;

/// <summary>
/// The index file: an 80-byte header of our own, then USearch's serialized index (the payload). The header ties the
/// index to the item table it was built from, so that a stale index (the model was retrained, or the file was copied
/// beside another model) is refused instead of serving another table's neighbours, and a damaged file is refused before
/// its bytes reach native code.
/// </summary>
/// <remarks>
/// Layout, little-endian: magic <c>RE4USIDX</c> (8 bytes); format version (u32, 1); header size (u32, 80); N (i32);
/// d (i32); connectivity (i32); expansion_add (i32); XxHash128 of the item rows 1..N as float32 bytes (16); payload
/// length (u64); XxHash128 of the payload (16); 8 reserved zero bytes.
/// </remarks>
internal static class USearchIndexFile
{
    public const int FormatVersion = 1;
    public const int HeaderSize = 80;
    private static readonly byte[] Magic = "RE4USIDX"u8.ToArray();

    /// <summary>Reads of the payload go in chunks this large (a span holds at most 2 GiB).</summary>
    private const int Chunk = 1 << 26;

    /// <summary>What the header says.</summary>
    public readonly record struct Header(int ItemCount, int Dimension, int Connectivity, int ExpansionAdd, UInt128 TableHash, long PayloadLength, UInt128 PayloadHash);

    /// <summary>XxHash128 of items 1..N of <paramref name="table"/> (row 0, the padding, is never indexed).</summary>
    public static UInt128 TableHash(ItemEmbeddingTable table) =>
        XxHash128.HashToUInt128(MemoryMarshal.AsBytes(table.Rows(1, table.ItemCount)));

    /// <summary>Writes header and payload to a temporary file beside <paramref name="path"/>, flushes it to disk and
    /// renames it over <paramref name="path"/>, so a reader sees the old file or the new one, never a part.</summary>
    public static unsafe void Write(string path, Header header, byte* payload)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> head = stackalloc byte[HeaderSize];
                Encode(header, head);
                stream.Write(head);
                for (long at = 0; at < header.PayloadLength; at += Chunk)
                    stream.Write(new ReadOnlySpan<byte>(payload + at, (int)Math.Min(Chunk, header.PayloadLength - at)));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Reads and checks the header of <paramref name="path"/> against <paramref name="expected"/> (its payload
    /// fields are ignored), then reads the payload into native memory the caller frees with
    /// <see cref="NativeMemory.Free"/>, and checks its length and hash.</summary>
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="InvalidDataException">Not an index file, another format version, built for another item table or
    /// with other build options (stale), or truncated or damaged (corrupt); the message says which field and both values.</exception>
    public static unsafe (Header Header, IntPtr Payload) Read(string path, Header expected)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(file);
        Span<byte> head = stackalloc byte[HeaderSize];
        if (length < HeaderSize || RandomAccess.Read(file, head, 0) != HeaderSize)
            throw new InvalidDataException($"{path} has {length} bytes, fewer than the {HeaderSize}-byte header of a Re4 USearch index: the file is truncated or not an index.");
        if (!head[..8].SequenceEqual(Magic))
            throw new InvalidDataException($"{path} does not start with '{Encoding.ASCII.GetString(Magic)}' (it starts with '{Printable(head[..8])}'): it is not a Re4 USearch index file.");
        var version = BinaryPrimitives.ReadInt32LittleEndian(head[8..]);
        var size = BinaryPrimitives.ReadInt32LittleEndian(head[12..]);
        if (version != FormatVersion || size != HeaderSize)
            throw new InvalidDataException($"{path} has index format {version} (header {size} bytes); this version reads format {FormatVersion} ({HeaderSize} bytes).");
        var header = Decode(head);
        Stale(path, "item count", header.ItemCount, expected.ItemCount);
        Stale(path, "dimension", header.Dimension, expected.Dimension);
        if (header.TableHash != expected.TableHash)
            throw new InvalidDataException($"{path} is stale: it was built from an item table with hash {header.TableHash:x32}; the model's item table has hash {expected.TableHash:x32} (the model was retrained or the index belongs to another model). Rebuild it.");
        Stale(path, "connectivity", header.Connectivity, expected.Connectivity);
        Stale(path, "expansion_add", header.ExpansionAdd, expected.ExpansionAdd);
        if (header.PayloadLength != length - HeaderSize)
            throw new InvalidDataException($"{path} has {length - HeaderSize} bytes after its header; the header records {header.PayloadLength}: the file is truncated or damaged.");
        var payload = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, header.PayloadLength));
        try
        {
            var hash = new XxHash128();
            for (long at = 0; at < header.PayloadLength;)
            {
                var span = new Span<byte>(payload + at, (int)Math.Min(Chunk, header.PayloadLength - at));
                var read = RandomAccess.Read(file, span, HeaderSize + at);
                if (read <= 0) throw new InvalidDataException($"{path} ended at byte {HeaderSize + at}; the header records {HeaderSize + header.PayloadLength}.");
                hash.Append(span[..read]);
                at += read;
            }

            var actual = hash.GetCurrentHashAsUInt128();
            if (actual != header.PayloadHash)
                throw new InvalidDataException($"{path} is damaged: its index bytes hash to {actual:x32}; the header records {header.PayloadHash:x32}.");
            return (header, (IntPtr)payload);
        }
        catch
        {
            NativeMemory.Free(payload);
            throw;
        }
    }

    private static void Stale(string path, string field, int found, int expected)
    {
        if (found != expected)
            throw new InvalidDataException($"{path} is stale: its {field} is {found}; expected {expected} (from the model and the scorer options). Rebuild it.");
    }

    private static void Encode(Header header, Span<byte> head)
    {
        head.Clear();
        Magic.CopyTo(head);
        BinaryPrimitives.WriteInt32LittleEndian(head[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(head[12..], HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(head[16..], header.ItemCount);
        BinaryPrimitives.WriteInt32LittleEndian(head[20..], header.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(head[24..], header.Connectivity);
        BinaryPrimitives.WriteInt32LittleEndian(head[28..], header.ExpansionAdd);
        BinaryPrimitives.WriteUInt128LittleEndian(head[32..], header.TableHash);
        BinaryPrimitives.WriteInt64LittleEndian(head[48..], header.PayloadLength);
        BinaryPrimitives.WriteUInt128LittleEndian(head[56..], header.PayloadHash);
    }

    private static Header Decode(ReadOnlySpan<byte> head) => new(
        BinaryPrimitives.ReadInt32LittleEndian(head[16..]),
        BinaryPrimitives.ReadInt32LittleEndian(head[20..]),
        BinaryPrimitives.ReadInt32LittleEndian(head[24..]),
        BinaryPrimitives.ReadInt32LittleEndian(head[28..]),
        BinaryPrimitives.ReadUInt128LittleEndian(head[32..]),
        BinaryPrimitives.ReadInt64LittleEndian(head[48..]),
        BinaryPrimitives.ReadUInt128LittleEndian(head[56..]));

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes) text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return text.ToString();
    }
}
