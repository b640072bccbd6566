using Re4.Recommenders.Data;
using Re4.Recommenders.Scoring;

namespace Re4.Recommenders.Tests.Scoring;

public sealed class ScoringArgumentTests
{
    // ---- CandidateQuery ----

    [Fact]
    public void CandidateQuery_DerivesTheDimension()
    {
        var q = new CandidateQuery(new float[3 * 4 * 5], 3, 4);
        q.UserCount.Should().Be(3);
        q.InterestCount.Should().Be(4);
        q.Dimension.Should().Be(5);
        q.Exclude.Should().BeNull();
        q.Interests.Length.Should().Be(60);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void CandidateQuery_ThrowsForNonPositiveUserCount(int users)
    {
        FluentActions.Invoking(() => new CandidateQuery(new float[8], users, 1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void CandidateQuery_ThrowsForNonPositiveInterestCount(int k)
    {
        FluentActions.Invoking(() => new CandidateQuery(new float[8], 1, k)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void CandidateQuery_ThrowsForEmptyInterests()
    {
        FluentActions.Invoking(() => new CandidateQuery(ReadOnlyMemory<float>.Empty, 1, 1)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void CandidateQuery_ThrowsForABufferNotAMultipleOfBK()
    {
        FluentActions.Invoking(() => new CandidateQuery(new float[10], 2, 2)).Should().Throw<ArgumentException>().WithMessage("*B·K = 4*");
    }

    [Fact]
    public void CandidateQuery_ThrowsForExcludeRowCountMismatch()
    {
        var exclude = HistoryBatch.FromHistories([[1], [2], [3]]);
        FluentActions.Invoking(() => new CandidateQuery(new float[2 * 4], 2, 1, exclude))
            .Should().Throw<ArgumentException>().WithParameterName("exclude");
    }

    // ---- CandidateResult ----

    [Fact]
    public void CandidateResult_ExposesRows()
    {
        var r = new CandidateResult(2, 3, [1, 2, 3, 4, 5, 6], new float[6], new int[6]);
        r.ItemsOf(1).ToArray().Should().Equal(4, 5, 6);
        r.UserCount.Should().Be(2);
        r.TopN.Should().Be(3);
    }

    [Fact]
    public void CandidateResult_ThrowsForNullArrays()
    {
        FluentActions.Invoking(() => new CandidateResult(1, 1, null!, new float[1], new int[1])).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new CandidateResult(1, 1, new int[1], null!, new int[1])).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new CandidateResult(1, 1, new int[1], new float[1], null!)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(5, 6, 6)]
    [InlineData(6, 5, 6)]
    [InlineData(6, 6, 7)]
    public void CandidateResult_ThrowsForArraysOfTheWrongLength(int items, int scores, int interests)
    {
        FluentActions.Invoking(() => new CandidateResult(2, 3, new int[items], new float[scores], new int[interests]))
            .Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(-1, 0, 0)]    // -1 · 0 = 0 matches empty arrays
    [InlineData(-2, -3, 6)]   // -2 · -3 = 6 matches arrays of 6
    [InlineData(1, 0, 0)]     // N = 0 is no top-N
    public void CandidateResult_ThrowsForNegativeOrZeroCounts(int users, int topN, int length)
    {
        FluentActions.Invoking(() => new CandidateResult(users, topN, new int[length], new float[length], new int[length]))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    // ---- ItemEmbeddingTable ----

    [Fact]
    public void ItemEmbeddingTable_ExposesRows()
    {
        float[] data = [0, 0, 1, 2, 3, 4, 5, 6];
        var t = new ItemEmbeddingTable(data, 2);
        t.ItemCount.Should().Be(3);
        t.Dimension.Should().Be(2);
        t[2].ToArray().Should().Equal(3f, 4f);
        t.Rows(1, 2).ToArray().Should().Equal(1f, 2f, 3f, 4f);
    }

    [Fact]
    public void ItemEmbeddingTable_ThrowsForNullData()
    {
        FluentActions.Invoking(() => new ItemEmbeddingTable(null!, 2)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void ItemEmbeddingTable_ThrowsForNonPositiveDimension(int d)
    {
        FluentActions.Invoking(() => new ItemEmbeddingTable(new float[8], d)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(7, 2)]   // not a multiple of d
    [InlineData(2, 2)]   // only the padding row: N = 0
    [InlineData(0, 3)]   // nothing at all
    public void ItemEmbeddingTable_ThrowsForBadLengths(int length, int d)
    {
        FluentActions.Invoking(() => new ItemEmbeddingTable(new float[length], d)).Should().Throw<ArgumentException>();
    }
}
