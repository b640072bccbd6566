namespace Re4.Recommenders.Hosting;

/// <summary>What a history item the served model does not know (unseen in training, or removed by the data filter) does
/// to a request.</summary>
public enum UnknownItemPolicy
{
    /// <summary>The request fails with an <see cref="UnknownItemsException"/> that lists every unknown item.</summary>
    Reject,

    /// <summary>The unknown items are dropped from the history and listed in
    /// <see cref="Recommendation.SkippedItems"/>; a history left empty gets the popular-items fallback.</summary>
    Skip,
}
