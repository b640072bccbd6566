using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Tests.Evaluation;

/// <summary>A test double: each user is recognised by the first item of its history and gets a fixed ranked list
/// (padded with item 0 / −∞ when shorter than N). Records every call.</summary>
internal sealed class ScriptedRecommender : IRecommender
{
    private readonly Dictionary<int, int[]> _lists;

    public ScriptedRecommender(Dictionary<int, int[]> lists, int itemCount = 1000)
    {
        _lists = lists;
        ItemCount = itemCount;
    }

    public string Name => "scripted";

    public int ItemCount { get; }

    public List<(int Users, int TopN, bool Exclude, CancellationToken Token)> Calls { get; } = new();

    /// <summary>Called at the start of every Recommend call (e.g. to cancel a token mid-evaluation).</summary>
    public Action<int>? OnCall { get; set; }

    public void Recommend(HistoryBatch histories, int topN, bool excludeHistory, Span<int> items, Span<float> scores, CancellationToken cancellationToken = default)
    {
        Calls.Add((histories.Count, topN, excludeHistory, cancellationToken));
        OnCall?.Invoke(Calls.Count);
        items.Length.Should().BeGreaterThanOrEqualTo(histories.Count * topN);
        for (var b = 0; b < histories.Count; b++)
        {
            var list = _lists[histories[b][0]];
            for (var r = 0; r < topN; r++)
            {
                items[b * topN + r] = r < list.Length ? list[r] : 0;
                scores[b * topN + r] = r < list.Length ? 1000 - r : float.NegativeInfinity;
            }
        }
    }
}

/// <summary>Records progress synchronously (System.Progress posts asynchronously).</summary>
internal sealed class ListProgress : IProgress<EvaluationProgress>
{
    public List<EvaluationProgress> Reports { get; } = new();

    public void Report(EvaluationProgress value) => Reports.Add(value);
}

public sealed class RetrievalEvaluatorTests
{
    private const double Tol = 1e-12;

    internal static EvaluationSet MakeSet(params (int[] History, int[] Truth)[] rows)
    {
        var users = Enumerable.Range(0, rows.Length).ToArray();
        var ho = new int[rows.Length + 1];
        var to = new int[rows.Length + 1];
        for (var i = 0; i < rows.Length; i++)
        {
            ho[i + 1] = ho[i] + rows[i].History.Length;
            to[i + 1] = to[i] + rows[i].Truth.Length;
        }

        return new EvaluationSet(users, ho, rows.SelectMany(r => r.History).ToArray(), to, rows.SelectMany(r => r.Truth).ToArray());
    }

    // The tiny set used by most tests:
    //   user 0: history [100], T = [3, 7, 3, 5], list [5, 3, 9] then unfilled (item 0).
    //   user 1: history [101], T = [4],          list [1, 2]               (no hit at all).
    //   user 2: history [102], T = [8],          list of 30 items with 8 at rank 25 (0-based): a hit @50 only.
    private static readonly int[] User2List = Enumerable.Range(11, 30).Select(i => i == 36 ? 8 : i).ToArray();

    private static EvaluationSet TinySet() => MakeSet(([100], [3, 7, 3, 5]), ([101], [4]), ([102], [8]));

    private static ScriptedRecommender TinyRecommender() => new(new Dictionary<int, int[]>
    {
        [100] = [5, 3, 9],
        [101] = [1, 2],
        [102] = User2List,
    });

    [Fact]
    public void TinyFixture_PutsItem8AtRank25()
    {
        Array.IndexOf(User2List, 8).Should().Be(25);
        User2List.Should().OnlyHaveUniqueItems().And.HaveCount(30).And.NotContain(0);
    }

