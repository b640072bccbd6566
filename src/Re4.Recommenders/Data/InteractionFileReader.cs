using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.Data;

/// <summary>
/// Loads interaction files through an <see cref="InteractionReader"/> (the format; detected unless
/// <see cref="LoadOptions.Reader"/> names one). The reader parses lines; this driver streams them as UTF-8 bytes,
/// counts them, applies lenient mode, reports errors with file and line, and builds the <see cref="SequenceDataset"/>.
/// Ids are numbers or text (see <see cref="IdMap"/>; MovieLens requires integers); timestamps are 64-bit integers. Interaction logs
/// are grouped by user and sorted stably by timestamp, so ties keep file order. Dense item ids follow first
/// appearance; use <see cref="DatasetPreparation.Prepare(SequenceDataset, DatasetFilter, ILogger?)"/> to filter and
/// renumber them by frequency.
/// </summary>
public static class InteractionFileReader
{
    private const int MaxWarnings = 5;
    private const int DetectionLines = 5;

    /// <summary>Loads a file, detecting its format unless <paramref name="options"/> names one.</summary>
    /// <exception cref="DataFormatException">The file is empty or a line is malformed (strict mode).</exception>
    public static SequenceDataset Load(string path, LoadOptions? options = null) => Load(path, options, out _);

