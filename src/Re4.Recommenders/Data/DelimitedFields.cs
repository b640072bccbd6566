using System.Text;

namespace Re4.Recommenders.Data;

/// <summary>Span helpers of the delimited formats: splitting, header names, detection by separator count.</summary>
internal static class DelimitedFields
{
    /// <summary>Splits on a separator, trimming spaces; returns the field count, or fields.Length + 1 when there are more.</summary>
    public static int Split(ReadOnlySpan<byte> line, ReadOnlySpan<byte> separator, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        while (true)
        {
            var idx = line[start..].IndexOf(separator);
            if (count == fields.Length) return fields.Length + 1;
            if (idx < 0)
            {
                fields[count++] = TrimRange(line, start, line.Length);
                return count;
            }

            fields[count++] = TrimRange(line, start, start + idx);
            start += idx + separator.Length;
        }
    }

    /// <summary>Whether every field is a name (letters, '_', spaces): "abc,5,100" has a number, so it is data gone wrong.</summary>
    public static bool AreNames(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields)
    {
        foreach (var f in fields)
        {
            if (!IsName(line[f])) return false;
        }

        return true;
    }

    /// <summary>How a comma-separated line fits a layout of <paramref name="fieldCount"/> fields: a line whose first
    /// character is not a digit is a header. A <c>::</c> line is MovieLens <c>ratings.dat</c> even when it holds commas.</summary>
    public static FormatMatch DetectCommaSeparated(ReadOnlySpan<byte> line, int fieldCount)
    {
        if (line.IndexOf("::"u8) >= 0 || !line.Contains((byte)',')) return FormatMatch.None;
        if (line.Count((byte)',') + 1 != fieldCount) return FormatMatch.NearMiss;
        return StartsWithDigit(line) ? FormatMatch.Match : FormatMatch.Header;
    }

    private static bool StartsWithDigit(ReadOnlySpan<byte> line)
    {
        // As char.IsDigit on the decoded first character: any Unicode decimal digit of the basic plane counts.
        Rune.DecodeFromUtf8(line, out var first, out _);
        return first.IsBmp && char.IsDigit((char)first.Value);
    }

    private static Range TrimRange(ReadOnlySpan<byte> line, int start, int end)
    {
        while (start < end && line[start] == (byte)' ') start++;
        while (end > start && line[end - 1] == (byte)' ') end--;
        return new Range(start, end);
    }

    private static bool IsName(ReadOnlySpan<byte> field)
    {
        if (field.IsEmpty) return false;
        foreach (var c in field)
        {
            if (!(c is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or (byte)' ')) return false;
        }

        return true;
    }
}
