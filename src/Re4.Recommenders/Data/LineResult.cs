namespace Re4.Recommenders.Data;

/// <summary>The outcome of parsing one line: kept, skipped on purpose, or malformed with what was expected.
/// A value type, so that the success path allocates nothing.</summary>
public readonly struct LineResult
{
    private LineResult(LineStatus status, string? expected)
    {
        Status = status;
        Expected = expected;
    }

    /// <summary>The line was read.</summary>
    public static LineResult Kept => default;

    /// <summary>The line is well formed but left out on purpose.</summary>
    public static LineResult Skipped => new(LineStatus.Skipped, null);

    /// <summary>What became of the line.</summary>
    public LineStatus Status { get; }

    /// <summary>For a malformed line, what was expected instead (the error message's main part); otherwise null.</summary>
    public string? Expected { get; }

    /// <summary>The line does not match the format.</summary>
    /// <param name="expected">What was expected, e.g. "expected an integer timestamp in field 3 of 'user_id,item_id,timestamp'".</param>
    public static LineResult Malformed(string expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(expected);
        return new LineResult(LineStatus.Malformed, expected);
    }

    /// <inheritdoc/>
    public override string ToString() => Expected is null ? Status.ToString() : $"{Status}: {Expected}";
}
