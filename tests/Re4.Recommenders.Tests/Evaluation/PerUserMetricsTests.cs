using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Tests.Evaluation;

public sealed class PerUserMetricsTests
{
    // user 0: T = [3, 7, 3, 5], list [5, 3, 9]; user 1: T = [4], list [1, 2]; user 2: T = [8], 8 at rank 25 (0-based) of 30.
    private static readonly int[] User2List = Enumerable.Range(11, 30).Select(i => i == 36 ? 8 : i).ToArray();

    private static EvaluationSet Users() => RetrievalEvaluatorTests.MakeSet(([100], [3, 7, 3, 5]), ([101], [4]), ([102], [8]));

    private static EvaluationResult Evaluate(bool keep) =>
        RetrievalEvaluator.Evaluate(new ScriptedRecommender(new() { [100] = [5, 3, 9], [101] = [1, 2], [102] = User2List }), Users(),
            new EvaluationOptions { KeepRecommendations = keep });

    [Fact]
    public void Compute_GivesEachUsersMetric_ByHand()
    {
        var result = Evaluate(keep: true);

        // Recall counts ground-truth positions: user 0 retrieves 3, 3 and 5 of [3, 7, 3, 5].
        PerUserMetrics.Compute(result, Users(), "recall@50").Should().Equal(0.75, 0, 1);
        PerUserMetrics.Compute(result, Users(), "recall@20").Should().Equal(0.75, 0, 0);
        // NDCG@50: user 0 hits ranks 0 and 1 of 3 distinct truths; user 2 hits rank 25 of 1.
        var ndcg = PerUserMetrics.Compute(result, Users(), "ndcg@50");
        ndcg[0].Should().BeApproximately((1 + 1 / Math.Log2(3)) / (1 + 1 / Math.Log2(3) + 1 / Math.Log2(4)), 1e-12);
        ndcg[1].Should().Be(0);
        ndcg[2].Should().BeApproximately(1 / Math.Log2(27), 1e-12);
        PerUserMetrics.Compute(result, Users(), "hitrate@20").Should().Equal(1, 0, 0);
    }

    [Theory]
    [InlineData("recall@50")]
    [InlineData("recall_set@20")]
    [InlineData("ndcg@20")]
    [InlineData("ndcg_comirec@50")]
    [InlineData("ndcg_comirec_paper@50")]
    public void Compute_AveragesToTheEvaluatorsMetric(string metric)
    {
        var result = Evaluate(keep: true);

        PerUserMetrics.Compute(result, Users(), metric).Average().Should().BeApproximately(result[metric], 1e-12);
    }

    [Fact]
    public void Compute_ThrowsWhenTheListsWereNotKept() =>
        FluentActions.Invoking(() => PerUserMetrics.Compute(Evaluate(keep: false), Users(), "recall@50"))
            .Should().Throw<ArgumentException>().WithMessage("*KeepRecommendations*");

    [Theory]
    [InlineData("recall@60")]
    [InlineData("precision@20")]
    [InlineData("recall")]
    public void Compute_ThrowsForAnUnknownMetric(string metric) =>
        FluentActions.Invoking(() => PerUserMetrics.Compute(Evaluate(keep: true), Users(), metric))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("metric");

    [Fact]
    public void Compute_ThrowsForOtherUsers() =>
        FluentActions.Invoking(() => PerUserMetrics.Compute(Evaluate(keep: true), RetrievalEvaluatorTests.MakeSet(([100], [3])), "recall@50"))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("users");
}