    /// <summary>Loads a file and reports what was read and skipped.</summary>
    /// <exception cref="DataFormatException">The file is empty or a line is malformed (strict mode).</exception>
    public static SequenceDataset Load(string path, LoadOptions? options, out LoadReport report)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new LoadOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file not found: {path}", path);
        var reader = options.Reader ?? DetectFormat(path, options.Readers);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var name = options.Name ?? Path.GetFileNameWithoutExtension(path);
        return Load(stream, path, name, reader, options, out report);
    }

    /// <summary>Loads from a stream in the format <see cref="LoadOptions.Reader"/> names (detection needs a file
    /// path); <paramref name="source"/> names the stream in error messages.</summary>
    /// <exception cref="ArgumentException"><see cref="LoadOptions.Reader"/> is not set.</exception>
    /// <exception cref="DataFormatException">The stream holds no interaction or a line is malformed (strict mode).</exception>
    public static SequenceDataset Load(Stream stream, string source, LoadOptions options, out LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Reader is not { } reader)
            throw new ArgumentException("A stream's format must be given in LoadOptions.Reader; auto-detection needs a file path.", nameof(options));
        return Load(stream, source, options.Name ?? source, reader, options, out report);
    }

    /// <summary>Detects the format from the first non-empty lines (at most five): each line goes to the reader whose
    /// <see cref="InteractionReader.Detect"/> answers best (the first in <paramref name="readers"/> on ties), a header
    /// on the first line is skipped, and every line must go to the same reader. Among the built-in formats:
    /// <c>::</c> separators mean MovieLens <c>ratings.dat</c>; four tab-separated fields mean MovieLens <c>u.data</c>;
    /// comma-separated lines with 3 fields mean ComiRec's CSV and with 5 fields Taobao's; anything else means one
    /// sequence per line.</summary>
    /// <param name="path">The file.</param>
    /// <param name="readers">The formats to choose from; default <see cref="InteractionReaderRegistry.BuiltIn"/>.</param>
    /// <exception cref="DataFormatException">The file is empty or its lines fit no format, or not the same one.</exception>
    public static InteractionReader DetectFormat(string path, InteractionReaderRegistry? readers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        readers ??= InteractionReaderRegistry.BuiltIn;
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file not found: {path}", path);
        using var lines = new ByteLineReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), 1 << 16);
        InteractionReader? detected = null;
        var examined = 0;
        while (examined < DetectionLines && lines.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            examined++;
            var (guess, fit) = BestFit(line, readers);
            if (guess is null)
            {
                var nearMisses = new List<string>();
                foreach (var reader in readers.Readers)
                {
                    if (reader.Detect(line) == FormatMatch.NearMiss) nearMisses.Add(reader.DetectionHint);
                }

                throw new DataFormatException(path, lines.LineNumber, ByteLineReader.Show(line), nearMisses.Count > 0
                    ? $"cannot detect the format: expected {string.Join(" or ", nearMisses)}"
                    : $"cannot detect the format: no format fits this line (known: {string.Join(", ", readers.Names)}); pass the format explicitly");
            }

            if (fit == FormatMatch.Header && examined == 1) continue;
            if (detected is { } d && d != guess)
                throw new DataFormatException(path, lines.LineNumber, ByteLineReader.Show(line),
                    $"cannot detect the format: earlier lines look like {d.Name}, this one like {guess.Name}; pass the format explicitly");
            detected = guess;
        }

        return detected ?? throw new DataFormatException(path, 0, string.Empty, "the file is empty: expected at least one interaction");
    }

    /// <summary>The reader that fits a line best (the first on ties), or null when none fits better than a near miss.</summary>
    private static (InteractionReader? Reader, FormatMatch Fit) BestFit(ReadOnlySpan<byte> line, InteractionReaderRegistry readers)
    {
        InteractionReader? best = null;
        var bestFit = FormatMatch.NearMiss;
        foreach (var reader in readers.Readers)
        {
            var fit = reader.Detect(line);
            if (fit > bestFit)
            {
                best = reader;
                bestFit = fit;
            }
        }

        return (best, bestFit);
    }

    private static SequenceDataset Load(Stream stream, string source, string name, InteractionReader format, LoadOptions options, out LoadReport report)
    {
        using var lines = new ByteLineReader(stream);
        var logger = options.Logger;
        logger.LogInformation("Reading {Source} as {Format}", source, format.Name);
        var state = new ParseState(source, options);
        var dataset = format switch
        {
            UserSequenceReader sequences => ReadSequences(lines, state, name, sequences),
            InteractionLogReader log => ReadInteractions(lines, state, name, log),
            _ => throw new ArgumentException($"Unknown kind of reader: {format.GetType()}.", nameof(format)),
        };
        report = new LoadReport(format.Name, state.Lines, dataset.InteractionCount, state.Malformed, state.SkippedByReader, state.HeaderSkipped);
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
        public long SkippedByReader;
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

    private static SequenceDataset ReadSequences(ByteLineReader lines, ParseState state, string name, UserSequenceReader format)
    {
        if (!format.ReadsIdFields) return ReadNumericSequences(lines, state, name, format);
        var rows = new SequenceRows();
        var fields = new List<Range>();
        var numbers = new List<long>();   // per item field: its number when it is one
        var lineItems = new List<long>();
        while (lines.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            state.Lines++;
            var lineNo = lines.LineNumber;

            // The numeric fast path, as fast as numeric-only loading: the reader's numeric parse (canonical numbers only).
            // Any line it does not keep whole, text ids or errors, is read again through the fields below.
            if (format.ParseUser(line, out var userId, out var rest).Status == LineStatus.Kept && !rest.IsEmpty)
            {
                lineItems.Clear();
                if (format.ParseItems(rest, lineItems).Status == LineStatus.Kept && lineItems.Count > 0)
                {
                    if (!rows.IsRepeated(state, lineNo, line, userId)) rows.AddNumeric(lineNo, userId, lineItems);
                    continue;
                }
            }

            fields.Clear();
            var result = format.ParseFields(line, out var userField, fields);
            if (result.Status == LineStatus.Malformed)
            {
                state.Fail(lineNo, line, result.Expected!);
                continue;
            }

            var user = line[userField];
            if (!OriginalIdText.TryParseNumber(user, out _) && OriginalIdText.Problem(user) is { } userProblem)
            {
                state.Fail(lineNo, line, $"expected a user id as the first field of '{format.Layout}': {userProblem}");
                continue;
            }

            if (fields.Count == 0 && result.Status != LineStatus.Skipped)
            {
                state.Fail(lineNo, line, $"expected at least one item after the user id ('{format.Layout}')");
                continue;
            }

            if (rows.Users.TryGet(user, out var seen))
            {
                state.Fail(lineNo, line, $"each user on one line: user {ByteLineReader.Show(user)} already appeared on line {rows.FirstLine(seen)}");
                continue;
            }

            if (result.Status == LineStatus.Skipped)
            {
                state.SkippedByReader++;
                continue;
            }

            // Check the whole line before interning anything, so that a line skipped in lenient mode leaves no item behind.
            numbers.Clear();
            var anyText = false;
            string? itemProblem = null;
            foreach (var field in fields)
            {
                var text = line[field];
                if (!OriginalIdText.TryParseNumber(text, out var number))
                {
                    anyText = true;
                    if (OriginalIdText.Problem(text) is { } problem)
                    {
                        itemProblem = $"expected item ids of '{format.Layout}'; '{ByteLineReader.Show(text)}' is not one: {problem}";
                        break;
                    }
                }

                numbers.Add(number);
            }

            if (itemProblem is not null)
            {
                state.Fail(lineNo, line, itemProblem);
                continue;
            }

            if (anyText)
            {
                foreach (var field in fields) rows.AddItem(rows.Items.Intern(line[field]));
            }
            else
            {
                foreach (var number in numbers) rows.AddItem(rows.Items.Intern(number));   // the numeric fast path
            }

            rows.Users.Intern(user);
            rows.EndRow(lineNo);
        }

        return rows.Build(state, name, format);
    }

    /// <summary>A reader of numeric ids only (<see cref="UserSequenceReader.ReadsIdFields"/> false): its own two-step parse.</summary>
    private static SequenceDataset ReadNumericSequences(ByteLineReader lines, ParseState state, string name, UserSequenceReader format)
    {
        var rows = new SequenceRows();
        var lineItems = new List<long>();
        while (lines.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            state.Lines++;
            var lineNo = lines.LineNumber;
            var result = format.ParseUser(line, out var userId, out var rest);
            if (result.Status == LineStatus.Malformed)
            {
                state.Fail(lineNo, line, result.Expected!);
                continue;
            }

            if (rest.IsEmpty)
            {
                state.Fail(lineNo, line, $"expected at least one item after the user id ('{format.Layout}')");
                continue;
            }

            if (rows.IsRepeated(state, lineNo, line, userId)) continue;

            // Parse the whole line before interning anything, so that a line skipped in lenient mode leaves no item behind.
            lineItems.Clear();
            result = format.ParseItems(rest, lineItems);
            if (result.Status == LineStatus.Malformed)
            {
                state.Fail(lineNo, line, result.Expected!);
                continue;
            }

            if (result.Status == LineStatus.Skipped)
            {
                state.SkippedByReader++;
                continue;
            }

            if (lineItems.Count == 0)
            {
                state.Fail(lineNo, line, $"expected at least one item after the user id ('{format.Layout}')");
                continue;
            }

            rows.AddNumeric(lineNo, userId, lineItems);
        }

        return rows.Build(state, name, format);
    }

    /// <summary>The rows of a sequence-per-line file as they are read: users and items interned in order of first
    /// appearance, each user's dense items (1-based) and the line each user came from (for the repeated-user error).</summary>
    private sealed class SequenceRows
    {
        private readonly List<long> _firstLine = new();
        private readonly List<int> _offsets = new() { 0 };
        private readonly List<int> _data = new(1 << 20);

        public IdColumnBuilder Users { get; } = new();

        public IdColumnBuilder Items { get; } = new(1 << 16);

        public long FirstLine(int user) => _firstLine[user];

        /// <summary>Appends an item of the current row, given its 0-based interned index.</summary>
        public void AddItem(int interned) => _data.Add(interned + 1);

        /// <summary>Closes the current row (its user already interned).</summary>
        public void EndRow(long lineNo)
        {
            _firstLine.Add(lineNo);
            _offsets.Add(_data.Count);
        }

        /// <summary>Whether a numeric user already had a row; if so the line is refused through <paramref name="state"/>.</summary>
        public bool IsRepeated(ParseState state, long lineNo, ReadOnlySpan<byte> line, long userId)
        {
            if (!Users.TryGet(userId, out var seen)) return false;
            state.Fail(lineNo, line, $"each user on one line: user {userId} already appeared on line {_firstLine[seen]}");
            return true;
        }

        /// <summary>A whole numeric row of a user not seen before.</summary>
        public void AddNumeric(long lineNo, long userId, List<long> items)
        {
            foreach (var itemId in items) AddItem(Items.Intern(itemId));
            Users.Intern(userId);
            EndRow(lineNo);
        }

        public SequenceDataset Build(ParseState state, string name, UserSequenceReader format)
        {
            if (_data.Count == 0)
                throw new DataFormatException(state.Source, 0, string.Empty, state.SkippedByReader > 0 ? format.NothingKeptMessage : "the file holds no interactions");
            return new SequenceDataset(name, _offsets.ToArray(), _data.ToArray(), Users.ToMap(firstIndex: 0), Items.ToMap(firstIndex: 1));
        }
    }

    private static SequenceDataset ReadInteractions(ByteLineReader lines, ParseState state, string name, InteractionLogReader format)
    {
        using var table = new InteractionTableBuilder();
        while (lines.TryReadLine(out var line))
        {
            if (line.IsEmpty) continue;
            state.Lines++;
            var result = format.Parse(line, out var interaction);
            if (result.Status != LineStatus.Kept)
            {
                if (result.Status == LineStatus.Skipped)
                {
                    state.SkippedByReader++;
                }
                else if (state.Lines == 1 && !state.HeaderSkipped && format.IsHeader(line))
                {
                    // Only the first non-empty line may be a header: a name line further down is data gone wrong.
                    state.HeaderSkipped = true;
                    state.Lines--;
                }
                else
                {
                    state.Fail(lines.LineNumber, line, result.Expected!);
                }

                continue;
            }

            int user, item;
            if (interaction.UserField is null && interaction.ItemField is null)
            {
                // The numeric fast path: no text to look at.
                user = table.Users.Intern(interaction.User);
                item = table.Items.Intern(interaction.Item);
            }
            else
            {
                if (TextIdProblem(line, interaction.UserField, "user", format) is { } userProblem)
                {
                    state.Fail(lines.LineNumber, line, userProblem);
                    continue;
                }

                if (TextIdProblem(line, interaction.ItemField, "item", format) is { } itemProblem)
                {
                    state.Fail(lines.LineNumber, line, itemProblem);
                    continue;
                }

                user = interaction.UserField is { } u ? table.Users.Intern(line[u]) : table.Users.Intern(interaction.User);
                item = interaction.ItemField is { } i ? table.Items.Intern(line[i]) : table.Items.Intern(interaction.Item);
            }

            table.Add(user, item, interaction.Timestamp);
        }

        if (table.Count == 0)
            throw new DataFormatException(state.Source, 0, string.Empty, state.SkippedByReader > 0
                ? format.NothingKeptMessage
                : state.HeaderSkipped ? "the file holds no interactions, only a header line" : "the file holds no interactions");
        if (table.Count > int.MaxValue)
            throw new DataFormatException(state.Source, 0, string.Empty, $"at most {int.MaxValue} interactions are supported; found {table.Count}");
        return table.Build(name);
    }

    /// <summary>What is wrong with an id field a reader pointed at, or null (also when the reader gave a number).</summary>
    private static string? TextIdProblem(ReadOnlySpan<byte> line, Range? field, string role, InteractionReader format)
    {
        if (field is not { } range) return null;
        var (offset, length) = range.GetOffsetAndLength(line.Length);   // a reader's bad range throws here, naming no line
        var text = line.Slice(offset, length);
        if (OriginalIdText.TryParseNumber(text, out _)) return null;
        return OriginalIdText.Problem(text) is { } problem ? $"expected a {role} id in '{format.Layout}': {problem}" : null;
    }
}
