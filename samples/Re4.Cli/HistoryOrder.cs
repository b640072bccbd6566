namespace Re4.Cli;

/// <summary>The values of <c>--history-order</c> (<see cref="Recommenders.Models.ModelConfig.ReverseHistory"/>).</summary>
internal enum HistoryOrder
{
    /// <summary>Most recent item first (the Re4 reference code's order; the default since 0.3).</summary>
    MostRecentFirst,

    /// <summary>Oldest item first (ComiRec's order; the default before 0.3).</summary>
    OldestFirst,
}