    [Fact]
    public void Evaluate_ProducesTheTwelveContractKeys_ForDefaultCutoffs()
    {
        var result = RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet());
        result.Metrics.Keys.Should().BeEquivalentTo(
            "recall@20", "recall_set@20", "hitrate@20", "ndcg@20", "ndcg_comirec@20", "ndcg_comirec_paper@20",
            "recall@50", "recall_set@50", "hitrate@50", "ndcg@50", "ndcg_comirec@50", "ndcg_comirec_paper@50");
        result.UserCount.Should().Be(3);
        result.TopN.Should().Be(50);
        result.Recommendations.Should().BeNull();
    }

    [Fact]
    public void MetricNames_AreTheContractStrings()
    {
        MetricNames.Recall(20).Should().Be("recall@20");
        MetricNames.RecallSet(50).Should().Be("recall_set@50");
        MetricNames.HitRate(20).Should().Be("hitrate@20");
        MetricNames.Ndcg(50).Should().Be("ndcg@50");
        MetricNames.NdcgComiRec(20).Should().Be("ndcg_comirec@20");
        MetricNames.NdcgComiRecPaper(50).Should().Be("ndcg_comirec_paper@50");
        MetricNames.All(7).Should().Equal("recall@7", "recall_set@7", "hitrate@7", "ndcg@7", "ndcg_comirec@7", "ndcg_comirec_paper@7");
    }

    [Fact]
    public void Evaluate_AveragesOverAllUsers_CountingUsersWithoutHitsAsZero()
    {
        var result = RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet());

        // Per user, by hand (D(r) = 1/log2(r+2)):
        //  user 0 (same at 20 and 50, unfilled slots ignored): recall 3/4, recall_set 2/3, hit 1,
        //    ndcg = (1 + 0.63093)/(1 + 0.63093 + 0.5) = 0.76536 (IDCG over min(3, N) = 3),
        //    ndcg_comirec = 1, ndcg_comirec_paper = (1 + 0.5 + 0.43068)/(1 + 0.63093 + 0.5) = 0.90603.
        //  user 1: all 0.
        //  user 2 @20: all 0.  @50: item 8 at rank 25 -> recall 1, recall_set 1, hit 1,
        //    ndcg = D(25) / 1 = 1/log2(27) = 0.21031, ndcg_comirec = 0.21031, ndcg_comirec_paper = D(0)/D(0) = 1.
        var d = (Func<int, double>)(r => 1 / Math.Log2(r + 2));
        var u0Ndcg = (d(0) + d(1)) / (d(0) + d(1) + d(2));
        var u0Paper = (d(0) + d(2) + d(3)) / (d(0) + d(1) + d(2));
        var u2Ndcg = d(25);

        result["recall@20"].Should().BeApproximately(0.75 / 3, Tol);
        result["recall_set@20"].Should().BeApproximately(2.0 / 3 / 3, Tol);
        result["hitrate@20"].Should().BeApproximately(1.0 / 3, Tol);
        result["ndcg@20"].Should().BeApproximately(u0Ndcg / 3, Tol);
        result["ndcg_comirec@20"].Should().BeApproximately(1.0 / 3, Tol);
        result["ndcg_comirec_paper@20"].Should().BeApproximately(u0Paper / 3, Tol);

        result["recall@50"].Should().BeApproximately((0.75 + 0 + 1) / 3, Tol);
        result["recall_set@50"].Should().BeApproximately((2.0 / 3 + 0 + 1) / 3, Tol);
        result["hitrate@50"].Should().BeApproximately(2.0 / 3, Tol);
        result["ndcg@50"].Should().BeApproximately((u0Ndcg + u2Ndcg) / 3, Tol);
        result["ndcg_comirec@50"].Should().BeApproximately((1 + u2Ndcg) / 3, Tol);
        result["ndcg_comirec_paper@50"].Should().BeApproximately((u0Paper + 1) / 3, Tol);

        // Literal values, computed by hand: 0.7653606369886217 / 3 and (0.9060254355346823 + 1) / 3.
        result["ndcg@20"].Should().BeApproximately(0.2551202123295406, 1e-12);
        result["ndcg_comirec_paper@50"].Should().BeApproximately(0.6353418118448941, 1e-12);
    }

    [Fact]
    public void Evaluate_AsksTheRecommenderForTheLargestCutoff_AndPassesExcludeHistory()
    {
        var rec = TinyRecommender();
        RetrievalEvaluator.Evaluate(rec, TinySet(), new EvaluationOptions { Cutoffs = [5, 30, 10], ExcludeHistory = true });
        rec.Calls.Should().ContainSingle();
        rec.Calls[0].TopN.Should().Be(30);
        rec.Calls[0].Exclude.Should().BeTrue();
        rec.Calls[0].Users.Should().Be(3);

        var rec2 = TinyRecommender();
        RetrievalEvaluator.Evaluate(rec2, TinySet());
        rec2.Calls.Should().ContainSingle().Which.Exclude.Should().BeFalse();
    }

    [Fact]
    public void Evaluate_ProducesOnlyTheKeysOfCustomCutoffs_DeduplicatedAndSorted()
    {
        var result = RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), new EvaluationOptions { Cutoffs = [26, 1, 26] });
        result.Metrics.Keys.Should().BeEquivalentTo(MetricNames.All(1).Concat(MetricNames.All(26)));
        result.TopN.Should().Be(26);

        // @1: user 0's first item 5 is in T -> recall 1/4, recall_set 1/3, hit 1, ndcg (IDCG over min(3, 1) = 1) = 1,
        //     comirec 1, paper: position p3 (5) -> D(3)/D(0) = 0.43068. Users 1 and 2: 0.
        result["recall@1"].Should().BeApproximately(0.25 / 3, Tol);
        result["recall_set@1"].Should().BeApproximately(1.0 / 3 / 3, Tol);
        result["hitrate@1"].Should().BeApproximately(1.0 / 3, Tol);
        result["ndcg@1"].Should().BeApproximately(1.0 / 3, Tol);
        result["ndcg_comirec@1"].Should().BeApproximately(1.0 / 3, Tol);
        result["ndcg_comirec_paper@1"].Should().BeApproximately(1 / Math.Log2(5) / 3, Tol);

        // @26: user 2's item 8 (rank 25) is just inside: hit rate 2/3.
        result["hitrate@26"].Should().BeApproximately(2.0 / 3, Tol);
        var act = () => result["recall@20"];
        act.Should().Throw<KeyNotFoundException>().WithMessage("*recall@20*");
    }

    [Fact]
    public void Evaluate_JustMissesTheRank25Item_ForCutoff25()
    {
        // 8 sits at 0-based rank 25, i.e. the 26th slot: not within the top 25.
        var result = RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), new EvaluationOptions { Cutoffs = [25] });
        result["hitrate@25"].Should().BeApproximately(1.0 / 3, Tol);
    }

    [Fact]
    public void Evaluate_IgnoresUnfilledSlots()
    {
        // Only one item could be retrieved; the rest of the N = 20 slots hold 0 / −∞.
        // T = [5]: recall 1, ndcg (IDCG over min(1, 20) = 1) = 1, paper 1.
        var rec = new ScriptedRecommender(new Dictionary<int, int[]> { [100] = [5] });
        var result = RetrievalEvaluator.Evaluate(rec, MakeSet(([100], [5])), new EvaluationOptions { Cutoffs = [20], KeepRecommendations = true });
        foreach (var key in MetricNames.All(20)) result[key].Should().BeApproximately(1.0, Tol, key);
        result.Recommendations.Should().Equal(new[] { 5 }.Concat(Enumerable.Repeat(0, 19)));
    }

    [Fact]
    public void Evaluate_KeepsEveryUsersListInOrder_WithKeepRecommendations()
    {
        var options = new EvaluationOptions { KeepRecommendations = true, BatchSize = 2 };
        var result = RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), options);
        result.TopN.Should().Be(50);
        result.Recommendations.Should().NotBeNull();
        var kept = result.Recommendations!;
        kept.Should().HaveCount(3 * 50);
        kept.Take(50).Should().Equal(new[] { 5, 3, 9 }.Concat(Enumerable.Repeat(0, 47)));
        kept.Skip(50).Take(50).Should().Equal(new[] { 1, 2 }.Concat(Enumerable.Repeat(0, 48)));
        kept.Skip(100).Take(50).Should().Equal(User2List.Concat(Enumerable.Repeat(0, 20)));
    }

    [Fact]
    public void Evaluate_GivesZerosNotNaN_ForAnEmptySet()
    {
        var result = RetrievalEvaluator.Evaluate(TinyRecommender(), MakeSet());
        result.UserCount.Should().Be(0);
        result.Metrics.Should().HaveCount(12);
        result.Metrics.Values.Should().AllSatisfy(v => v.Should().Be(0));
    }

    [Fact]
    public void Evaluate_ThrowsForNullArguments()
    {
        var set = TinySet();
        var rec = TinyRecommender();
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(null!, set)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(rec, null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(rec, set, null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Evaluate_ThrowsForNoCutoffs()
    {
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), new EvaluationOptions { Cutoffs = [] }))
            .Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), new EvaluationOptions { Cutoffs = null! }))
            .Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Evaluate_ThrowsForNonPositiveCutoffs(int cutoff)
    {
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), new EvaluationOptions { Cutoffs = [20, cutoff] }))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Evaluate_ThrowsForNonPositiveBatchSize(int batchSize)
    {
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(TinyRecommender(), TinySet(), new EvaluationOptions { BatchSize = batchSize }))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Evaluate_ValidatesOptionsBeforeCallingTheRecommender()
    {
        var rec = TinyRecommender();
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(rec, TinySet(), new EvaluationOptions { BatchSize = 0 })).Should().Throw<ArgumentException>();
        rec.Calls.Should().BeEmpty();
    }

    /// <summary>A deterministic pseudo-random recommender: user key h gets a ranked list derived from a seeded shuffle.</summary>
    private static (ScriptedRecommender Rec, EvaluationSet Set) RandomFixture(int users, int seed)
    {
        var rng = new Random(seed);
        var lists = new Dictionary<int, int[]>();
        var rows = new List<(int[], int[])>();
        for (var u = 0; u < users; u++)
        {
            var key = 10_000 + u;
            var catalogue = Enumerable.Range(1, 120).OrderBy(_ => rng.Next()).ToArray();
            lists[key] = catalogue.Take(rng.Next(0, 70)).ToArray();   // sometimes shorter than N (unfilled slots)
            var truth = Enumerable.Range(0, rng.Next(1, 12)).Select(_ => rng.Next(1, 121)).ToArray();   // duplicates likely
            rows.Add(([key, rng.Next(1, 121)], truth));
        }

        return (new ScriptedRecommender(lists), MakeSet(rows.ToArray()));
    }

    [Fact]
    public void Evaluate_GivesTheSameResult_ForAnyBatchSize()
    {
        var (rec, set) = RandomFixture(61, seed: 12345);
        EvaluationResult Run(int batch) => RetrievalEvaluator.Evaluate(rec, set,
            new EvaluationOptions { BatchSize = batch, KeepRecommendations = true, Cutoffs = [20, 50, 7] });
        var reference = Run(256);
        reference.Metrics.Values.Should().Contain(v => v > 0, "the fixture must produce some hits");
        foreach (var batch in new[] { 1, 2, 7, 60, 61, 62, 1000, int.MaxValue })
        {
            var other = Run(batch);
            other.Metrics.Should().Equal(reference.Metrics, $"batch size {batch}");
            other.Recommendations.Should().Equal(reference.Recommendations!, $"batch size {batch}");
        }
    }

    [Fact]
    public void Evaluate_MatchesANaiveAverage_OnRandomUsers()
    {
        var (rec, set) = RandomFixture(40, seed: 777);
        var result = RetrievalEvaluator.Evaluate(rec, set, new EvaluationOptions { Cutoffs = [20, 50], KeepRecommendations = true });
        foreach (var n in new[] { 20, 50 })
        {
            var sums = new double[6];
            for (var u = 0; u < set.Count; u++)
            {
                var list = result.Recommendations!.Skip(u * 50).Take(n).TakeWhile(i => i != 0).ToList();
                var m = NaiveMetrics.All(list, set.Targets(u).ToArray(), n);
                for (var j = 0; j < 6; j++) sums[j] += m[j];
            }

            var keys = MetricNames.All(n).ToArray();
            for (var j = 0; j < 6; j++) result[keys[j]].Should().BeApproximately(sums[j] / set.Count, 1e-12, keys[j]);
        }
    }

    [Fact]
    public void Evaluate_ReportsProgressAfterEachBatch()
    {
        var set = MakeSet(Enumerable.Range(0, 5).Select(i => (new[] { 200 + i }, new[] { 1 })).ToArray());
        var rec = new ScriptedRecommender(Enumerable.Range(0, 5).ToDictionary(i => 200 + i, _ => new[] { 1, 2 }));
        var progress = new ListProgress();
        RetrievalEvaluator.Evaluate(rec, set, new EvaluationOptions { BatchSize = 2 }, progress);
        progress.Reports.Should().Equal(new EvaluationProgress(2, 5), new EvaluationProgress(4, 5), new EvaluationProgress(5, 5));
        rec.Calls.Select(c => c.Users).Should().Equal(2, 2, 1);
    }

    [Fact]
    public void Evaluate_ThrowsWhenAlreadyCancelled_WithoutCallingTheRecommender()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var rec = TinyRecommender();
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(rec, TinySet(), new EvaluationOptions(), null, cts.Token))
            .Should().Throw<OperationCanceledException>();
        rec.Calls.Should().BeEmpty();
    }

    [Fact]
    public void Evaluate_StopsAtTheNextBatch_WhenCancelledMidway_AndPassesTheToken()
    {
        using var cts = new CancellationTokenSource();
        var rec = TinyRecommender();
        rec.OnCall = call =>
        {
            if (call == 1) cts.Cancel();
        };
        FluentActions.Invoking(() => RetrievalEvaluator.Evaluate(rec, TinySet(), new EvaluationOptions { BatchSize = 1 }, null, cts.Token))
            .Should().Throw<OperationCanceledException>();
        rec.Calls.Should().ContainSingle();
        rec.Calls[0].Token.Should().Be(cts.Token);
    }
}

