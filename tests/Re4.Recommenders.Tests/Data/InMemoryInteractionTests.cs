using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Data;

/// <summary>Data sets built from records in memory: the same grouping as files, errors, cancellation, and training
/// results bit-identical to the same data read from a file.</summary>
public sealed class InMemoryInteractionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Click(string UserId, string Sku, long Time);

    private sealed record NumericClick(long User, int Item, long Time);

    private static NumericClick[] Log(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new NumericClick(random.Next(60), random.Next(1, 80), random.Next(1000))).ToArray();
    }

    private static void ShouldBeTheSame(SequenceDataset a, SequenceDataset b)
    {
        a.UserCount.Should().Be(b.UserCount);
        a.ItemCount.Should().Be(b.ItemCount);
        a.Offsets.ToArray().Should().Equal(b.Offsets.ToArray());
        a.Items.ToArray().Should().Equal(b.Items.ToArray());
        Enumerable.Range(0, a.UserCount).Select(u => a.UserIds[u]).Should().Equal(Enumerable.Range(0, b.UserCount).Select(u => b.UserIds[u]));
        Enumerable.Range(1, a.ItemCount).Select(i => a.ItemIds[i]).Should().Equal(Enumerable.Range(1, b.ItemCount).Select(i => b.ItemIds[i]));
        a.UserIds.IsNumeric.Should().Be(b.UserIds.IsNumeric);
        a.ItemIds.IsNumeric.Should().Be(b.ItemIds.IsNumeric);
    }

    [Fact]
    public void FromInteractions_GroupsSortsAndNumbersAsTheFileLoader()
    {
        // u1: B (t=5), A (t=3), C (t=5) → A, B, C (B before C: equal times keep record order); items by first appearance B=1, A=2, C=3.
        Click[] clicks = [new("u1", "B", 5), new("u2", "A", 1), new("u1", "A", 3), new("u1", "C", 5)];

        var ds = SequenceDataset.FromInteractions(clicks, c => c.UserId, c => c.Sku, c => c.Time);

        ds.Name.Should().Be(SequenceDataset.InMemoryName);
        ds.UserIds[0].Should().Be("u1");
        ds.Sequence(0).ToArray().Should().Equal(2, 1, 3);
        ds.Sequence(1).ToArray().Should().Equal(2);
        Enumerable.Range(1, 3).Select(i => ds.ItemIds[i]).Should().Equal("B", "A", "C");
    }

    [Fact]
    public void FromInteractions_EqualsTheFileLoad_ForTheSameNumericLog()
    {
        var log = Log(2000, seed: 11);
        var path = _dir.File("log.csv", string.Concat(log.Select(c => $"{c.User},{c.Item},{c.Time}\n")));

        var fromFile = InteractionFileReader.Load(path, new LoadOptions { Reader = InteractionReaderRegistry.BuiltIn.Get("comirec-csv") });
        var fromMemory = SequenceDataset.FromInteractions(log, c => c.User, c => c.Item, c => c.Time);

        ShouldBeTheSame(fromMemory, fromFile);
        fromMemory.UserIds.IsNumeric.Should().BeTrue();
    }

    [Fact]
    public async Task FromInteractionsAsync_EqualsTheSynchronousBuild()
    {
        Click[] clicks = [new("u1", "B", 5), new("u2", "42", 1), new("u1", "A", 3)];

        var async = await SequenceDataset.FromInteractionsAsync(Stream(clicks), c => c.UserId, c => c.Sku, c => c.Time, "clicks");
        var sync = SequenceDataset.FromInteractions(clicks, c => c.UserId, c => c.Sku, c => c.Time, "clicks");

        ShouldBeTheSame(async, sync);
        async.Name.Should().Be("clicks");
    }

    [Fact]
    public async Task FromInteractionsAsync_StopsWhenCancelled()
    {
        using var cts = new CancellationTokenSource();
        var records = Endless(cts);

        var act = () => SequenceDataset.FromInteractionsAsync(records, c => c.UserId, c => c.Sku, c => c.Time, cancellationToken: cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void FromInteractions_ThrowsNamingTheRecord_ForANullId()
    {
        Click[] clicks = [new("u1", "B", 5), new("u2", null!, 1)];

        var act = () => SequenceDataset.FromInteractions(clicks, c => c.UserId, c => c.Sku, c => c.Time);

        act.Should().Throw<ArgumentException>().WithParameterName("records").WithMessage("Record 1 has a null item id*");
    }

    [Fact]
    public void FromInteractions_ThrowsForNoRecordsAndNullArguments()
    {
        FluentActions.Invoking(() => SequenceDataset.FromInteractions(Array.Empty<Click>(), c => c.UserId, c => c.Sku, c => c.Time))
            .Should().Throw<ArgumentException>().WithParameterName("records").WithMessage("*no interactions*");
        FluentActions.Invoking(() => SequenceDataset.FromInteractions<Click, string, string>(null!, c => c.UserId, c => c.Sku, c => c.Time))
            .Should().Throw<ArgumentNullException>().WithParameterName("records");
        FluentActions.Invoking(() => SequenceDataset.FromInteractions<Click, string, string>([], null!, c => c.Sku, c => c.Time))
            .Should().Throw<ArgumentNullException>().WithParameterName("user");
    }

    [Fact]
    public void FromInteractions_ReadsGuidIds_AsText()
    {
        var id = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e");

        var ds = SequenceDataset.FromInteractions([(User: id, Item: 3L, Time: 1L)], r => r.User, r => r.Item, r => r.Time);

        ds.UserIds[0].Should().Be("0f8fad5b-d9cb-469f-a165-70867728950e");
        ds.ItemIds.IsNumeric.Should().BeTrue();
    }

    [Fact]
    public void Training_GivesBitIdenticalWeightsAndMetrics_FromMemoryAndFromAFile()
    {
        var log = Log(3000, seed: 4);
        var path = _dir.File("log.csv", string.Concat(log.Select(c => $"{c.User},{c.Item},{c.Time}\n")));
        var fromFile = InteractionFileReader.Load(path);
        var fromMemory = SequenceDataset.FromInteractions(log, c => c.User, c => c.Item, c => c.Time);

        var (fileWeights, fileMetrics) = Train(fromFile);
        var (memoryWeights, memoryMetrics) = Train(fromMemory);

        memoryMetrics.Should().Equal(fileMetrics);
        memoryWeights.Should().HaveCount(fileWeights.Count);
        for (var p = 0; p < fileWeights.Count; p++) memoryWeights[p].Should().Equal(fileWeights[p], $"parameter {p} must match bit for bit");
    }

    private static (List<float[]> Weights, IReadOnlyDictionary<string, double> Metrics) Train(SequenceDataset raw)
    {
        var split = DataSplitter.ComiRec(DatasetPreparation.Prepare(raw, DatasetFilter.None), seed: 1, maxLength: 8);
        var config = new ModelConfig { Encoder = ComiRecSaDescriptor.EncoderName, ItemCount = split.Dataset.ItemCount, Dimension = 8, Interests = 2, MaxLength = 8 };
        var options = new TrainerOptions { BatchSize = 16, NegativeCount = 16, MaxSteps = 20, EvaluateEvery = 10, Seed = 3 };
        using var trainer = new MultiInterestTrainer(split, config, options);
        var result = trainer.Fit();
        var weights = trainer.Model.parameters().Select(t => t.data<float>().ToArray()).ToList();
        return (weights, result.Test!);
    }

    private static async IAsyncEnumerable<Click> Stream(IEnumerable<Click> clicks)
    {
        foreach (var c in clicks)
        {
            await Task.Yield();
            yield return c;
        }
    }

    private static async IAsyncEnumerable<Click> Endless(CancellationTokenSource cts)
    {
        for (var i = 0; ; i++)
        {
            if (i == 100) cts.Cancel();   // cancelled mid-stream; this enumerator ignores its token on purpose
            await Task.Yield();
            yield return new Click("u", "i" + i, i);
        }
    }
}
