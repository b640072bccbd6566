using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Models;

/// <summary>The recommender against a naive scoring of the model's own item table: score_j = max_k ⟨u_k, e_j⟩ in double,
/// ranked by decreasing score then increasing id.</summary>
public sealed class MultiInterestRecommenderTests
{
    private const int N = 8, D = 3, K = 2, L = 4;

    /// <summary>Histories of 2, 1 and 6 items (the last is cut to its last L = 4).</summary>
    private static readonly int[][] Histories = [[3, 7], [5], [1, 2, 8, 4, 3, 6]];

    private static MultiInterestModel Build(bool reverse = false)
    {
        manual_seed(19);
        var model = new MultiInterestModel(new ModelConfig
        {
            Encoder = ComiRecSaDescriptor.EncoderName,
            ItemCount = N,
            Dimension = D,
            Interests = K,
            MaxLength = L,
            ReverseHistory = reverse,
            EncoderOptions = SelfAttentiveOptions.Re4Reference(),   // U = tanh(Linear(Z)) ≠ Z: retrieval must use U
        });

        // Item 6 is a copy of item 2: an exact tie, which the lower id wins.
        var table = Naive.RandomFloats(55, (N + 1) * D);
        Array.Clear(table, 0, D);
        Array.Copy(table, 2 * D, table, 6 * D, D);
        using (no_grad()) model.ItemEmbeddings.copy_(tensor(table, [N + 1, D]));
        return model;
    }

