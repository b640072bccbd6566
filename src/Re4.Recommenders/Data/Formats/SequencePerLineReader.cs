namespace Re4.Recommenders.Data.Formats;

/// <summary>One user per line: <c>user item item ...</c>, items already in time order, separated by spaces or tabs
/// (the Amazon sequence files of the sequential-recommendation literature). Auto-detection falls back to it for any
/// line without <c>,</c> or <c>::</c> that no other format claims. Ids may be numbers or text (ASINs, SKUs).</summary>
public sealed class SequencePerLineReader : UserSequenceReader
{
    /// <inheritdoc/>
    public override string Name => "sequence";

    /// <inheritdoc/>
    public override string Layout => "user item item ...";

    /// <inheritdoc/>
    public override FormatMatch Detect(ReadOnlySpan<byte> line) =>
        line.IndexOf("::"u8) < 0 && !line.Contains((byte)',') ? FormatMatch.Fallback : FormatMatch.None;

    /// <inheritdoc/>
    public override LineResult ParseUser(ReadOnlySpan<byte> line, out long user, out ReadOnlySpan<byte> items)
    {
        items = line;
        var userField = NextToken(ref items);
        return OriginalIdText.TryParseNumber(userField, out user)
            ? LineResult.Kept
            : LineResult.Malformed($"expected a numeric user id as the first field of '{Layout}' (text ids are read through {nameof(ParseFields)})");
    }

    /// <inheritdoc/>
    public override LineResult ParseItems(ReadOnlySpan<byte> items, List<long> itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        while (!items.IsEmpty)
        {
            var token = NextToken(ref items);
            if (!OriginalIdText.TryParseNumber(token, out var item))
                return LineResult.Malformed($"expected numeric item ids; '{ByteLineReader.Show(token)}' is not one (text ids are read through {nameof(ParseFields)})");
            itemIds.Add(item);
        }

        return LineResult.Kept;
    }

    /// <inheritdoc/>
    public override bool ReadsIdFields => true;

    /// <inheritdoc/>
    public override LineResult ParseFields(ReadOnlySpan<byte> line, out Range user, List<Range> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var position = 0;
        user = NextField(line, ref position);
        while (position < line.Length) items.Add(NextField(line, ref position));
        return LineResult.Kept;
    }

    /// <summary>The field starting at <paramref name="position"/>, up to the next space or tab; moves past the
    /// separators that follow it.</summary>
    private static Range NextField(ReadOnlySpan<byte> line, ref int position)
    {
        var start = position;
        var length = line[start..].IndexOfAny((byte)' ', (byte)'\t');
        var end = length < 0 ? line.Length : start + length;
        position = end;
        while (position < line.Length && (line[position] == (byte)' ' || line[position] == (byte)'\t')) position++;
        return new Range(start, end);
    }

    /// <summary>The next token, separated by one or more spaces or tabs; <paramref name="rest"/> moves past it.</summary>
    private static ReadOnlySpan<byte> NextToken(ref ReadOnlySpan<byte> rest)
    {
        var end = rest.IndexOfAny((byte)' ', (byte)'\t');
        if (end < 0)
        {
            var last = rest;
            rest = default;
            return last;
        }

        var token = rest[..end];
        rest = rest[(end + 1)..];
        var skip = 0;
        while (skip < rest.Length && (rest[skip] == (byte)' ' || rest[skip] == (byte)'\t')) skip++;
        rest = rest[skip..];
        return token;
    }
}
