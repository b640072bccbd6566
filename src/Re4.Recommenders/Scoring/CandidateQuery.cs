using Re4.Recommenders.Data;

namespace Re4.Recommenders.Scoring;

/// <summary>The users' interest vectors, row-major <c>[B, K, d]</c>, and optionally items to exclude per user.</summary>
public sealed class CandidateQuery
{
    /// <summary>Creates a query.</summary>
    /// <param name="interests">Row-major <c>[B, K, d]</c> floats.</param>
    /// <param name="userCount">B.</param>
    /// <param name="interestCount">K.</param>
    /// <param name="exclude">Per user, items never to retrieve (e.g. its history); null for none.</param>
    public CandidateQuery(ReadOnlyMemory<float> interests, int userCount, int interestCount, HistoryBatch? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(userCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interestCount);
        if (interests.Length % (userCount * interestCount) != 0 || interests.Length == 0)
            throw new ArgumentException($"interests has {interests.Length} floats, not a multiple of B·K = {userCount * interestCount}.", nameof(interests));
        if (exclude is { } e && e.Count != userCount)
            throw new ArgumentException($"exclude has {e.Count} rows; expected one per user ({userCount}).", nameof(exclude));
        Interests = interests;
        UserCount = userCount;
        InterestCount = interestCount;
        Exclude = exclude;
    }

    /// <summary>Row-major <c>[B, K, d]</c>.</summary>
    public ReadOnlyMemory<float> Interests { get; }

    /// <summary>B.</summary>
    public int UserCount { get; }

    /// <summary>K.</summary>
    public int InterestCount { get; }

    /// <summary>d, derived from the buffer size.</summary>
    public int Dimension => Interests.Length / (UserCount * InterestCount);

    /// <summary>Items never to retrieve, per user.</summary>
    public HistoryBatch? Exclude { get; }
}
