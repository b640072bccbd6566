using Re4.Recommenders.PgVector;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.PgVector;

/// <summary>The client-side merge of shards, with exact in-process shards (no database): two halves of a gallery give
/// the whole gallery's answer, bit for bit, and ties follow the scorer contract.</summary>
public sealed class ShardedCandidateScorerTests
{
    [Fact]
    public void Retrieve_OverTwoHalves_EqualsTheWholeGallery()
    {
        const int n = 500, d = 16, k = 4, users = 7, topN = 12;
        var table = PgVectorTestData.Table(n, d, seed: 41);
        // Each shard sees the whole id space; rows of the other shard are NaN, whose scores are never returned.
        var shards = Enumerable.Range(0, 2).Select(s =>
        {
            var data = PgVectorTestData.Flat(table);
            for (var item = 1; item <= n; item++)
            {
                if (PgVectorLayout.ShardOf(item, 2) != s) data.AsSpan(item * d, d).Fill(float.NaN);
            }

            return (ICandidateScorer)new ManagedCandidateScorer(new ItemEmbeddingTable(data, d), 1);
        }).ToList();
        var query = new CandidateQuery(PgVectorTestData.Interests(users, k, d, seed: 42), users, k, PgVectorTestData.Histories(users, 30, n, seed: 43));
        using var sharded = new ShardedCandidateScorer(shards);

        var actual = sharded.Retrieve(query, topN);
        var expected = new ManagedCandidateScorer(table, 1).Retrieve(query, topN);

        actual.Items.Should().Equal(expected.Items);
        actual.Scores.Should().Equal(expected.Scores);
        actual.Interests.Should().Equal(expected.Interests);
    }

    [Fact]
    public void Retrieve_BreaksTiesByLowerItemThenLowerInterest()
    {
        // Item 2 and item 3 tie at 1 across shards; item 3 reaches 1 through both interests.
        var data = new float[] { 0, 0, /* 1 */ 0.5f, 0, /* 2 */ 1, 0, /* 3 */ 1, 1 };
        var left = new float[] { 0, 0, 0.5f, 0, float.NaN, float.NaN, 1, 1 };
        var right = new float[] { 0, 0, float.NaN, float.NaN, 1, 0, float.NaN, float.NaN };
        using var sharded = new ShardedCandidateScorer([new ManagedCandidateScorer(new ItemEmbeddingTable(right, 2), 1), new ManagedCandidateScorer(new ItemEmbeddingTable(left, 2), 1)]);
        var query = new CandidateQuery(new float[] { 1, 0, 0, 1 }, 1, 2);   // interests e1, e2

        var result = sharded.Retrieve(query, 4);

        result.Items.Should().Equal(2, 3, 1, 0);
        result.Scores.Should().Equal(1, 1, 0.5f, float.NegativeInfinity);
        result.Interests.Should().Equal(0, 0, 0, -1);
        result.Items.Take(3).Should().Equal(new ManagedCandidateScorer(new ItemEmbeddingTable(data, 2), 1).Retrieve(query, 3).Items);
    }

    [Fact]
    public void Constructor_Throws_WhenShardsDisagreeOnTheGallery()
    {
        var a = new ManagedCandidateScorer(PgVectorTestData.Table(10, 4, 1));
        var b = new ManagedCandidateScorer(PgVectorTestData.Table(11, 4, 1));

        var act = () => new ShardedCandidateScorer([a, b]);

        act.Should().Throw<ArgumentException>().WithMessage("*Shard 1 has N = 11*").Which.ParamName.Should().Be("shards");
    }
}
