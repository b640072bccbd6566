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

    /// <summary>Parses a non-negative decimal id of at most 18 digits (no sign, no spaces) without allocating.</summary>
    protected static bool TryParseId(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18) return false;
        foreach (var c in text)
        {
            var digit = (uint)(c - '0');
            if (digit > 9) return false;
            value = value * 10 + digit;
        }

        return true;
    }

    /// <summary>Parses a decimal timestamp of at most 18 digits, optionally negative, without allocating.</summary>
    protected static bool TryParseTimestamp(ReadOnlySpan<byte> text, out long value)
    {
        if (!text.IsEmpty && text[0] == (byte)'-')
        {
            var ok = TryParseId(text[1..], out value);
            value = -value;
            return ok;
        }

        return TryParseId(text, out value);
    }
}
