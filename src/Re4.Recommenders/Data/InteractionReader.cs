namespace Re4.Recommenders.Data;

/// <summary>One data format: how to recognise its lines (auto-detection), its header, and how to parse a line.
/// <see cref="InteractionFileReader"/> drives a reader: it reads the file's lines as UTF-8 bytes, counts them, applies
/// lenient mode, reports errors and builds the <see cref="SequenceDataset"/>. Derive from
/// <see cref="InteractionLogReader"/> when a line is one interaction (user, item, timestamp), or from
/// <see cref="UserSequenceReader"/> when a line is one user's whole behaviour sequence; see <c>docs/extending.md</c>.</summary>
/// <remarks>Lines reach a reader trimmed (no <c>\r</c>, no surrounding spaces or tabs), never empty, and as byte spans
/// that are only valid during the call: a reader must not allocate per line on its success path, so that loading
/// stays as fast as the built-in formats. A reader holds no state between lines, so one instance may serve
/// concurrent loads.</remarks>
public abstract class InteractionReader
{
    // Only the two kinds above exist: the driver has one loop for each.
    private protected InteractionReader()
    {
    }

    /// <summary>The format's name: the command line's <c>--format</c> value, the key of an
    /// <see cref="InteractionReaderRegistry"/>, and what <see cref="LoadReport.Format"/> records.</summary>
    public abstract string Name { get; }

    /// <summary>The line layout shown in error messages, e.g. <c>user_id,item_id,timestamp</c>.</summary>
    public abstract string Layout { get; }

    /// <summary>What a line of this format looks like, said in detection errors when a line fits no format but is
    /// a <see cref="FormatMatch.NearMiss"/> of this one; defaults to the <see cref="Layout"/>.</summary>
    public virtual string DetectionHint => $"'{Layout}'";

    /// <summary>How well one of the first non-empty lines of a file fits this format (auto-detection reads up to five).</summary>
    /// <param name="line">The trimmed line as UTF-8 bytes.</param>
    public abstract FormatMatch Detect(ReadOnlySpan<byte> line);

    /// <summary>Whether <paramref name="line"/>, the first non-empty line of a file that failed to parse, is a header
    /// to skip rather than a malformed line. The default: the format has no header.</summary>
    public virtual bool IsHeader(ReadOnlySpan<byte> line) => false;

    /// <summary>The error when lines were read but every one was <see cref="LineResult.Skipped"/>.</summary>
    public virtual string NothingKeptMessage => "the file holds no interactions: every line was skipped";

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Parses a non-negative decimal id that fits a <see cref="long"/> (up to 9223372036854775807; no sign, no
    /// spaces) without allocating. False for anything else, an id too large included (<see cref="IsOutOfRange"/> tells
    /// that case apart for the error message).</summary>
    protected static bool TryParseId(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty) return false;
        foreach (var c in text)
        {
            var digit = (uint)(c - '0');
            if (digit > 9) return false;
            // value * 10 + digit <= long.MaxValue, checked without overflowing.
            if (value > (long.MaxValue - digit) / 10)
            {
                value = 0;
                return false;
            }

            value = value * 10 + digit;
        }

        return true;
    }

    /// <summary>Parses a decimal timestamp that fits a <see cref="long"/>, optionally negative (down to
    /// -9223372036854775808), without allocating.</summary>
    protected static bool TryParseTimestamp(ReadOnlySpan<byte> text, out long value)
    {
        if (text.IsEmpty || text[0] != (byte)'-') return TryParseId(text, out value);
        value = 0;
        var digits = text[1..];
        if (digits.IsEmpty) return false;
        // Accumulated negatively, so that long.MinValue (one more in magnitude than long.MaxValue) fits.
        foreach (var c in digits)
        {
            var digit = (uint)(c - '0');
            if (digit > 9 || value < (long.MinValue + digit) / 10)
            {
                value = 0;
                return false;
            }

            value = value * 10 - digit;
        }

        return true;
    }

    /// <summary>Whether <paramref name="text"/> is a well-formed integer (digits, with a leading <c>-</c> when
    /// <paramref name="signed"/>) that does not fit a <see cref="long"/>: the message then says "too large" rather than
    /// "not a number".</summary>
    protected static bool IsOutOfRange(ReadOnlySpan<byte> text, bool signed = false)
    {
        var digits = signed && !text.IsEmpty && text[0] == (byte)'-' ? text[1..] : text;
        if (digits.IsEmpty) return false;
        foreach (var c in digits)
        {
            if ((uint)(c - '0') > 9) return false;
        }

        return signed ? !TryParseTimestamp(text, out _) : !TryParseId(text, out _);
    }

    /// <summary>The message of an id field that does not parse: out of the 64-bit range, or not a non-negative integer.</summary>
    /// <param name="text">The field.</param>
    /// <param name="what">What the field holds, with its place, e.g. <c>user id in field 1 of 'user,item,time'</c>.</param>
    protected static string IdError(ReadOnlySpan<byte> text, string what) =>
        IsOutOfRange(text)
            ? $"the {what} is too large: ids must be at most {long.MaxValue}"
            : $"expected a non-negative integer {what}";
}
