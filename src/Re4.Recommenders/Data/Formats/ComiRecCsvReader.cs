namespace Re4.Recommenders.Data.Formats;

/// <summary>ComiRec's interaction CSV: <c>user_id,item_id,timestamp</c>, with or without a header line.</summary>
public sealed class ComiRecCsvReader() : DelimitedLogReader("comirec-csv", ",", "user_id,item_id,timestamp", 3)
{
    /// <inheritdoc/>
    public override string DetectionHint => "3 comma-separated fields (user,item,timestamp)";

    /// <inheritdoc/>
    public override FormatMatch Detect(ReadOnlySpan<byte> line) => DelimitedFields.DetectCommaSeparated(line, FieldCount);
}
