using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Re4.Recommenders.Export;

/// <summary>Writes NumPy's <c>.npy</c> format, version 1.0, for little-endian float32 arrays in C order: the magic
/// <c>\x93NUMPY</c>, the version bytes 1 and 0, a 16-bit little-endian header length, then the header, a Python dict
/// literal padded with spaces to end, newline included, on a multiple of 64 bytes, then the values.</summary>
internal static class NpyFile
{
    private const int Alignment = 64;

    /// <summary>The whole file's header (magic through the padded dict) for a float32 array of <paramref name="shape"/>.</summary>
    public static byte[] Header(IReadOnlyList<long> shape)
    {
        // A one-dimensional shape is written "(N,)": "(N)" would be a plain number to Python.
        var dims = shape.Count == 1
            ? shape[0].ToString(CultureInfo.InvariantCulture) + ","
            : string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        const int prefix = 10;   // magic (6) + version (2) + header length (2)
        var unpadded = prefix + dict.Length + 1;
        var padded = (unpadded + Alignment - 1) / Alignment * Alignment;
        var text = dict + new string(' ', padded - unpadded) + "\n";
        var header = new byte[padded];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), checked((ushort)text.Length));
        Encoding.ASCII.GetBytes(text, header.AsSpan(prefix));
        return header;
    }

    /// <summary>Writes the header and the values (row-major, as many as the shape holds) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (values.Length != count)
            throw new ArgumentException($"A float32 array of shape ({string.Join(", ", shape)}) holds {count} values; {values.Length} were given.", nameof(values));
        stream.Write(Header(shape));
        var buffer = new byte[sizeof(float) * 4096];
        for (var start = 0; start < values.Length; start += 4096)
        {
            var chunk = values.Slice(start, Math.Min(4096, values.Length - start));
            for (var i = 0; i < chunk.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * sizeof(float)), chunk[i]);
            stream.Write(buffer, 0, chunk.Length * sizeof(float));
        }
    }
}
