namespace Re4.Recommenders.Scoring;

/// <summary>Each user's top-N: items in rank order, their scores and the interest (0..K−1) that scored each highest.
/// Row-major <c>[B, N]</c>. Unfilled slots (gallery smaller than N after exclusion) hold item 0, score −∞, interest −1.</summary>
public sealed class CandidateResult
{
    /// <summary>Creates a result over the given arrays (taken, not copied).</summary>
    public CandidateResult(int userCount, int topN, int[] items, float[] scores, int[] interests)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(interests);
        ArgumentOutOfRangeException.ThrowIfNegative(userCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topN);
        var n = (long)userCount * topN;
        if (items.Length != n || scores.Length != n || interests.Length != n)
            throw new ArgumentException($"Arrays must hold B·N = {n} entries.");
        UserCount = userCount;
        TopN = topN;
        Items = items;
        Scores = scores;
        Interests = interests;
    }

    /// <summary>B.</summary>
    public int UserCount { get; }

    /// <summary>N.</summary>
    public int TopN { get; }

    /// <summary>Item ids, <c>[B, N]</c>.</summary>
    public int[] Items { get; }

    /// <summary>Scores, <c>[B, N]</c>.</summary>
    public float[] Scores { get; }

    /// <summary>Winning interest per slot, <c>[B, N]</c>.</summary>
    public int[] Interests { get; }

    /// <summary>User <paramref name="b"/>'s items.</summary>
    public ReadOnlySpan<int> ItemsOf(int b) => Items.AsSpan(b * TopN, TopN);
}
