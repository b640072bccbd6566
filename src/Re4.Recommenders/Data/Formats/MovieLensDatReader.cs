namespace Re4.Recommenders.Data.Formats;

/// <summary>MovieLens 1M/10M <c>ratings.dat</c>: <c>user::item::rating::timestamp</c>; every rating is an interaction.</summary>
public sealed class MovieLensDatReader() : DelimitedLogReader("movielens-dat", "::", "user::item::rating::timestamp", 4)
{
    /// <summary>False: MovieLens defines integer user and item ids, so any other id is a malformed line.</summary>
    public override bool AcceptsTextIds => false;

    /// <inheritdoc/>
    public override FormatMatch Detect(ReadOnlySpan<byte> line) => line.IndexOf("::"u8) >= 0 ? FormatMatch.Match : FormatMatch.None;

    /// <inheritdoc/>
    protected override LineResult CheckOtherFields(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields) =>
        MovieLensRating.Check(line[fields[2]], Layout);
}
