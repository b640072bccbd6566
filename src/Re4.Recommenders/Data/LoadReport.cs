namespace Re4.Recommenders.Data;

/// <summary>What a load did: lines read, interactions kept, and what was skipped.</summary>
/// <param name="Format">The name of the format read (after auto-detection), e.g. <c>comirec-csv</c>.</param>
/// <param name="Lines">Non-empty lines read, a skipped header excepted.</param>
/// <param name="Interactions">Interactions kept.</param>
/// <param name="SkippedMalformed">Malformed lines skipped (lenient mode only).</param>
/// <param name="SkippedByReader">Well-formed lines the reader left out on purpose (Taobao: behaviours not kept).</param>
/// <param name="HeaderSkipped">Whether a header line was recognised and skipped.</param>
public sealed record LoadReport(string Format, long Lines, long Interactions, long SkippedMalformed, long SkippedByReader, bool HeaderSkipped);
