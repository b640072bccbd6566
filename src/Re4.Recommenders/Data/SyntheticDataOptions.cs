namespace Re4.Recommenders.Data;

/// <summary>Options of <see cref="PlantedInterestGenerator"/>. Defaults make a small data set (5,000 users, 2,000 items,
/// 20 topics) that trains in a minute on two cores.</summary>
public sealed class SyntheticDataOptions
{
    /// <summary>Number of users (default 5,000).</summary>
    public int Users { get; set; } = 5_000;

    /// <summary>Catalogue size N (default 2,000). Up to hundreds of millions: memory is O(users·length), not O(N²).</summary>
    public int Items { get; set; } = 2_000;

    /// <summary>Latent topics the catalogue is divided into (default 20). Item i (1-based) belongs to topic (i − 1) mod T.</summary>
    public int Topics { get; set; } = 20;

    /// <summary>Fewest topics a user is interested in (default 2).</summary>
    public int MinTopicsPerUser { get; set; } = 2;

    /// <summary>Most topics a user is interested in (default 4).</summary>
    public int MaxTopicsPerUser { get; set; } = 4;

    /// <summary>Shortest sequence (default 10).</summary>
    public int MinLength { get; set; } = 10;

    /// <summary>Longest sequence (default 40).</summary>
    public int MaxLength { get; set; } = 40;

    /// <summary>Probability that an interaction ignores the user's topics and picks a uniform random item (default 0.05).</summary>
    public double Noise { get; set; } = 0.05;

    /// <summary>Probability that the next interaction stays in the previous one's topic (default 0.5), so sequences have
    /// runs of one interest, as real sessions do.</summary>
    public double Stickiness { get; set; } = 0.5;

    /// <summary>Within a topic, the probability of drawing an item by popularity (≈ 1/rank) instead of uniformly (default 0.7).</summary>
    public double PopularitySkew { get; set; } = 0.7;

    /// <summary>Random seed (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>The shape of ComiRec's Taobao data set (about 1 M users, 1.7 M items, 85 M interactions): 1,000,000
    /// users with 20 to 150 interactions each (85 on average), 1,700,000 items in 1,000 planted topics, 2 to 6 topics per
    /// user. Meant for <see cref="SyntheticLogWriter"/>, which streams it to a file; in memory
    /// (<see cref="PlantedInterestGenerator.Generate"/>) it holds 4 bytes per interaction.</summary>
    public static SyntheticDataOptions TaobaoShape() => new()
    {
        Users = 1_000_000,
        Items = 1_700_000,
        Topics = 1_000,
        MinTopicsPerUser = 2,
        MaxTopicsPerUser = 6,
        MinLength = 20,
        MaxLength = 150,
    };

    internal void Validate()
    {
        OptionChecks.Positive(Users, nameof(Users));
        OptionChecks.Positive(Items, nameof(Items));
        OptionChecks.Positive(Topics, nameof(Topics));
        if (Topics > Items) throw new ArgumentOutOfRangeException(nameof(Topics), Topics, $"Topics ({Topics}) cannot exceed Items ({Items}).");
        OptionChecks.Positive(MinTopicsPerUser, nameof(MinTopicsPerUser));
        if (MaxTopicsPerUser < MinTopicsPerUser || MaxTopicsPerUser > Topics)
            throw new ArgumentOutOfRangeException(nameof(MaxTopicsPerUser), MaxTopicsPerUser, $"Must be in [MinTopicsPerUser, Topics] = [{MinTopicsPerUser}, {Topics}].");
        if (MinLength < 2) throw new ArgumentOutOfRangeException(nameof(MinLength), MinLength, "Must be at least 2.");
        if (MaxLength < MinLength) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, $"Must be at least MinLength ({MinLength}).");
        OptionChecks.Probability(Noise, nameof(Noise));
        OptionChecks.Probability(Stickiness, nameof(Stickiness));
        OptionChecks.Probability(PopularitySkew, nameof(PopularitySkew));
        if ((long)Users * MaxLength > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Users), Users, "Users × MaxLength must stay below 2^31 interactions.");
    }
}
