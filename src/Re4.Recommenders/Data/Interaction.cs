namespace Re4.Recommenders.Data;

/// <summary>One line of an interaction log, in the file's own ids: a user consumed an item at a time.</summary>
/// <param name="User">The original user id (non-negative).</param>
/// <param name="Item">The original item id (non-negative).</param>
/// <param name="Timestamp">The time, in any integer unit; only its order matters.</param>
public readonly record struct Interaction(long User, long Item, long Timestamp);
