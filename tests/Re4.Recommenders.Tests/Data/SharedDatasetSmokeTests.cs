using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Data;

/// <summary>The real files in ../shared/datasets load with auto-detection and match the counts their README states.</summary>
public sealed class SharedDatasetSmokeTests
{
    [Theory]
    [InlineData("amazon-beauty/Beauty.txt", "sequence", 22_363, 12_101, 198_502)]
    [InlineData("amazon-sports/Sports_and_Outdoors.txt", "sequence", 35_598, 18_357, 296_337)]
    // The README says 99,998 interactions, but u.data holds 99,999 rating lines: 99,998 newlines (what `wc -l` counts)
    // and a last line without one. `awk 'END{print NR}'` and a count of distinct users/items (943, 1,682) agree with
    // the loader, so the README's figure is off by one; the test asserts what the file holds.
    [InlineData("movielens-100k/u.data", "movielens-tsv", 943, 1_682, 99_999)]
    public void Load_ReadsEachSharedDatasetWithTheDocumentedCounts(string file, string format, int users, int items, long interactions)
    {
        var path = TestPaths.Dataset(file);

        var ds = InteractionFileReader.Load(path, null, out var report);

        report.Format.Should().Be(format);
        report.SkippedMalformed.Should().Be(0);
        ds.UserCount.Should().Be(users);
        ds.ItemCount.Should().Be(items);
        ds.InteractionCount.Should().Be(interactions);
        report.Interactions.Should().Be(interactions);
        ds.ItemFrequencies().Skip(1).Should().OnlyContain(c => c > 0);
    }
}