/// <summary>A second, deliberately naive implementation of the six metrics of docs/evaluation.md, used to
/// cross-check the library on random cases. Order: recall, recall_set, hitrate, ndcg, ndcg_comirec, ndcg_comirec_paper.</summary>
internal static class NaiveMetrics
{
    public static double[] All(IList<int> retrieved, IList<int> truth, int n)
    {
        var distinctTruth = truth.Distinct().ToList();

        // recall: positions of T (duplicates counted) whose item was retrieved, over |T|
        var posHits = truth.Count(t => retrieved.Contains(t));
        var recall = truth.Count == 0 ? 0.0 : (double)posHits / truth.Count;

        // recall_set: |top ∩ set(T)| / |set(T)|
        var setHits = retrieved.Count(r => distinctTruth.Contains(r));
        var recallSet = distinctTruth.Count == 0 ? 0.0 : (double)setHits / distinctTruth.Count;

        var hit = setHits > 0 ? 1.0 : 0.0;

        // DCG over retrieved ranks
        var dcgRanks = 0.0;
        for (var r = 0; r < retrieved.Count; r++)
        {
            if (distinctTruth.Contains(retrieved[r])) dcgRanks += 1.0 / Math.Log(r + 2, 2);
        }

        static double Ideal(int count)
        {
            var s = 0.0;
            for (var j = 0; j < count; j++) s += 1.0 / Math.Log(j + 2, 2);
            return s;
        }

        var idealStandard = Math.Min(distinctTruth.Count, n);
        var ndcg = idealStandard == 0 ? 0.0 : dcgRanks / Ideal(idealStandard);
        var ndcgMaster = setHits == 0 ? 0.0 : dcgRanks / Ideal(setHits);

        // paper: over positions p of T with T_p retrieved
        var dcgPositions = 0.0;
        for (var p = 0; p < truth.Count; p++)
        {
            if (retrieved.Contains(truth[p])) dcgPositions += 1.0 / Math.Log(p + 2, 2);
        }

        var ndcgPaper = posHits == 0 ? 0.0 : dcgPositions / Ideal(posHits);
        return [recall, recallSet, hit, ndcg, ndcgMaster, ndcgPaper];
    }
}
