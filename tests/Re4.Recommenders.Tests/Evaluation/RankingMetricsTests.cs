using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Tests.Evaluation;

/// <summary>Every <see cref="RankingMetrics"/> function on small cases worked out by hand (docs/evaluation.md).</summary>
public sealed class RankingMetricsTests
{
    private const double Tol = 1e-12;

    // Discounts used below, by hand:
    //   1/log2(2) = 1
    //   1/log2(3) = 0.6309297535714575
    //   1/log2(4) = 0.5
    //   1/log2(5) = 0.43067655807339306
    //   1/log2(27) = 0.2103099178571525
    private const double D0 = 1.0;
    private const double D1 = 0.6309297535714575;
    private const double D2 = 0.5;
    private const double D3 = 0.43067655807339306;

    [Fact]
    public void TestDiscounts_AreTheLog2Values()
    {
        // Guards the hand-typed constants themselves.
        D1.Should().BeApproximately(1 / Math.Log2(3), 1e-15);
        D3.Should().BeApproximately(1 / Math.Log2(5), 1e-15);
    }

    // ---- Duplicates in the ground truth: recall and recall_set differ, and the three NDCGs all differ. ----
    //   retrieved = [5, 3, 9] (N = 3), truth T = [3, 7, 3, 5] (time order, 3 twice), set(T) = {3, 5, 7}.
    private static readonly int[] DupRetrieved = [5, 3, 9];
    private static readonly int[] DupTruth = [3, 7, 3, 5];

    [Fact]
    public void HitRate_IsOne_WhenAnyRetrievedItemIsInTheTruth()
    {
        RankingMetrics.HitRate(DupRetrieved, DupTruth).Should().Be(1);
    }

    [Fact]
    public void Recall_CountsDuplicateTruthPositions()
    {
        // Positions of T whose item was retrieved: T0=3 yes, T1=7 no, T2=3 yes, T3=5 yes -> h = 3; |T| = 4 -> 3/4.
        RankingMetrics.Recall(DupRetrieved, DupTruth).Should().BeApproximately(0.75, Tol);
    }

    [Fact]
    public void RecallSet_UsesDistinctTruthItems()
    {
        // top ∩ set(T) = {5, 3} -> 2; |set(T)| = 3 -> 2/3.
        RankingMetrics.RecallSet(DupRetrieved, DupTruth).Should().BeApproximately(2.0 / 3.0, Tol);
    }

    [Fact]
    public void Ndcg_MatchesTheHandComputedValue_WithDuplicates()
    {
        // DCG over retrieved ranks: r0 = 5 ∈ T -> 1, r1 = 3 ∈ T -> 0.63093, r2 = 9 no.  DCG = 1.6309297535714575
        // IDCG over min(|set(T)| = 3, N = 3) = 3 positions: 1 + 0.63093 + 0.5 = 2.1309297535714575
        // NDCG = 1.6309297535714575 / 2.1309297535714575 = 0.7653606369886217
        RankingMetrics.Ndcg(DupRetrieved, DupTruth, 3).Should().BeApproximately((D0 + D1) / (D0 + D1 + D2), Tol);
        RankingMetrics.Ndcg(DupRetrieved, DupTruth, 3).Should().BeApproximately(0.7653606369886217, 1e-12);
    }

    [Fact]
    public void NdcgComiRec_MatchesTheHandComputedMasterValue_WithDuplicates()
    {
        // DCG = 1 + 0.63093 (same as standard); h = 2 retrieved hits -> IDCG = 1 + 0.63093 -> NDCG = 1.
        RankingMetrics.NdcgComiRec(DupRetrieved, DupTruth).Should().BeApproximately(1.0, Tol);
    }

    [Fact]
    public void NdcgComiRecPaper_MatchesTheHandComputedValue_WithDuplicates()
    {
        // Positions p of T with T_p retrieved: p0 (3) -> 1, p2 (3) -> 1/log2(4) = 0.5, p3 (5) -> 1/log2(5) = 0.43068.
        // DCG = 1.9306765580733931; h = 3 -> IDCG = 1 + 0.63093 + 0.5 = 2.1309297535714575
        // NDCG = 0.9060254355346823
        RankingMetrics.NdcgComiRecPaper(DupRetrieved, DupTruth).Should().BeApproximately((D0 + D2 + D3) / (D0 + D1 + D2), Tol);
        RankingMetrics.NdcgComiRecPaper(DupRetrieved, DupTruth).Should().BeApproximately(0.9060254355346823, 1e-12);
    }

