using System.Globalization;

namespace Re4.Recommenders.Data;

/// <summary>How rare items and short users are removed before training.</summary>
public enum DatasetFilterKind
{
    /// <summary>Keep everything.</summary>
    None,

    /// <summary>ComiRec's preprocessing: one pass dropping items with fewer than <see cref="DatasetFilter.MinItemInteractions"/>
    /// interactions, then users with fewer than <see cref="DatasetFilter.MinUserInteractions"/> remaining items.</summary>
    ComiRec,

    /// <summary>Iterative k-core: repeat both removals until every item and every user has at least k interactions.</summary>
    KCore,
}

/// <summary>A filter of rare items and short users. Create it with <see cref="None"/>, <see cref="ComiRec"/>,
/// <see cref="KCore"/> or <see cref="Parse"/>.</summary>
public sealed record DatasetFilter
{
    private DatasetFilter(DatasetFilterKind kind, int minItem, int minUser)
    {
        Kind = kind;
        MinItemInteractions = minItem;
        MinUserInteractions = minUser;
    }

    /// <summary>The kind of filter.</summary>
    public DatasetFilterKind Kind { get; }

    /// <summary>Minimum interactions an item needs to stay.</summary>
    public int MinItemInteractions { get; }

    /// <summary>Minimum interactions a user needs to stay.</summary>
    public int MinUserInteractions { get; }

    /// <summary>No filtering.</summary>
    public static DatasetFilter None { get; } = new(DatasetFilterKind.None, 0, 0);

    /// <summary>ComiRec's one-pass filter (default 5 and 5).</summary>
    public static DatasetFilter ComiRec(int minItemInteractions = 5, int minUserInteractions = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minItemInteractions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minUserInteractions);
        return new(DatasetFilterKind.ComiRec, minItemInteractions, minUserInteractions);
    }

    /// <summary>Iterative k-core.</summary>
    public static DatasetFilter KCore(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        return new(DatasetFilterKind.KCore, k, k);
    }

    /// <summary>Parses <c>none</c>, <c>comirec</c>, <c>comirec:I,U</c> (item and user minimums) or <c>kcore:N</c>
    /// (the CLI's <c>--filter</c> values); the inverse of <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The text is none of these.</exception>
    public static DatasetFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "none") return None;
        if (t == "comirec") return ComiRec();
        if (t.StartsWith("comirec:", StringComparison.Ordinal))
        {
            var parts = t[8..].Split(',');
            if (parts.Length == 2 &&
                int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var minItem) && minItem > 0 &&
                int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minUser) && minUser > 0)
                return ComiRec(minItem, minUser);
        }

        if (t.StartsWith("kcore:", StringComparison.Ordinal) &&
            int.TryParse(t.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 0)
            return KCore(k);
        throw new FormatException($"Unknown filter '{text}': expected none, comirec, comirec:I,U or kcore:N with positive integers.");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DatasetFilterKind.None => "none",
        DatasetFilterKind.ComiRec => MinItemInteractions == 5 && MinUserInteractions == 5 ? "comirec" : $"comirec:{MinItemInteractions},{MinUserInteractions}",
        _ => $"kcore:{MinItemInteractions}",
    };
}
