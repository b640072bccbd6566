namespace Re4.Recommenders.Data.Formats;

/// <summary>One user per line: <c>user item item ...</c>, items already in time order, separated by spaces or tabs
/// (the Amazon sequence files of the sequential-recommendation literature). Auto-detection falls back to it for any
/// line without <c>,</c> or <c>::</c> that no other format claims.</summary>
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
        return TryParseId(userField, out user)
            ? LineResult.Kept
            : LineResult.Malformed(IdError(userField, $"user id as the first field of '{Layout}'"));
    }

    /// <inheritdoc/>
    public override LineResult ParseItems(ReadOnlySpan<byte> items, List<long> itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        while (!items.IsEmpty)
        {
            var token = NextToken(ref items);
            if (!TryParseId(token, out var item))
                return LineResult.Malformed(IsOutOfRange(token)
                    ? $"item id '{ByteLineReader.Show(token)}' is too large: ids must be at most {long.MaxValue}"
                    : $"expected non-negative integer item ids; '{ByteLineReader.Show(token)}' is not one");
            itemIds.Add(item);
        }

        return LineResult.Kept;
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
