namespace Re4.Recommenders.Data.Formats;

/// <summary>Taobao's <c>UserBehavior.csv</c>: <c>user,item,category,behavior,timestamp</c>. Only the behaviours given
/// at construction are kept (default <c>pv</c>, page views, as ComiRec does); the other lines are counted in
/// <see cref="LoadReport.SkippedByReader"/>.</summary>
public sealed class TaobaoCsvReader : DelimitedLogReader
{
    /// <summary>The behaviours a Taobao line may carry.</summary>
    public static IReadOnlyList<string> KnownBehaviors { get; } = ["pv", "buy", "cart", "fav"];

    private readonly byte[][] _kept;

    /// <summary>Creates the reader.</summary>
    /// <param name="behaviors">The behaviours to keep, each one of <see cref="KnownBehaviors"/>; default <c>pv</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="behaviors"/> is empty or names an unknown behaviour.</exception>
    public TaobaoCsvReader(IEnumerable<string>? behaviors = null)
        : base("taobao", ",", "user,item,category,behavior,timestamp", 5)
    {
        var kept = (behaviors ?? ["pv"]).ToArray();
        if (kept.Length == 0) throw new ArgumentException("Keep at least one behavior.", nameof(behaviors));
        foreach (var b in kept)
        {
            if (!KnownBehaviors.Contains(b))
                throw new ArgumentException($"Unknown behavior '{b}': expected one of {string.Join(", ", KnownBehaviors)}.", nameof(behaviors));
        }

        Behaviors = kept;
        _kept = kept.Select(b => System.Text.Encoding.ASCII.GetBytes(b)).ToArray();
    }

    /// <summary>The behaviours kept.</summary>
    public IReadOnlyList<string> Behaviors { get; }

    /// <inheritdoc/>
    public override string DetectionHint => "5 comma-separated fields (user,item,category,behavior,timestamp)";

    /// <inheritdoc/>
    public override string NothingKeptMessage => $"the file holds no interactions with behavior {string.Join('/', Behaviors)}";

    /// <inheritdoc/>
    public override FormatMatch Detect(ReadOnlySpan<byte> line) => DelimitedFields.DetectCommaSeparated(line, FieldCount);

    /// <inheritdoc/>
    protected override LineResult CheckOtherFields(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields)
    {
        if (!TryParseId(line[fields[2]], out _))
            return LineResult.Malformed(IdError(line[fields[2]], $"category id in field 3 of '{Layout}'"));
        var behavior = line[fields[3]];
        if (!IsKnown(behavior))
            return LineResult.Malformed($"expected a behavior of pv, buy, cart or fav in field 4 of '{Layout}'");
        foreach (var kept in _kept)
        {
            if (behavior.SequenceEqual(kept)) return LineResult.Kept;
        }

        return LineResult.Skipped;
    }

    private static bool IsKnown(ReadOnlySpan<byte> b) =>
        b.SequenceEqual("pv"u8) || b.SequenceEqual("buy"u8) || b.SequenceEqual("cart"u8) || b.SequenceEqual("fav"u8);
}
