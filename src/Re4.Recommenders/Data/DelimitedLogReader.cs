using System.Globalization;
using System.Text;

namespace Re4.Recommenders.Data;

/// <summary>An interaction log with one separator between a fixed number of fields: the user id first, the item id
/// second (numbers or text, unless <see cref="AcceptsTextIds"/> is false), an integer timestamp last; <see cref="CheckOtherFields"/> checks the fields between. Fields may be padded
/// with spaces. A header line is one whose every field is a name (letters, <c>_</c>, spaces).</summary>
public abstract class DelimitedLogReader : InteractionLogReader
{
    /// <summary>The most fields a line may have.</summary>
    public const int MaxFields = 15;

    private readonly byte[] _separator;

    /// <summary>Creates the reader.</summary>
    /// <param name="name">The format's name (<see cref="InteractionReader.Name"/>).</param>
    /// <param name="separator">The separator between fields, e.g. <c>,</c> or <c>::</c>.</param>
    /// <param name="layout">The layout shown in errors, e.g. <c>user_id,item_id,timestamp</c>.</param>
    /// <param name="fieldCount">Fields per line: 3 to <see cref="MaxFields"/>.</param>
    protected DelimitedLogReader(string name, string separator, string layout, int fieldCount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrEmpty(separator);
        ArgumentException.ThrowIfNullOrWhiteSpace(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(fieldCount, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fieldCount, MaxFields);
        Name = name;
        Layout = layout;
        Separator = separator;
        FieldCount = fieldCount;
        _separator = Encoding.UTF8.GetBytes(separator);
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override string Layout { get; }

    /// <summary>The separator between fields.</summary>
    public string Separator { get; }

    /// <summary>Fields per line.</summary>
    public int FieldCount { get; }

    /// <summary>Whether user and item ids may be text (SKUs, ASINs, UUIDs) as well as numbers; default true. A format
    /// whose specification defines integer ids (MovieLens) says false, so that a non-integer id is reported as a
    /// malformed line.</summary>
    public virtual bool AcceptsTextIds => true;

    /// <inheritdoc/>
    public sealed override LineResult Parse(ReadOnlySpan<byte> line, out Interaction interaction)
    {
        interaction = default;
        Span<Range> fields = stackalloc Range[MaxFields + 1];
        var n = DelimitedFields.Split(line, _separator, fields[..(FieldCount + 1)]);
        if (n != FieldCount)
            return LineResult.Malformed($"expected {FieldCount} fields '{Layout}', found {(n > FieldCount ? "more" : n.ToString(CultureInfo.InvariantCulture))}");
        long user, item;
        Range? userField = null, itemField = null;
        if (AcceptsTextIds)
        {
            // A number stays a number (the fast path); any other id is left to the loader as a field of the line.
            if (!OriginalIdText.TryParseNumber(line[fields[0]], out user)) userField = fields[0];
            if (!OriginalIdText.TryParseNumber(line[fields[1]], out item)) itemField = fields[1];
        }
        else
        {
            if (!TryParseId(line[fields[0]], out user))
                return LineResult.Malformed(IdError(line[fields[0]], $"user id in field 1 of '{Layout}'"));
            if (!TryParseId(line[fields[1]], out item))
                return LineResult.Malformed(IdError(line[fields[1]], $"item id in field 2 of '{Layout}'"));
        }

        var timeField = line[fields[FieldCount - 1]];
        if (!TryParseTimestamp(timeField, out var time))
            return LineResult.Malformed(IsOutOfRange(timeField, signed: true)
                ? $"the timestamp in field {FieldCount} of '{Layout}' is out of range: timestamps must lie in [{long.MinValue}, {long.MaxValue}]"
                : $"expected an integer timestamp in field {FieldCount} of '{Layout}'");
        var other = CheckOtherFields(line, fields[..n]);
        if (other.Status != LineStatus.Kept) return other;
        interaction = new Interaction(user, item, time) { UserField = userField, ItemField = itemField };
        return LineResult.Kept;
    }

    /// <inheritdoc/>
    public override bool IsHeader(ReadOnlySpan<byte> line)
    {
        Span<Range> fields = stackalloc Range[MaxFields + 1];
        var n = DelimitedFields.Split(line, _separator, fields[..(FieldCount + 1)]);
        return n == FieldCount && DelimitedFields.AreNames(line, fields[..n]);
    }

    /// <summary>Checks the fields between the item and the timestamp, once those have parsed. The default keeps the line.</summary>
    /// <param name="line">The line.</param>
    /// <param name="fields">Where each of the <see cref="FieldCount"/> fields lies in <paramref name="line"/>, trimmed of spaces.</param>
    protected virtual LineResult CheckOtherFields(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields) => LineResult.Kept;
}
