using System.Text;
using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.Data;

/// <summary>
/// Streaming loaders for the recommendation formats of <see cref="InteractionFormat"/>. Ids must be non-negative
/// integers (as in every format listed); timestamps are 64-bit integers. Interaction files are grouped by user and
/// sorted stably by timestamp, so ties keep file order. Dense item ids follow first appearance; use
/// <see cref="DatasetPreparation.Prepare(SequenceDataset, DatasetFilter, ILogger?)"/> to filter and renumber them by frequency.
/// </summary>
public static class InteractionFileReader
{
    private const int MaxWarnings = 5;

    /// <summary>Loads a file, detecting its format unless <paramref name="options"/> names one.</summary>
    /// <exception cref="DataFormatException">The file is empty or a line is malformed (strict mode).</exception>
    public static SequenceDataset Load(string path, LoadOptions? options = null) => Load(path, options, out _);

    /// <summary>Loads a file and reports what was read and skipped.</summary>
    public static SequenceDataset Load(string path, LoadOptions? options, out LoadReport report)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new LoadOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file not found: {path}", path);
        var format = options.Format == InteractionFormat.Auto ? DetectFormat(path) : options.Format;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var name = options.Name ?? Path.GetFileNameWithoutExtension(path);
        return Load(stream, path, name, format, options, out report);
    }

    /// <summary>Loads from a stream in a known format; <paramref name="source"/> names it in error messages.</summary>
    public static SequenceDataset Load(Stream stream, string source, InteractionFormat format, LoadOptions? options, out LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (format == InteractionFormat.Auto)
            throw new ArgumentException("A stream's format must be given; auto-detection needs a file path.", nameof(format));
        options ??= new LoadOptions();
        return Load(stream, source, options.Name ?? source, format, options, out report);
    }

    /// <summary>Detects the format from the first non-empty lines: <c>::</c> separators mean MovieLens <c>ratings.dat</c>;
    /// four tab-separated fields mean MovieLens <c>u.data</c>; comma-separated lines with 3 fields mean ComiRec's CSV and
    /// with 5 fields Taobao's; space-separated integers mean one sequence per line.</summary>
    /// <exception cref="DataFormatException">The file is empty or its lines fit no known format.</exception>
    public static InteractionFormat DetectFormat(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file not found: {path}", path);
        using var reader = new ByteLineReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), 1 << 16);
        InteractionFormat? detected = null;
        var examined = 0;
        while (examined < 5 && reader.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            examined++;
            var text = ByteLineReader.Show(line);
            InteractionFormat guess;
            if (text.Contains("::", StringComparison.Ordinal)) guess = InteractionFormat.MovieLensDat;
            else if (text.Contains(',', StringComparison.Ordinal))
            {
                var fields = text.Split(',').Length;
                guess = fields switch
                {
                    3 => InteractionFormat.ComiRecCsv,
                    5 => InteractionFormat.TaobaoCsv,
                    _ => throw new DataFormatException(path, reader.LineNumber, text,
                        "cannot detect the format: expected 3 comma-separated fields (user,item,timestamp) or 5 (user,item,category,behavior,timestamp)"),
                };
                if (examined == 1 && !char.IsDigit(text[0])) continue; // a header line
            }
            else if (text.Contains('\t', StringComparison.Ordinal) && text.Split('\t').Length == 4) guess = InteractionFormat.MovieLensTsv;
            else guess = InteractionFormat.SequencePerLine;

            if (detected is { } d && d != guess)
                throw new DataFormatException(path, reader.LineNumber, text,
                    $"cannot detect the format: earlier lines look like {d}, this one like {guess}; pass the format explicitly");
            detected = guess;
        }

        return detected ?? throw new DataFormatException(path, 0, string.Empty, "the file is empty: expected at least one interaction");
    }

    private static SequenceDataset Load(Stream stream, string source, string name, InteractionFormat format, LoadOptions options, out LoadReport report)
    {
        using var reader = new ByteLineReader(stream);
        var logger = options.Logger;
        logger.LogInformation("Reading {Source} as {Format}", source, format);
        var state = new ParseState(source, options);
        var dataset = format == InteractionFormat.SequencePerLine
            ? ReadSequences(reader, state, name)
            : ReadInteractions(reader, state, name, format, options);
        report = new LoadReport(format, state.Lines, dataset.InteractionCount, state.Malformed, state.SkippedBehavior, state.HeaderSkipped);
        if (state.Malformed > 0)
            logger.LogWarning("{Source}: skipped {Count} malformed lines (lenient mode)", source, state.Malformed);
        logger.LogInformation("{Source}: {Users} users, {Items} items, {Interactions} interactions", source, dataset.UserCount, dataset.ItemCount, dataset.InteractionCount);
        return dataset;
    }

    private sealed class ParseState(string source, LoadOptions options)
    {
        public string Source { get; } = source;
        public bool Lenient { get; } = options.Lenient;
        public ILogger Logger { get; } = options.Logger;
        public long Lines;
        public long Malformed;
        public long SkippedBehavior;
        public bool HeaderSkipped;

        /// <summary>Throws in strict mode; counts and logs in lenient mode.</summary>
        public void Fail(long line, ReadOnlySpan<byte> text, string expected)
        {
            var error = new DataFormatException(Source, line, ByteLineReader.Show(text), expected);
            if (!Lenient) throw error;
            Malformed++;
            if (Malformed <= MaxWarnings) Logger.LogWarning("Skipping malformed line: {Message}", error.Message);
        }
    }

    private static SequenceDataset ReadSequences(ByteLineReader reader, ParseState state, string name)
    {
        var users = new IdInterner();
        var items = new IdInterner(1 << 16);
        var firstLine = new List<long>();
        var offsets = new List<int> { 0 };
        var data = new List<int>(1 << 20);
        var lineItems = new List<long>();
        while (reader.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            state.Lines++;
            var lineNo = reader.LineNumber;
            var rest = line;
            var userField = NextToken(ref rest);
            if (!TryParseId(userField, out var userId))
            {
                state.Fail(lineNo, line, "expected a non-negative integer user id as the first field of 'user item item ...'");
                continue;
            }

            if (rest.IsEmpty)
            {
                state.Fail(lineNo, line, "expected at least one item after the user id ('user item item ...')");
                continue;
            }

            if (users.TryGet(userId, out var seen))
            {
                state.Fail(lineNo, line, $"each user on one line: user {userId} already appeared on line {firstLine[seen]}");
                continue;
            }

            // Parse the whole line before interning anything, so that a line skipped in lenient mode leaves no item behind.
            lineItems.Clear();
            var ok = true;
            while (!rest.IsEmpty)
            {
                var token = NextToken(ref rest);
                if (!TryParseId(token, out var itemId))
                {
                    state.Fail(lineNo, line, $"expected non-negative integer item ids; '{ByteLineReader.Show(token)}' is not one");
                    ok = false;
                    break;
                }

                lineItems.Add(itemId);
            }

            if (!ok) continue;
            foreach (var itemId in lineItems) data.Add(items.Intern(itemId) + 1);
            users.Intern(userId);
            firstLine.Add(lineNo);
            offsets.Add(data.Count);
        }

        if (data.Count == 0)
            throw new DataFormatException(state.Source, 0, string.Empty, "the file holds no interactions");
        return new SequenceDataset(name, offsets.ToArray(), data.ToArray(), users.ToArray(), PrependPadding(items.ToArray()));
    }

    private static SequenceDataset ReadInteractions(ByteLineReader reader, ParseState state, string name, InteractionFormat format, LoadOptions options)
    {
        var users = new IdInterner();
        var items = new IdInterner(1 << 16);
        var userCol = new ChunkedColumn<int>();
        var itemCol = new ChunkedColumn<int>();
        var timeCol = new TimeColumn();
        var behaviors = options.TaobaoBehaviors.Select(b => Encoding.UTF8.GetBytes(b)).ToArray();
        var (fieldCount, separator, layout) = format switch
        {
            InteractionFormat.ComiRecCsv => (3, ",", "user_id,item_id,timestamp"),
            InteractionFormat.MovieLensTsv => (4, "\t", "user<TAB>item<TAB>rating<TAB>timestamp"),
            InteractionFormat.MovieLensDat => (4, "::", "user::item::rating::timestamp"),
            InteractionFormat.TaobaoCsv => (5, ",", "user,item,category,behavior,timestamp"),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Not an interaction format."),
        };
        var sep = Encoding.ASCII.GetBytes(separator);
        Span<Range> fields = stackalloc Range[6];
        while (reader.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            state.Lines++;
            var lineNo = reader.LineNumber;
            var n = Split(line, sep, fields);
            if (n != fieldCount)
            {
                state.Fail(lineNo, line, $"expected {fieldCount} fields '{layout}', found {(n > fieldCount ? "more" : n.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
                continue;
            }

            var userField = line[fields[0]];
            if (!TryParseId(userField, out var userId))
            {
                // A header is the first non-empty line, every field of it a name (letters, '_'): "abc,5,100" is data gone wrong.
                if (state.Lines == 1 && !state.HeaderSkipped && format != InteractionFormat.MovieLensTsv && IsHeader(line, fields[..n]))
                {
                    state.HeaderSkipped = true;
                    state.Lines--;
                    continue;
                }

                state.Fail(lineNo, line, $"expected a non-negative integer user id in field 1 of '{layout}'");
                continue;
            }

            if (!TryParseId(line[fields[1]], out var itemId))
            {
                state.Fail(lineNo, line, $"expected a non-negative integer item id in field 2 of '{layout}'");
                continue;
            }

            var timeField = line[fields[fieldCount - 1]];
            if (!TryParseLong(timeField, out var time))
            {
                state.Fail(lineNo, line, $"expected an integer timestamp in field {fieldCount} of '{layout}'");
                continue;
            }

            if (format is InteractionFormat.MovieLensTsv or InteractionFormat.MovieLensDat && !IsNumber(line[fields[2]]))
            {
                state.Fail(lineNo, line, $"expected a numeric rating in field 3 of '{layout}'");
                continue;
            }

            if (format == InteractionFormat.TaobaoCsv)
            {
                if (!TryParseId(line[fields[2]], out _))
                {
                    state.Fail(lineNo, line, $"expected a non-negative integer category id in field 3 of '{layout}'");
                    continue;
                }

                var behavior = line[fields[3]];
                if (!IsKnownBehavior(behavior))
                {
                    state.Fail(lineNo, line, $"expected a behavior of pv, buy, cart or fav in field 4 of '{layout}'");
                    continue;
                }

                if (!Matches(behavior, behaviors))
                {
                    state.SkippedBehavior++;
                    continue;
                }
            }

            userCol.Add(users.Intern(userId));
            itemCol.Add(items.Intern(itemId) + 1);
            timeCol.Add(time);
        }

        if (userCol.Count == 0)
            throw new DataFormatException(state.Source, 0, string.Empty, state.SkippedBehavior > 0
                ? $"the file holds no interactions with behavior {string.Join('/', options.TaobaoBehaviors)}"
                : state.HeaderSkipped ? "the file holds no interactions, only a header line" : "the file holds no interactions");
        if (userCol.Count > int.MaxValue)
            throw new DataFormatException(state.Source, 0, string.Empty, $"at most {int.MaxValue} interactions are supported; found {userCol.Count}");
        return timeCol.IsNarrow
            ? GroupByUser(name, users, items, userCol, itemCol, timeCol.Narrow!)
            : GroupByUser(name, users, items, userCol, itemCol, timeCol.Wide!);
    }

    /// <summary>Counting sort by user (stable), then a stable sort by time within each user.</summary>
    private static SequenceDataset GroupByUser<T>(string name, IdInterner users, IdInterner items, ChunkedColumn<int> userCol, ChunkedColumn<int> itemCol, ChunkedColumn<T> timeCol)
        where T : unmanaged, IComparable<T>
    {
        var total = (int)userCol.Count;
        var userCount = users.Count;
        var offsets = new int[userCount + 1];
        for (long i = 0; i < total; i++) offsets[userCol[i] + 1]++;
        for (var u = 0; u < userCount; u++) offsets[u + 1] += offsets[u];

        var cursor = offsets.AsSpan(0, userCount).ToArray();
        var outItems = new int[total];
        var outTimes = new T[total];
        for (long i = 0; i < total; i++)
        {
            var slot = cursor[userCol[i]]++;
            outItems[slot] = itemCol[i];
            outTimes[slot] = timeCol[i];
            if (ChunkedColumn<int>.IsChunkEnd(i))
            {
                // Hand consumed chunks back to the GC so the peak stays near one copy of the data.
                userCol.ReleaseChunkOf(i);
                itemCol.ReleaseChunkOf(i);
                timeCol.ReleaseChunkOf(i);
            }
        }

        for (var u = 0; u < userCount; u++)
            StableSortByTime(outItems.AsSpan(offsets[u], offsets[u + 1] - offsets[u]), outTimes.AsSpan(offsets[u], offsets[u + 1] - offsets[u]));

        return new SequenceDataset(name, offsets, outItems, users.ToArray(), PrependPadding(items.ToArray()));
    }

    internal static void StableSortByTime<T>(Span<int> items, Span<T> times)
        where T : unmanaged, IComparable<T>
    {
        var sorted = true;
        for (var i = 1; i < times.Length && sorted; i++) sorted = times[i - 1].CompareTo(times[i]) <= 0;
        if (sorted) return;
        var rows = new (T Time, int Position, int Item)[items.Length];
        for (var i = 0; i < rows.Length; i++) rows[i] = (times[i], i, items[i]);
        Array.Sort(rows, static (a, b) => a.Time.CompareTo(b.Time) is var c && c != 0 ? c : a.Position.CompareTo(b.Position));
        for (var i = 0; i < rows.Length; i++)
        {
            items[i] = rows[i].Item;
            times[i] = rows[i].Time;
        }
    }

    private static long[] PrependPadding(long[] ids)
    {
        var result = new long[ids.Length + 1];
        ids.CopyTo(result, 1);
        return result;
    }

    private static ReadOnlySpan<byte> NextToken(ref ReadOnlySpan<byte> rest)
    {
        var end = rest.IndexOfAny((byte)' ', (byte)'\t');
        ReadOnlySpan<byte> token;
        if (end < 0)
        {
            token = rest;
            rest = default;
            return token;
        }

        token = rest[..end];
        rest = rest[(end + 1)..];
        var skip = 0;
        while (skip < rest.Length && (rest[skip] == (byte)' ' || rest[skip] == (byte)'\t')) skip++;
        rest = rest[skip..];
        return token;
    }

    /// <summary>Splits on a separator; returns the field count, or fields.Length + 1 when there are more.</summary>
    private static int Split(ReadOnlySpan<byte> line, ReadOnlySpan<byte> separator, Span<Range> fields)
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

    private static Range TrimRange(ReadOnlySpan<byte> line, int start, int end)
    {
        while (start < end && line[start] == (byte)' ') start++;
        while (end > start && line[end - 1] == (byte)' ') end--;
        return new Range(start, end);
    }

    internal static bool TryParseId(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 18) return false;
        foreach (var c in s)
        {
            var digit = (uint)(c - '0');
            if (digit > 9) return false;
            value = value * 10 + digit;
        }

        return true;
    }

    internal static bool TryParseLong(ReadOnlySpan<byte> s, out long value)
    {
        if (!s.IsEmpty && s[0] == (byte)'-')
        {
            var ok = TryParseId(s[1..], out value);
            value = -value;
            return ok;
        }

        return TryParseId(s, out value);
    }

    private static bool IsNumber(ReadOnlySpan<byte> s) =>
        System.Buffers.Text.Utf8Parser.TryParse(s, out double _, out var consumed) && consumed == s.Length;

    private static bool IsHeader(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields)
    {
        foreach (var f in fields)
        {
            if (!LooksLikeHeader(line[f])) return false;
        }

        return true;
    }

    private static bool LooksLikeHeader(ReadOnlySpan<byte> field)
    {
        if (field.IsEmpty) return false;
        foreach (var c in field)
        {
            if (!(c is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or (byte)' ')) return false;
        }

        return true;
    }

    private static bool IsKnownBehavior(ReadOnlySpan<byte> b) =>
        b.SequenceEqual("pv"u8) || b.SequenceEqual("buy"u8) || b.SequenceEqual("cart"u8) || b.SequenceEqual("fav"u8);

    private static bool Matches(ReadOnlySpan<byte> value, byte[][] options)
    {
        foreach (var o in options)
        {
            if (value.SequenceEqual(o)) return true;
        }

        return false;
    }
}
