using System.Globalization;
using System.Text;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Data;

/// <summary>Issue 14: the loader groups interactions by user in place (a cycle-following permutation over native
/// chunks, freed as they are read). Whatever the chunk size, the result must be what a naive loader gives: users and
/// items numbered by first appearance, each user's interactions sorted stably by time (ties in file order).</summary>
public sealed class InPlaceGroupingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The naive loader: dictionaries and lists, nothing clever.</summary>
    private static (long[] Users, long[] Items, long[][] Sequences) Naive(IReadOnlyList<(long User, long Item, long Time)> records)
    {
        var users = new List<long>();
        var items = new List<long>();
        var seenItems = new HashSet<long>();
        var rows = new Dictionary<long, List<(long Time, int Position, long Item)>>();
        for (var p = 0; p < records.Count; p++)
        {
            var (user, item, time) = records[p];
            if (!rows.TryGetValue(user, out var row))
            {
                rows[user] = row = new List<(long, int, long)>();
                users.Add(user);
            }

            if (seenItems.Add(item)) items.Add(item);
            row.Add((time, p, item));
        }

        var sequences = users.Select(u => rows[u].OrderBy(r => r.Time).ThenBy(r => r.Position).Select(r => r.Item).ToArray()).ToArray();
        return (users.ToArray(), items.ToArray(), sequences);
    }

    /// <summary>Random records with repeated (user, item) pairs, equal times and times out of order; with
    /// <paramref name="wide"/>, some times beyond 32 bits (the 8-byte time column).</summary>
    private static List<(long User, long Item, long Time)> RandomRecords(int seed, int count, bool wide = false)
    {
        var rng = new Random(seed);
        var users = rng.Next(1, 40);
        var records = new List<(long, long, long)>(count);
        for (var i = 0; i < count; i++)
        {
            var time = (long)rng.Next(25);
            if (wide && rng.Next(3) == 0) time += (long)rng.Next(-3, 4) << 40;
            records.Add((rng.Next(1, users + 1) * 7L, rng.Next(1, 60) * 11L, time));
        }

        return records;
    }

    private static void AssertSame((long[] Users, long[] Items, long[][] Sequences) expected, SequenceDataset actual)
    {
        Assert.Equal(expected.Users, DataTestHelpers.UserIds(actual));
        Assert.Equal(expected.Items, Enumerable.Range(1, actual.ItemCount).Select(actual.OriginalItemId).ToArray());
        Assert.Equal(expected.Sequences.Length, actual.UserCount);
        for (var u = 0; u < actual.UserCount; u++) Assert.Equal(expected.Sequences[u], DataTestHelpers.Originals(actual, u));
        Assert.Equal(expected.Sequences.Sum(s => (long)s.Length), actual.InteractionCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(20)]
    public void Build_GivesTheNaiveLoadersDataset_AcrossChunkBoundaries(int chunkBits)
    {
        for (var seed = 0; seed < 30; seed++)
        {
            foreach (var wide in new[] { false, true })
            {
                var records = RandomRecords(seed, 1 + (seed * 37 % 300), wide);
                using var table = new InteractionTableBuilder(chunkBits);
                foreach (var (user, item, time) in records) table.Add(table.Users.Intern(user), table.Items.Intern(item), time);
                AssertSame(Naive(records), table.Build("test"));
            }
        }
    }

    [Fact]
    public void Build_KeepsFileOrder_WhenEveryTimeIsEqual()
    {
        // One user, the same second throughout, interleaved with another: the grouped order is the file order.
        var records = new List<(long User, long Item, long Time)>();
        for (var i = 0; i < 50; i++) records.Add((i % 2 == 0 ? 1 : 2, 100 + i, 5));
        using var table = new InteractionTableBuilder(chunkBits: 2);
        foreach (var (user, item, time) in records) table.Add(table.Users.Intern(user), table.Items.Intern(item), time);
        var dataset = table.Build("ties");
        Assert.Equal(Enumerable.Range(0, 25).Select(i => 100L + 2 * i), DataTestHelpers.Originals(dataset, 0));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => 101L + 2 * i), DataTestHelpers.Originals(dataset, 1));
    }

    [Fact]
    public void Load_GivesTheNaiveLoadersDataset_ForRandomFiles()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var records = RandomRecords(100 + seed, 500, wide: seed % 4 == 3);
            var text = new StringBuilder("user_id,item_id,timestamp\n");
            foreach (var (user, item, time) in records) text.Append(CultureInfo.InvariantCulture, $"{user},{item},{time}\n");
            var path = _dir.File($"random-{seed}.csv", text.ToString());
            var dataset = InteractionFileReader.Load(path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get("comirec-csv") });
            AssertSame(Naive(records), dataset);
        }
    }

    [Fact]
    public void FromInteractions_GivesTheNaiveLoadersDataset_ForRandomRecords()
    {
        var records = RandomRecords(7, 400, wide: true);
        var dataset = SequenceDataset.FromInteractions(records, r => r.User, r => r.Item, r => r.Time);
        AssertSame(Naive(records), dataset);
    }
}
