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

    /// <summary>Whether the loader reads lines through <see cref="ParseFields"/>, so that ids may be text as well as
    /// numbers. The default, false: it calls <see cref="ParseUser"/> and <see cref="ParseItems"/> (numeric ids).</summary>
    public virtual bool ReadsIdFields => false;

    /// <summary>Splits a trimmed, non-empty line into its id fields, when <see cref="ReadsIdFields"/> is true. The loader
    /// reads each field as a number when it is the decimal form of a 64-bit integer, as a text id otherwise (see
    /// <see cref="IdMap"/>), checks it (not empty, no control characters, at most 256 UTF-8 bytes) and interns it from
    /// the line's bytes.</summary>
    /// <param name="line">The line as UTF-8 bytes (valid only during the call).</param>
    /// <param name="user">Where the user id lies in <paramref name="line"/>.</param>
    /// <param name="items">Where each item id lies in <paramref name="line"/>, oldest first: append to it.</param>
    /// <exception cref="NotSupportedException">The reader does not split lines into fields (the default).</exception>
    public virtual LineResult ParseFields(ReadOnlySpan<byte> line, out Range user, List<Range> items) =>
        throw new NotSupportedException($"{GetType().Name} reads numeric ids through {nameof(ParseUser)} and {nameof(ParseItems)}; it does not override {nameof(ParseFields)}.");
}
