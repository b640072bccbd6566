using System.Diagnostics;
using System.Globalization;
using Re4.Recommenders.Data;
using static Re4.Recommenders.Tests.Data.DataTestHelpers;

namespace Re4.Recommenders.Tests.Data;

public sealed class PlantedInterestGeneratorTests
{
    private static SyntheticDataOptions Small(int seed = 42, double noise = 0.05) => new()
    {
        Users = 300,
        Items = 500,
        Topics = 10,
        MinTopicsPerUser = 2,
        MaxTopicsPerUser = 3,
        MinLength = 5,
        MaxLength = 25,
        Noise = noise,
        Seed = seed,
    };

    private static int[] All(SequenceDataset ds) =>
        Enumerable.Range(0, ds.UserCount).SelectMany(u => ds.Sequence(u).ToArray()).ToArray();

    [Fact]
    public void Generate_IsDeterministicForASeed_AndDiffersForAnother()
    {
        var a = PlantedInterestGenerator.Generate(Small(seed: 1));
        var b = PlantedInterestGenerator.Generate(Small(seed: 1));
        var c = PlantedInterestGenerator.Generate(Small(seed: 2));

        All(a).Should().Equal(All(b));
        Enumerable.Range(1, a.ItemCount).Select(a.OriginalItemId).Should().Equal(Enumerable.Range(1, b.ItemCount).Select(b.OriginalItemId));
        Originals(a, 0).Concat(Originals(a, 1)).Should().NotEqual(Originals(c, 0).Concat(Originals(c, 1)));
    }

    [Fact]
    public void Generate_KeepsUsersLengthsAndItemIdsWithinTheOptions()
    {
        var o = Small();

        var ds = PlantedInterestGenerator.Generate(o);

        ds.UserCount.Should().Be(300);
        UserIds(ds).Should().Equal(Enumerable.Range(1, 300).Select(u => (long)u));
        Enumerable.Range(0, ds.UserCount).Select(ds.Length).Should().OnlyContain(n => n >= 5 && n <= 25);
        Enumerable.Range(1, ds.ItemCount).Select(ds.OriginalItemId).Should().OnlyContain(id => id >= 1 && id <= 500).And.OnlyHaveUniqueItems();
        ds.ItemFrequencies().Skip(1).Should().OnlyContain(c => c > 0, "dense ids only for items that occur");
    }

    [Fact]
    public void Generate_DrawsEachUsersItemsFromAtMostMaxTopicsPerUserTopics_WithoutNoise()
    {
        var ds = PlantedInterestGenerator.Generate(Small(noise: 0));

        for (var u = 0; u < ds.UserCount; u++)
        {
            var topics = Originals(ds, u).Select(id => PlantedInterestGenerator.TopicOf(id, 10)).Distinct().Count();
            topics.Should().BeInRange(1, 3, "user {0} has at most 3 planted topics", u);
        }
    }

    [Fact]
    public void Generate_DrawsMostItemsFromTheUsersTopTopics_WithDefaultNoise()
    {
        // Noise 0.05: about 95 % of interactions come from the user's ≤ 3 topics (a noise item may also land in one).
        var ds = PlantedInterestGenerator.Generate(Small());
        long inTop = 0;

        for (var u = 0; u < ds.UserCount; u++)
        {
            inTop += Originals(ds, u).GroupBy(id => PlantedInterestGenerator.TopicOf(id, 10))
                .Select(g => g.Count()).OrderDescending().Take(3).Sum();
        }

        ((double)inTop / ds.InteractionCount).Should().BeGreaterThan(0.9);
    }

    [Fact]
    public void TopicOf_IsThePlantedPartition()
    {
        // Item i (1-based) belongs to topic (i - 1) mod T.
        PlantedInterestGenerator.TopicOf(1, 20).Should().Be(0);
        PlantedInterestGenerator.TopicOf(20, 20).Should().Be(19);
        PlantedInterestGenerator.TopicOf(21, 20).Should().Be(0);
        PlantedInterestGenerator.TopicOf(1_700_000, 1000).Should().Be(999);
    }

    [Fact]
    public void Generate_IsQuickAndInRange_ForATaobaoSizedCatalogueWithFewUsers()
    {
        var o = new SyntheticDataOptions { Users = 200, Items = 1_700_000, Topics = 1_000, Seed = 3 };
        var watch = Stopwatch.StartNew();

        var ds = PlantedInterestGenerator.Generate(o);

        watch.Stop();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        ds.UserCount.Should().Be(200);
        var originals = Enumerable.Range(1, ds.ItemCount).Select(ds.OriginalItemId).ToArray();
        originals.Should().OnlyContain(id => id >= 1 && id <= 1_700_000);
        originals.Max().Should().BeGreaterThan(1_000_000, "uniform draws within a topic reach the whole catalogue");
        ds.ItemCount.Should().BeLessThanOrEqualTo((int)ds.InteractionCount, "only items that occur get dense ids");
    }

    [Theory]
    [InlineData("Users", "0")]
    [InlineData("Items", "-1")]
    [InlineData("Topics", "0")]
    [InlineData("Topics", "501")]              // more topics than the 500 items
    [InlineData("MinTopicsPerUser", "0")]
    [InlineData("MaxTopicsPerUser", "1")]      // below MinTopicsPerUser = 2
    [InlineData("MaxTopicsPerUser", "11")]     // above Topics = 10
    [InlineData("MinLength", "1")]
    [InlineData("MaxLength", "4")]             // below MinLength = 5
    [InlineData("Noise", "1.5")]
    [InlineData("Noise", "NaN")]
    [InlineData("Stickiness", "-0.1")]
    [InlineData("PopularitySkew", "2")]
    public void Generate_ThrowsForInvalidOptions_NamingTheOption(string option, string value)
    {
        var o = Small();
        var property = typeof(SyntheticDataOptions).GetProperty(option)!;
        property.SetValue(o, Convert.ChangeType(double.Parse(value, CultureInfo.InvariantCulture), property.PropertyType, CultureInfo.InvariantCulture));

        var act = () => PlantedInterestGenerator.Generate(o);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(option);
    }

    [Fact]
    public void Generate_ThrowsForTooManyInteractions()
    {
        var o = new SyntheticDataOptions { Users = 100_000_000, MaxLength = 40 };

        var act = () => PlantedInterestGenerator.Generate(o);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Users");
    }

    [Fact]
    public void WriteSequences_RoundTripsThroughTheSequenceLoader()
    {
        using var dir = new TempDir();
        var ds = PlantedInterestGenerator.Generate(Small());
        var path = Path.Combine(dir.Path, "synthetic.txt");

        PlantedInterestGenerator.WriteSequences(ds, path);
        var back = InteractionFileReader.Load(path, null, out var report);

        report.Format.Should().Be("sequence");
        back.UserCount.Should().Be(ds.UserCount);
        back.ItemCount.Should().Be(ds.ItemCount);
        back.InteractionCount.Should().Be(ds.InteractionCount);
        UserIds(back).Should().Equal(UserIds(ds));
        for (var u = 0; u < ds.UserCount; u++) Originals(back, u).Should().Equal(Originals(ds, u));
        All(back).Should().Equal(All(ds), "both number items by first appearance");
        File.Exists(path + ".tmp").Should().BeFalse();
    }
}
