namespace Re4.Recommenders.USearch;

/// <summary>How <see cref="USearchCandidateScorer"/> builds and searches its HNSW graph. Larger values find more of the
/// exact top N (recall) at the cost of build time, memory (<see cref="Connectivity"/>) or query time
/// (<see cref="ExpansionSearch"/>); docs/scaling.md has the measured trade-off.</summary>
public sealed record USearchScorerOptions
{
    /// <summary>The default <see cref="Connectivity"/>.</summary>
    public const int DefaultConnectivity = 32;

    /// <summary>The default <see cref="ExpansionAdd"/>.</summary>
    public const int DefaultExpansionAdd = 128;

    /// <summary>The default <see cref="ExpansionSearch"/>.</summary>
    public const int DefaultExpansionSearch = 256;

    /// <summary>M: links per node of the graph's upper levels (twice as many on the base level). Default 32.</summary>
    public int Connectivity { get; init; } = DefaultConnectivity;

    /// <summary>ef_construction: candidates kept while linking a new item. Default 128. Recorded in the index file, so
    /// an index built with another value is rebuilt rather than loaded.</summary>
    public int ExpansionAdd { get; init; } = DefaultExpansionAdd;

    /// <summary>ef_search: candidates kept per interest query. Each interest fetches max(top N, this) candidates before
    /// the merge by max. Default 256. Only affects queries, so an index is loaded whatever this is.</summary>
    public int ExpansionSearch { get; init; } = DefaultExpansionSearch;

    /// <summary>Threads that build the graph and search it at once (default: the processor count). Concurrent
    /// <see cref="USearchCandidateScorer.Retrieve"/> calls share this many native search contexts.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Checks every option; the message names the option and its value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        // USearch stores neighbour counts in 16 bits and needs at least two links per node.
        if (Connectivity is < 2 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(Connectivity), Connectivity, $"{nameof(Connectivity)} must be in 2..1024; it is {Connectivity}.");
        if (ExpansionAdd is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(ExpansionAdd), ExpansionAdd, $"{nameof(ExpansionAdd)} must be in 1..1000000; it is {ExpansionAdd}.");
        if (ExpansionSearch is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(ExpansionSearch), ExpansionSearch, $"{nameof(ExpansionSearch)} must be in 1..1000000; it is {ExpansionSearch}.");
        if (Threads is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"{nameof(Threads)} must be in 1..4096; it is {Threads}.");
    }
}