    [Fact]
    public void NdcgFlavoursAndRecalls_AllDiffer_OnDuplicates()
    {
        var standard = RankingMetrics.Ndcg(DupRetrieved, DupTruth, 3);
        var master = RankingMetrics.NdcgComiRec(DupRetrieved, DupTruth);
        var paper = RankingMetrics.NdcgComiRecPaper(DupRetrieved, DupTruth);
        new[] { standard, master, paper }.Should().OnlyHaveUniqueItems();
        RankingMetrics.Recall(DupRetrieved, DupTruth).Should().NotBe(RankingMetrics.RecallSet(DupRetrieved, DupTruth));
    }

    // ---- No hit: everything is 0. ----
    [Fact]
    public void AllMetrics_AreZero_WithoutAHit()
    {
        int[] retrieved = [1, 2, 3];
        int[] truth = [4, 5, 4];
        RankingMetrics.HitRate(retrieved, truth).Should().Be(0);
        RankingMetrics.Recall(retrieved, truth).Should().Be(0);
        RankingMetrics.RecallSet(retrieved, truth).Should().Be(0);
        RankingMetrics.Ndcg(retrieved, truth, 3).Should().Be(0);
        RankingMetrics.NdcgComiRec(retrieved, truth).Should().Be(0);
        RankingMetrics.NdcgComiRecPaper(retrieved, truth).Should().Be(0);
    }

    // ---- Empty retrieved list (nothing could be retrieved): everything is 0. ----
    [Fact]
    public void AllMetrics_AreZero_ForAnEmptyRetrievedList()
    {
        int[] truth = [4, 5];
        RankingMetrics.HitRate([], truth).Should().Be(0);
        RankingMetrics.Recall([], truth).Should().Be(0);
        RankingMetrics.RecallSet([], truth).Should().Be(0);
        RankingMetrics.Ndcg([], truth, 20).Should().Be(0);
        RankingMetrics.NdcgComiRec([], truth).Should().Be(0);
        RankingMetrics.NdcgComiRecPaper([], truth).Should().Be(0);
    }

    [Fact]
    public void AllMetrics_AreZero_ForAnEmptyTruth()
    {
        int[] retrieved = [1, 2];
        RankingMetrics.HitRate(retrieved, []).Should().Be(0);
        RankingMetrics.Recall(retrieved, []).Should().Be(0);
        RankingMetrics.RecallSet(retrieved, []).Should().Be(0);
        RankingMetrics.Ndcg(retrieved, [], 2).Should().Be(0);
        RankingMetrics.NdcgComiRec(retrieved, []).Should().Be(0);
        RankingMetrics.NdcgComiRecPaper(retrieved, []).Should().Be(0);
    }

    // ---- N larger than |set(T)|: the standard IDCG covers only min(|set(T)|, N) positions. ----
    [Fact]
    public void Ndcg_CapsTheIdealBySetSize_WhenNExceedsIt()
    {
        // retrieved = [9, 4, 8, 2, 7] (N = 5), T = [4, 4], set(T) = {4}.
        // DCG: r1 = 4 -> 1/log2(3) = 0.63093; IDCG over min(1, 5) = 1 position = 1 -> NDCG = 0.6309297535714575.
        int[] retrieved = [9, 4, 8, 2, 7];
        int[] truth = [4, 4];
        RankingMetrics.Ndcg(retrieved, truth, 5).Should().BeApproximately(D1, Tol);
        // master: h = 1 -> IDCG = 1 -> 0.63093 as well.
        RankingMetrics.NdcgComiRec(retrieved, truth).Should().BeApproximately(D1, Tol);
        // paper: positions p0 and p1 of T are both retrieved -> DCG = 1 + 0.63093, h = 2 -> IDCG = 1 + 0.63093 -> 1.
        RankingMetrics.NdcgComiRecPaper(retrieved, truth).Should().BeApproximately(1.0, Tol);
        // recall = 2/2 = 1, recall_set = 1/1 = 1.
        RankingMetrics.Recall(retrieved, truth).Should().BeApproximately(1.0, Tol);
        RankingMetrics.RecallSet(retrieved, truth).Should().BeApproximately(1.0, Tol);
    }

