namespace Re4.Recommenders.Data.Formats;

/// <summary>The rating field both MovieLens layouts carry in field 3: any number (10M has half stars), then unused.</summary>
internal static class MovieLensRating
{
    public static LineResult Check(ReadOnlySpan<byte> rating, string layout) =>
        System.Buffers.Text.Utf8Parser.TryParse(rating, out double _, out var consumed) && consumed == rating.Length
            ? LineResult.Kept
            : LineResult.Malformed($"expected a numeric rating in field 3 of '{layout}'");
}
