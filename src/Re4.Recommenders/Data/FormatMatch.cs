namespace Re4.Recommenders.Data;

/// <summary>How well a line fits a format, as <see cref="InteractionReader.Detect"/> says. Auto-detection takes, for
/// each line, the reader with the best answer (in this enum's order, best last), the first registered on ties.</summary>
public enum FormatMatch
{
    /// <summary>The line is not of this format.</summary>
    None = 0,

    /// <summary>The line is of this format's family but has the wrong shape (e.g. a CSV line with a wrong field count):
    /// when no format fits, the error lists the near misses' <see cref="InteractionReader.DetectionHint"/>.</summary>
    NearMiss,

    /// <summary>Any line fits, for want of a better format (one sequence per line takes what no other format claims).</summary>
    Fallback,

    /// <summary>The line is this format's header: skipped by detection when it is the first line, a match otherwise.</summary>
    Header,

    /// <summary>The line is of this format.</summary>
    Match,
}