    [Fact]
    public void Ndcg_CapsTheIdealByN_WhenTheTruthIsLarger()
    {
        // retrieved = [1, 2] (N = 2), T = [1, 5, 6]: DCG = 1 (r0); IDCG over min(3, 2) = 2 positions = 1.63093
        // -> NDCG = 1 / 1.6309297535714575 = 0.6131471927654584.
        int[] retrieved = [1, 2];
        int[] truth = [1, 5, 6];
        RankingMetrics.Ndcg(retrieved, truth, 2).Should().BeApproximately(1 / (D0 + D1), Tol);
        // master: one hit -> IDCG = 1 -> 1.
        RankingMetrics.NdcgComiRec(retrieved, truth).Should().BeApproximately(1.0, Tol);
    }

    [Fact]
    public void Ndcg_UsesNNotTheRetrievedLength_ForTheIdeal()
    {
        // Only 1 item could be retrieved although N = 5: retrieved = [1], T = [1, 2, 3].
        // DCG = 1; IDCG over min(3, 5) = 3 positions = 2.13093 -> 1 / 2.1309297535714575 = 0.46927872602275644.
        RankingMetrics.Ndcg([1], [1, 2, 3], 5).Should().BeApproximately(1 / (D0 + D1 + D2), Tol);
    }

    [Fact]
    public void Ndcg_IsOne_ForAPerfectList()
    {
        RankingMetrics.Ndcg([3, 2, 1], [1, 2, 3], 3).Should().BeApproximately(1.0, Tol);
    }

    [Fact]
    public void NdcgComiRecPaper_IgnoresTheRetrievalRank_WhileTheOthersDoNot()
    {
        // T = [7, 8, 9]. List A retrieves 7 at rank 0; list B retrieves 7 at rank 2.
        // paper: position p0 hit in both -> DCG = 1, h = 1 -> 1 for both.
        // master: A -> 1; B -> (1/log2(4)) / 1 = 0.5.
        // standard (N = 3): A -> 1 / (1 + 0.63093 + 0.5) = 0.46928; B -> 0.5 / 2.13093 = 0.23464.
        int[] a = [7, 1, 2];
        int[] b = [1, 2, 7];
        int[] truth = [7, 8, 9];
        RankingMetrics.NdcgComiRecPaper(a, truth).Should().BeApproximately(1.0, Tol);
        RankingMetrics.NdcgComiRecPaper(b, truth).Should().BeApproximately(1.0, Tol);
        RankingMetrics.NdcgComiRec(a, truth).Should().BeApproximately(1.0, Tol);
        RankingMetrics.NdcgComiRec(b, truth).Should().BeApproximately(D2, Tol);
        RankingMetrics.Ndcg(a, truth, 3).Should().BeApproximately(D0 / (D0 + D1 + D2), Tol);
        RankingMetrics.Ndcg(b, truth, 3).Should().BeApproximately(D2 / (D0 + D1 + D2), Tol);
    }

    [Fact]
    public void NdcgComiRecPaper_UsesTruthPositions()
    {
        // T = [1, 2, 3, 4], retrieved = [4] -> only position p3 hit: DCG = 1/log2(5) = 0.43068, h = 1 -> IDCG = 1
        // -> 0.43067655807339306 (the master version gives 1: rank 0 hit, h = 1).
        RankingMetrics.NdcgComiRecPaper([4], [1, 2, 3, 4]).Should().BeApproximately(D3, Tol);
        RankingMetrics.NdcgComiRec([4], [1, 2, 3, 4]).Should().BeApproximately(1.0, Tol);
        // recall = 1/4, recall_set = 1/4, hit rate 1.
        RankingMetrics.Recall([4], [1, 2, 3, 4]).Should().BeApproximately(0.25, Tol);
        RankingMetrics.RecallSet([4], [1, 2, 3, 4]).Should().BeApproximately(0.25, Tol);
        RankingMetrics.HitRate([4], [1, 2, 3, 4]).Should().Be(1);
    }

    [Fact]
    public void Recall_CountsDuplicates_EvenWhenAllAreRetrieved()
    {
        // T = [2, 2, 2, 6], retrieved = [2]: h = 3 positions of 4 -> 0.75; set(T) = {2, 6} -> 1/2.
        RankingMetrics.Recall([2], [2, 2, 2, 6]).Should().BeApproximately(0.75, Tol);
        RankingMetrics.RecallSet([2], [2, 2, 2, 6]).Should().BeApproximately(0.5, Tol);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Ndcg_ThrowsForNonPositiveN(int n)
    {
        var act = () => RankingMetrics.Ndcg([1], [1], n);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
