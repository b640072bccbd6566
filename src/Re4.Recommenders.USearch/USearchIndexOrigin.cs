namespace Re4.Recommenders.USearch;

/// <summary>Where a <see cref="USearchCandidateScorer"/>'s graph came from.</summary>
public enum USearchIndexOrigin
{
    /// <summary>Built from the item table in this process.</summary>
    Built,

    /// <summary>Read from an index file that matched the item table and the build options.</summary>
    Loaded,
}
