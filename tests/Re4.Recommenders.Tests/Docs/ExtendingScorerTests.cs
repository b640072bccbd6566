using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Scoring;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Docs;

// Section 6 of docs/extending.md: a candidate scorer of your own, plugged into the recommender and checked against the
// built-in scorer. Its code blocks are verbatim parts of this file.

/// <summary>Scores every item of the gallery for every user with plain loops: the contract of ICandidateScorer, slowly.</summary>
public sealed class BruteForceScorer(ItemEmbeddingTable table) : ICandidateScorer
{
    public int ItemCount => table.ItemCount;

    public int Dimension => table.Dimension;

    public CandidateResult Retrieve(CandidateQuery query, int topN, CancellationToken cancellationToken = default)
    {
        int b = query.UserCount, k = query.InterestCount, d = Dimension;
        var items = new int[b * topN];                        // unfilled slots: item 0, score −∞, interest −1
        var scores = Enumerable.Repeat(float.NegativeInfinity, b * topN).ToArray();
        var interests = Enumerable.Repeat(-1, b * topN).ToArray();
        for (var user = 0; user < b; user++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] excluded = query.Exclude is { } exclude ? exclude[user].ToArray() : [];
            var u = query.Interests.Span.Slice(user * k * d, k * d);   // [K, d]
            var ranked = new List<(float Score, int Item, int Interest)>();
            for (var item = 1; item <= ItemCount; item++)
            {
                if (excluded.Contains(item)) continue;
                var (best, winner) = (float.NegativeInfinity, -1);
                for (var i = 0; i < k; i++)
                {
                    var score = 0f;
                    for (var j = 0; j < d; j++) score += u[i * d + j] * table[item][j];
                    if (score > best) (best, winner) = (score, i);   // strictly greater: the lower interest wins a tie
                }

                if (winner >= 0) ranked.Add((best, item, winner));   // −∞ and NaN scores are never returned
            }

            // Higher score first; the lower item id wins a tie.
            ranked.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Item.CompareTo(y.Item));
            for (var r = 0; r < Math.Min(topN, ranked.Count); r++)
                (scores[user * topN + r], items[user * topN + r], interests[user * topN + r]) = ranked[r];
        }

        return new CandidateResult(b, topN, items, scores, interests);
    }
}

/// <summary>The brute-force scorer against the built-in ones.</summary>
public sealed class ExtendingScorerTests
{
    [Fact]
    public void BruteForceScorer_AgreesExactlyWithTheBuiltInScorer_OnExactScores()
    {
        // Multiples of 1/8: every dot product is exact in float, so both scorers must agree bit for bit, ties included.
        const int n = 30, d = 4, k = 2;
        var rng = new Random(12);
        var data = Enumerable.Range(0, (n + 1) * d).Select(_ => rng.Next(-8, 9) / 8f).ToArray();
        Array.Clear(data, 0, d);
        Array.Copy(data, 5 * d, data, 17 * d, d);   // item 17 ties with item 5
        var table = new ItemEmbeddingTable(data, d);
        var vectors = Enumerable.Range(0, 3 * k * d).Select(_ => rng.Next(-8, 9) / 8f).ToArray();
        var query = new CandidateQuery(vectors, 3, k, HistoryBatch.FromHistories([[5], [1, 2, 3], []]));

        var mine = new BruteForceScorer(table).Retrieve(query, 10);
        var builtIn = new ManagedCandidateScorer(table).Retrieve(query, 10);

        mine.Items.Should().Equal(builtIn.Items);
        mine.Scores.Should().Equal(builtIn.Scores);
        mine.Interests.Should().Equal(builtIn.Interests);
        mine.ItemsOf(0).ToArray().Should().NotContain(5, "history items are excluded").And.Contain(17);
    }

    [Fact]
    public void BruteForceScorer_PlugsIntoTheRecommender()
    {
        manual_seed(3);
        using var model = new MultiInterestModel(new ModelConfig { ItemCount = 50, Dimension = 8, Interests = 2, MaxLength = 5 });

        using var recommender = new MultiInterestRecommender(model, new BruteForceScorer(MultiInterestRecommender.ItemTable(model)));
        var result = recommender.Retrieve(HistoryBatch.FromHistories([[1, 2, 3]]), topN: 10, excludeHistory: true);

        using var builtIn = new MultiInterestRecommender(model);
        var expected = builtIn.Retrieve(HistoryBatch.FromHistories([[1, 2, 3]]), topN: 10, excludeHistory: true);
        result.Items.Should().Equal(expected.Items);
        result.Interests.Should().Equal(expected.Interests);
        result.Scores.Should().BeEquivalentTo(expected.Scores, o => o.Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-5f)).WhenTypeIs<float>());
    }
}
