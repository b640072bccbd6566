namespace Re4.Recommenders.Data;

/// <summary>What became of a parsed line (see <see cref="LineResult"/>).</summary>
public enum LineStatus
{
    /// <summary>The line was read.</summary>
    Kept = 0,

    /// <summary>The line is well formed but left out on purpose (Taobao: a behaviour not kept); counted in
    /// <see cref="LoadReport.SkippedByReader"/>.</summary>
    Skipped,

    /// <summary>The line does not match the format: an error, or a skipped line in lenient mode.</summary>
    Malformed,
}
