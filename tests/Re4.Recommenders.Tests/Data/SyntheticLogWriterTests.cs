using System.Globalization;
using Re4.Recommenders.Data;

namespace Re4.Recommenders.Tests.Data;

/// <summary>Issue 14: the streamed planted-interest log (catalogue-scale data without holding it in memory).</summary>
public sealed class SyntheticLogWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SyntheticDataOptions Small(int seed = 5) => new() { Users = 5_000, Items = 3_000, Topics = 30, MinLength = 3, MaxLength = 12, Seed = seed };

    private static List<(long User, long Item, long Time)> ReadLines(string path) =>
        File.ReadLines(path).Select(line =>
        {
            var f = line.Split(',');
            return (long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture));
        }).ToList();

    [Fact]
    public void Write_IsDeterministicForASeed()
    {
        var a = _dir.File("a.csv", string.Empty);
        var b = _dir.File("b.csv", string.Empty);
        var c = _dir.File("c.csv", string.Empty);
        SyntheticLogWriter.Write(a, Small(5));
        SyntheticLogWriter.Write(b, Small(5));
        SyntheticLogWriter.Write(c, Small(6));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
    }

    [Fact]
    public void Write_ReportsWhatTheFileHolds()
    {
        var path = Path.Combine(_dir.Path, "log.csv");
        var options = Small();
        var summary = SyntheticLogWriter.Write(path, options);
        var lines = ReadLines(path);
        Assert.Equal(lines.Count, summary.Interactions);
        Assert.Equal(new FileInfo(path).Length, summary.Bytes);
        Assert.Equal(options.Users, summary.Users);
        Assert.Equal(lines.Select(l => l.Item).Distinct().Count(), summary.DistinctItems);
        Assert.All(lines, l => Assert.InRange(l.Item, 1, options.Items));
        Assert.All(lines, l => Assert.InRange(l.User, 1, options.Users));

        // Each user has MinLength..MaxLength interactions, and the loader reads them all back.
        var perUser = lines.GroupBy(l => l.User).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(options.Users, perUser.Count);
        Assert.All(perUser.Values, n => Assert.InRange(n, options.MinLength, options.MaxLength));
        var dataset = InteractionFileReader.Load(path);
        Assert.Equal(summary.Interactions, dataset.InteractionCount);
        Assert.Equal(options.Users, dataset.UserCount);
        Assert.Equal(summary.DistinctItems, dataset.ItemCount);
    }

    [Fact]
    public void Write_IsInTimeOrderWithinEachBlockOfUsers()
    {
        var path = Path.Combine(_dir.Path, "log.csv");
        SyntheticLogWriter.Write(path, Small());   // 5,000 users: two blocks
        var lines = ReadLines(path);
        var firstBlock = lines.TakeWhile(l => l.User <= SyntheticLogWriter.BlockUsers).ToList();
        var secondBlock = lines.Skip(firstBlock.Count).ToList();
        Assert.All(secondBlock, l => Assert.True(l.User > SyntheticLogWriter.BlockUsers));
        foreach (var block in new[] { firstBlock, secondBlock })
        {
            Assert.NotEmpty(block);
            for (var i = 1; i < block.Count; i++) Assert.True(block[i - 1].Time <= block[i].Time, $"line {i}: {block[i - 1].Time} > {block[i].Time}");
            Assert.All(block, l => Assert.InRange(l.Time, SyntheticLogWriter.FirstTimestamp,
                SyntheticLogWriter.FirstTimestamp + SyntheticLogWriter.TimeSpanSeconds + (12 * SyntheticLogWriter.MaxGapSeconds)));
        }

        // Users interleave (a log, not a grouped file), and a user's interactions share seconds now and then.
        Assert.True(firstBlock.Zip(firstBlock.Skip(1)).Count(p => p.First.User != p.Second.User) > firstBlock.Count / 2);
        Assert.Contains(lines.GroupBy(l => l.User), g => g.Select(l => l.Time).Distinct().Count() < g.Count());
    }

    [Fact]
    public void Write_PlantsEachUsersTopics()
    {
        // Without noise, every interaction comes from one of the user's at most MaxTopicsPerUser topics.
        var options = Small();
        options.Noise = 0;
        options.MaxTopicsPerUser = 3;
        var path = Path.Combine(_dir.Path, "log.csv");
        SyntheticLogWriter.Write(path, options);
        foreach (var user in ReadLines(path).GroupBy(l => l.User))
            Assert.InRange(user.Select(l => PlantedInterestGenerator.TopicOf(l.Item, options.Topics)).Distinct().Count(), 1, 3);
    }

    [Fact]
    public void Write_ThrowsForABlockTooLongToOrder()
    {
        var options = Small();
        options.MaxLength = (1 << 20) / SyntheticLogWriter.BlockUsers + 1;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticLogWriter.Write(Path.Combine(_dir.Path, "x.csv"), options));
        Assert.Equal("MaxLength", e.ParamName);
    }

    [Fact]
    public void Write_LeavesNoFile_WhenCancelled()
    {
        var path = Path.Combine(_dir.Path, "cancelled.csv");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticLogWriter.Write(path, Small(), cancellationToken: cancel.Token));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void TaobaoShape_HasTaobaosSizes()
    {
        var o = SyntheticDataOptions.TaobaoShape();
        Assert.Equal(1_000_000, o.Users);
        Assert.Equal(1_700_000, o.Items);
        Assert.Equal(85_000_000L, (long)o.Users * (o.MinLength + o.MaxLength) / 2);   // expected interactions
    }
}