    /// <summary>U through Encode on the ids the recommender should build: left-aligned, the last L items, reversed when
    /// the model reads most recent first.</summary>
    private static float[] ExpectedVectors(MultiInterestModel model, int[][] histories)
    {
        var l = Math.Min(L, histories.Max(h => h.Length));
        var ids = new long[histories.Length * l];
        for (var b = 0; b < histories.Length; b++)
        {
            var kept = histories[b].TakeLast(l).ToArray();
            if (model.Config.ReverseHistory) Array.Reverse(kept);
            for (var i = 0; i < kept.Length; i++) ids[b * l + i] = kept[i];
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (output, _, _) = model.Encode(tensor(ids, [histories.Length, l]));
        using var _o = output;
        return Naive.Values(output.RetrievalInterests);
    }

    /// <summary>Naive ranking of one user: every item (minus the excluded) by max over interests, ties by lower id.</summary>
    private static List<(int Item, double Score, int Interest)> NaiveRanking(float[] table, float[] vectors, int user, ISet<int> excluded)
    {
        var ranking = new List<(int, double, int)>();
        for (var item = 1; item <= N; item++)
        {
            if (excluded.Contains(item)) continue;
            double best = double.NegativeInfinity;
            var winner = -1;
            for (var q = 0; q < K; q++)
            {
                var s = 0.0;
                for (var i = 0; i < D; i++) s += (double)vectors[(user * K + q) * D + i] * table[item * D + i];
                if (s > best)
                {
                    best = s;
                    winner = q;
                }
            }

            ranking.Add((item, best, winner));
        }

        return ranking.OrderByDescending(r => r.Item2).ThenBy(r => r.Item1).ToList();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Recommend_EqualsTheNaiveMaxOverInterestsRanking(bool excludeHistory, bool reverse)
    {
        var model = Build(reverse);
        var recommender = new MultiInterestRecommender(model);
        var batch = HistoryBatch.FromHistories(Histories);
        var table = Naive.Values(model.ItemEmbeddings);
        var vectors = recommender.InterestVectors(batch);
        vectors.Should().Equal(ExpectedVectors(model, Histories), "the recommender encodes the last L items in the model's order");

        const int topN = N;
        var items = new int[Histories.Length * topN];
        var scores = new float[Histories.Length * topN];
        recommender.Recommend(batch, topN, excludeHistory, items, scores);
        var result = recommender.Retrieve(batch, topN, excludeHistory);

        for (var b = 0; b < Histories.Length; b++)
        {
            var excluded = excludeHistory ? Histories[b].ToHashSet() : [];
            var naive = NaiveRanking(table, vectors, b, excluded);

            // The fixture has one deliberate exact tie (items 2 and 6); any other two scores are far apart, so float and
            // double rankings cannot disagree.
            for (var i = 0; i < naive.Count; i++)
            {
                for (var j = i + 1; j < naive.Count; j++)
                {
                    if (new[] { naive[i].Item, naive[j].Item }.Order().SequenceEqual([2, 6])) continue;
                    Math.Abs(naive[i].Score - naive[j].Score).Should().BeGreaterThan(1e-4, "fixture: no accidental near-ties");
                }
            }

            var position2 = naive.FindIndex(r => r.Item == 2);
            var position6 = naive.FindIndex(r => r.Item == 6);
            if (position2 >= 0 && position6 >= 0) position2.Should().BeLessThan(position6, "an exact tie goes to the lower id");

            items.AsSpan(b * topN, topN).ToArray().Should().Equal(naive.Select(r => r.Item).Concat(Enumerable.Repeat(0, topN - naive.Count)),
                "user {0}'s ranking", b);
            for (var i = 0; i < topN; i++)
            {
                if (i < naive.Count)
                {
                    ((double)scores[b * topN + i]).Should().BeApproximately(naive[i].Score, 1e-5);
                    result.Interests[b * topN + i].Should().Be(naive[i].Interest, "the winning interest of user {0}'s rank {1}", b, i);
                }
                else
                {
                    scores[b * topN + i].Should().Be(float.NegativeInfinity, "an unfilled slot");
                }
            }

            result.ItemsOf(b).ToArray().Should().Equal(items.AsSpan(b * topN, topN).ToArray());
        }
    }

    [Fact]
    public void Recommend_GivesTheHeadOfTheFullRanking_ForTopTwo()
    {
        var model = Build();
        var recommender = new MultiInterestRecommender(model);
        var batch = HistoryBatch.FromHistories(Histories);
        var full = recommender.Retrieve(batch, N, excludeHistory: false);
        var top2 = recommender.Retrieve(batch, 2, excludeHistory: false);
        for (var b = 0; b < Histories.Length; b++) top2.ItemsOf(b).ToArray().Should().Equal(full.ItemsOf(b)[..2].ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(N + 1)]
    [InlineData(-3)]
    public void Recommend_ThrowsForAnOutOfRangeItemId(int bad)
    {
        var recommender = new MultiInterestRecommender(Build());
        var batch = HistoryBatch.FromHistories([[1, 2], [3, bad, 4]]);
        var items = new int[2 * 3];
        var scores = new float[2 * 3];

        var act = () => recommender.Recommend(batch, 3, false, items, scores);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.Message.Should().Contain(bad.ToString());
    }

    [Fact]
    public void Recommend_ThrowsForAnEmptyHistoryAndShortOutputs()
    {
        var recommender = new MultiInterestRecommender(Build());
        var empty = () => recommender.InterestVectors(HistoryBatch.FromHistories([[1], []]));
        empty.Should().Throw<ArgumentException>();
        var shortOutput = () => recommender.Recommend(HistoryBatch.FromHistories([[1]]), 3, false, new int[2], new float[3]);
        shortOutput.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void DefaultScorer_IsTheManagedOne_AndTheTorchScorerAgreesWithIt_OnTheCpu()
    {
        var model = Build();
        MultiInterestRecommender.DefaultScorer(model).Should().BeOfType<ManagedCandidateScorer>();
        using var torchScorer = new TorchCandidateScorer(model.ItemEmbeddings);
        var managed = new MultiInterestRecommender(model).Retrieve(HistoryBatch.FromHistories(Histories), N, excludeHistory: true);
        var viaTorch = new MultiInterestRecommender(model, torchScorer).Retrieve(HistoryBatch.FromHistories(Histories), N, excludeHistory: true);
        viaTorch.Items.Should().Equal(managed.Items);
        viaTorch.Interests.Should().Equal(managed.Interests);
        managed.Items.Should().Contain(0, "excluded histories leave padding slots");
        for (var i = 0; i < managed.Scores.Length; i++)
        {
            if (float.IsNegativeInfinity(managed.Scores[i])) viaTorch.Scores[i].Should().Be(float.NegativeInfinity);
            else viaTorch.Scores[i].Should().BeApproximately(managed.Scores[i], 1e-5f);
        }
    }
}
