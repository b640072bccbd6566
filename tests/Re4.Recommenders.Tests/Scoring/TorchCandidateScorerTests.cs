using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Scoring;

public sealed class TorchCandidateScorerTests
{
    private static float[] Eighths(Random rng, int count)
    {
        var a = new float[count];
        for (var i = 0; i < a.Length; i++) a[i] = rng.Next(-16, 17) / 8f;
        return a;
    }

    [Fact]
    public void Retrieve_ScoresItemsAndWinningInterests_ForAHandComputedExample()
    {
        // Items: 1 = (1, 0), 2 = (0, 1), 3 = (0.5, 0.5), 4 = (1, 0) again. Interests: k0 = (2, 0), k1 = (0, 3).
        // Scores: 1 -> 2 (k0); 2 -> 3 (k1); 3 -> max(1, 1.5) = 1.5 (k1); 4 -> 2 (k0), tied with item 1 which wins.
        float[] table = [9, 9, 1, 0, 0, 1, 0.5f, 0.5f, 1, 0];
        using var scorer = new TorchCandidateScorer(new ItemEmbeddingTable(table, 2), itemChunkSize: 1);
        scorer.ItemCount.Should().Be(4);
        scorer.Dimension.Should().Be(2);
        scorer.Device.type.Should().Be(TorchSharp.DeviceType.CPU);
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 2, 0, 0, 3 }, 1, 2), 3);
        result.Items.Should().Equal(2, 1, 4);
        result.Scores.Should().Equal(3f, 2f, 2f);
        result.Interests.Should().Equal(1, 0, 0);
    }

    [Fact]
    public void Retrieve_FollowsTheContractForExclusionsAndPadding()
    {
        float[] table = [0, 1, 2, 3, 4];   // d = 1, item j = j
        using var scorer = new TorchCandidateScorer(new ItemEmbeddingTable(table, 1), itemChunkSize: 3);
        var result = scorer.Retrieve(new CandidateQuery(new float[] { 1, -1 }, 2, 1, HistoryBatch.FromHistories([[4, 2, 4], []])), 5);
        result.ItemsOf(0).ToArray().Should().Equal(3, 1, 0, 0, 0);
        result.ItemsOf(1).ToArray().Should().Equal(1, 2, 3, 4, 0);
        result.Scores.Should().Equal(3f, 1f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, -1f, -2f, -3f, -4f, float.NegativeInfinity);
        result.Interests.Should().Equal(0, 0, -1, -1, -1, 0, 0, 0, 0, -1);
    }

    [Fact]
    public void TensorConstructor_DropsThePaddingRow_AndCopiesTheTable()
    {
        var rng = new Random(5);
        const int d = 8;
        const int n = 300;
        var table = Eighths(rng, (n + 1) * d);
        var query = Eighths(rng, 2 * 3 * d);
        var weights = tensor(table, [n + 1, d]);
        using var fromTensor = new TorchCandidateScorer(weights, userBatchSize: 1, itemChunkSize: 64);
        weights.fill_(0);   // the scorer holds its own copy
        var expected = new ManagedCandidateScorer(new ItemEmbeddingTable(table, d)).Retrieve(new CandidateQuery(query, 2, 3), 20);
        var result = fromTensor.Retrieve(new CandidateQuery(query, 2, 3), 20);
        fromTensor.ItemCount.Should().Be(n);
        result.Items.Should().Equal(expected.Items);
        result.Scores.Should().Equal(expected.Scores);
        result.Interests.Should().Equal(expected.Interests);
    }

    [Fact]
    public void Constructors_ThrowForInvalidArguments()
    {
        var table = new ItemEmbeddingTable(new float[6], 2);
        FluentActions.Invoking(() => new TorchCandidateScorer((ItemEmbeddingTable)null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new TorchCandidateScorer((Tensor)null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new TorchCandidateScorer(table, userBatchSize: 0)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*userBatchSize*");
        FluentActions.Invoking(() => new TorchCandidateScorer(table, itemChunkSize: -1)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*itemChunkSize*");
        using var oneRow = zeros(1, 4);
        FluentActions.Invoking(() => new TorchCandidateScorer(oneRow)).Should().Throw<ArgumentException>();
        using var ints = zeros(3, 4, dtype: ScalarType.Int32);
        FluentActions.Invoking(() => new TorchCandidateScorer(ints)).Should().Throw<ArgumentException>();
        using var vector = zeros(5);
        FluentActions.Invoking(() => new TorchCandidateScorer(vector)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Retrieve_ThrowsForInvalidArguments_AndAfterDispose()
    {
        var scorer = new TorchCandidateScorer(new ItemEmbeddingTable(new float[3 * 8], 8));
        FluentActions.Invoking(() => scorer.Retrieve(null!, 5)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[8], 1, 1), 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[2 * 4], 1, 2), 5)).Should().Throw<ArgumentException>().WithMessage("*d = 4*d = 8*");
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[8], 1, 1), 1, cts.Token)).Should().Throw<OperationCanceledException>();
        }

        scorer.Dispose();
        FluentActions.Invoking(() => scorer.Retrieve(new CandidateQuery(new float[8], 1, 1), 1)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Retrieve_GivesTheSingleThreadedResults_ForConcurrentCallsFromSeveralThreads()
    {
        const int d = 16;
        const int n = 1500;
        var rng = new Random(77);
        var table = Eighths(rng, (n + 1) * d);
        var queries = Enumerable.Range(0, 4).Select(_ => (Query: Eighths(rng, 3 * 4 * d), Exclude: HistoryBatch.FromHistories(
            Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 10).Select(_ => rng.Next(1, n + 1)).ToArray()).ToArray()))).ToArray();
        using var scorer = new TorchCandidateScorer(new ItemEmbeddingTable(table, d), userBatchSize: 2, itemChunkSize: 500);
        var expected = queries.Select(q => scorer.Retrieve(new CandidateQuery(q.Query, 3, 4, q.Exclude), 30)).ToArray();

        var results = new CandidateResult[4][];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var mine = new CandidateResult[queries.Length * 2];
            for (var j = 0; j < mine.Length; j++)
            {
                var q = queries[(j + t) % queries.Length];
                mine[j] = scorer.Retrieve(new CandidateQuery(q.Query, 3, 4, q.Exclude), 30);
            }

            results[t] = mine;
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());

        for (var t = 0; t < 4; t++)
        {
            for (var j = 0; j < results[t].Length; j++)
            {
                var e = expected[(j + t) % queries.Length];
                results[t][j].Items.Should().Equal(e.Items);
                results[t][j].Scores.Should().Equal(e.Scores);
                results[t][j].Interests.Should().Equal(e.Interests);
            }
        }
    }

    [Fact]
    public void Retrieve_LeavesNoLiveTensorsBehind()
    {
        var rng = new Random(3);
        using var scorer = new TorchCandidateScorer(new ItemEmbeddingTable(Eighths(rng, 201 * 4), 4), userBatchSize: 2, itemChunkSize: 64);
        var query = new CandidateQuery(Eighths(rng, 5 * 2 * 4), 5, 2, HistoryBatch.FromHistories([[1, 2], [3], [], [200], [7, 8, 9]]));
        scorer.Retrieve(query, 10);   // warm-up
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 3; i++) scorer.Retrieve(query, 10);
        TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }
}
