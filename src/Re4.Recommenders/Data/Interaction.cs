namespace Re4.Recommenders.Data;

/// <summary>One line of an interaction log, in the file's own ids: a user consumed an item at a time. A reader gives
/// numeric ids directly (<see cref="Interaction(long, long, long)"/>), or says where in the line each id's text lies
/// (<see cref="FromFields"/>), and the loader reads that text as a number when it is one, as a text id otherwise
/// (see <see cref="IdMap"/>), interning it from the line's bytes.</summary>
/// <param name="User">The original user id, when <see cref="UserField"/> is null.</param>
/// <param name="Item">The original item id, when <see cref="ItemField"/> is null.</param>
/// <param name="Timestamp">The time, in any integer unit; only its order matters.</param>
public readonly record struct Interaction(long User, long Item, long Timestamp)
{
    /// <summary>Where the user id's text lies in the line; null when <see cref="User"/> holds the id.</summary>
    public Range? UserField { get; init; }

    /// <summary>Where the item id's text lies in the line; null when <see cref="Item"/> holds the id.</summary>
    public Range? ItemField { get; init; }

    /// <summary>An interaction whose ids are fields of the line (numbers or text, decided by the loader).</summary>
    /// <param name="user">The user id's field in the line.</param>
    /// <param name="item">The item id's field in the line.</param>
    /// <param name="timestamp">The time.</param>
    public static Interaction FromFields(Range user, Range item, long timestamp) =>
        new(0, 0, timestamp) { UserField = user, ItemField = item };
}
