namespace Re4.Recommenders.Data.Formats;

/// <summary>MovieLens 100K <c>u.data</c>: <c>user&lt;TAB&gt;item&lt;TAB&gt;rating&lt;TAB&gt;timestamp</c>; every rating
/// is an interaction. The file has no header, and none is skipped.</summary>
public sealed class MovieLensTsvReader() : DelimitedLogReader("movielens-tsv", "\t", "user<TAB>item<TAB>rating<TAB>timestamp", 4)
{
    /// <summary>False: MovieLens defines integer user and item ids, so any other id is a malformed line.</summary>
    public override bool AcceptsTextIds => false;

    /// <inheritdoc/>
    public override FormatMatch Detect(ReadOnlySpan<byte> line) =>
        line.IndexOf("::"u8) < 0 && !line.Contains((byte)',') && line.Count((byte)'\t') == 3 ? FormatMatch.Match : FormatMatch.None;

    /// <inheritdoc/>
    public override bool IsHeader(ReadOnlySpan<byte> line) => false;

    /// <inheritdoc/>
    protected override LineResult CheckOtherFields(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields) =>
        MovieLensRating.Check(line[fields[2]], Layout);
}
