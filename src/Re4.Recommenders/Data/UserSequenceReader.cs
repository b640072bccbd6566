namespace Re4.Recommenders.Data;

/// <summary>A format whose every line is one user's whole behaviour sequence, already in time order (the Amazon files
/// of the sequential-recommendation literature). A user on two lines is an error; items are numbered by first
/// appearance.</summary>
/// <remarks>A line is read in two steps, so that a repeated user is reported as such before its items are parsed:
/// <see cref="ParseUser"/>, then <see cref="InteractionFileReader"/> checks that items follow and that the user is
/// new, then <see cref="ParseItems"/>.</remarks>
public abstract class UserSequenceReader : InteractionReader
{
    /// <summary>Reads the user id at the start of a trimmed, non-empty line.</summary>
    /// <param name="line">The line as UTF-8 bytes (valid only during the call).</param>
    /// <param name="user">The original user id.</param>
    /// <param name="items">The rest of the line, holding the items (empty when there are none).</param>
    public abstract LineResult ParseUser(ReadOnlySpan<byte> line, out long user, out ReadOnlySpan<byte> items);

    /// <summary>Reads the items that <see cref="ParseUser"/> left, oldest first, appending their original ids to
    /// <paramref name="itemIds"/>. On a malformed result the loader discards what was appended.</summary>
    public abstract LineResult ParseItems(ReadOnlySpan<byte> items, List<long> itemIds);
}
