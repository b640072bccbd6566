namespace Re4.Recommenders.Data;

/// <summary>A format whose every line is one interaction (user, item, timestamp), in any order: ComiRec's CSV,
/// MovieLens, Taobao. <see cref="InteractionFileReader"/> groups the interactions by user (users and items numbered by
/// first appearance) and sorts each user's stably by timestamp, so ties keep file order.</summary>
public abstract class InteractionLogReader : InteractionReader
{
    /// <summary>Parses one trimmed, non-empty line.</summary>
    /// <param name="line">The line as UTF-8 bytes (valid only during the call).</param>
    /// <param name="interaction">The interaction read, when the result is <see cref="LineResult.Kept"/>.</param>
    /// <returns><see cref="LineResult.Kept"/>, <see cref="LineResult.Skipped"/> (left out on purpose), or
    /// <see cref="LineResult.Malformed"/> with what was expected.</returns>
    public abstract LineResult Parse(ReadOnlySpan<byte> line, out Interaction interaction);
}
