using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Diagnostics;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Tests.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Diagnostics;

/// <summary><see cref="InterestDiagnostics.Compute"/> on a tiny seeded model against a naive computation (double loops) of
/// the mean pairwise interest cosine, KL(R ‖ A), the reconstruction error and planted-topic purity and coverage, from the
/// model's own Z, A, log A and X on the same histories.</summary>
public sealed class InterestDiagnosticsTests
{
    private const int D = 4, K = 3, L = 5, Items = 12;

    // Row 0 is longer than L (the last 5 are kept); row 2 has one item (no positive); the rest mix topics.
    private static readonly int[][] Histories = [[1, 2, 5, 9, 10, 3, 4], [5, 6, 1], [7], [9, 11, 12, 2], [3, 8, 12, 4, 6]];

    /// <summary>A hand-made topic function: items 1–4 topic 0, 5–8 topic 1, 9–12 topic 2.</summary>
    private static int Topic(int item) => (item - 1) / 4;

    private static EvaluationSet Users()
    {
        var offsets = new int[Histories.Length + 1];
        for (var i = 0; i < Histories.Length; i++) offsets[i + 1] = offsets[i] + Histories[i].Length;
        var targetOffsets = Enumerable.Range(0, Histories.Length + 1).ToArray();
        return new EvaluationSet(Enumerable.Range(0, Histories.Length).ToArray(), offsets, Histories.SelectMany(h => h).ToArray(), targetOffsets, Enumerable.Repeat(1, Histories.Length).ToArray());
    }

    /// <summary>Standard-normal item embeddings so that the untrained attention is far from uniform (A clear of 1/n).</summary>
    private static MultiInterestModel Model(bool reverse)
    {
        manual_seed(2024);
        return new MultiInterestModel(new ModelConfig { ItemCount = Items, Dimension = D, Interests = K, MaxLength = L, ReverseHistory = reverse, ItemInitialization = EmbeddingInitialization.StandardNormal });
    }

    private sealed record Expected(double Distinctness, double Kl, double Reconstruction, double Purity, double Coverage);

    private static Expected Naively(MultiInterestModel model, ReConstructFlow generator, bool reverse)
    {
        // The model's input, built here independently: the last ≤ L items, oldest first (or most recent first), left-aligned.
        var u = Histories.Length;
        var kept = Histories.Select(h => h[Math.Max(0, h.Length - L)..]).ToArray();
        var ids = new long[u * L];
        for (var b = 0; b < u; b++)
        {
            for (var i = 0; i < kept[b].Length; i++) ids[b * L + i] = reverse ? kept[b][kept[b].Length - 1 - i] : kept[b][i];
        }

        double[] z, a, logA, x;
        model.eval();
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (output, history, _) = model.Encode(tensor(ids, [u, L]));
            z = Naive.ToDouble(Naive.Values(output.Interests));
            a = Naive.ToDouble(Naive.Values(output.Attention));
            logA = Naive.ToDouble(Naive.Values(output.LogAttention));
            x = Naive.ToDouble(Naive.Values(history));
        }

        var shape = new FlowShape(u, K, L, D, kept.Select(h => h.Length).ToArray());

        // The positive rule must not hinge on float rounding in this case.
        for (var b = 0; b < u; b++)
        {
            var n = shape.N(b);
            if (n == 1) continue;
            for (var k = 0; k < K; k++)
            {
                for (var l = 0; l < n; l++) Math.Abs(a[(b * K + k) * L + l] - 1.0 / n).Should().BeGreaterThan(1e-4, "A({0},{1},{2}) is clear of 1/n", b, k, l);
            }
        }

        double cos = 0, kl = 0;
        for (var b = 0; b < u; b++)
        {
            for (var k = 0; k < K; k++)
            {
                var zk = NaiveFlows.Normalize(Naive.Row(z, (b * K + k) * D, D));
                for (var j = 0; j < K; j++)
                {
                    if (j != k) cos += Naive.Dot(zk, NaiveFlows.Normalize(Naive.Row(z, (b * K + j) * D, D)));
                }

                var r = NaiveFlows.ReAttention(shape, z, x, b, k);
                for (var l = 0; l < r.Length; l++) kl += r[l] * (Math.Log(r[l]) - logA[(b * K + k) * L + l]);
            }
        }

        var (total, positives) = NaiveFlows.ConstructSum(shape, Naive.Parameters(generator), z, x, a, PositiveThreshold.Adaptive, 0.1);

        double purity = 0, coverage = 0;
        int purityCount = 0, coverageCount = 0;
        for (var b = 0; b < u; b++)
        {
            var n = shape.N(b);
            int ItemAt(int position) => reverse ? kept[b][n - 1 - position] : kept[b][position];
            var majorities = new HashSet<int>();
            for (var k = 0; k < K; k++)
            {
                // Topic counts over the interest's positives (A > 1/n); ties go to the topic met first in position order.
                var counts = new int[3];
                var order = new List<int>();
                for (var l = 0; l < n; l++)
                {
                    if (!(a[(b * K + k) * L + l] > 1.0 / n)) continue;
                    var t = Topic(ItemAt(l));
                    if (counts[t]++ == 0) order.Add(t);
                }

                if (order.Count == 0) continue;
                var best = order.OrderByDescending(t => counts[t]).First();   // stable: the first met among the maxima
                purity += (double)counts[best] / counts.Sum();
                purityCount++;
                majorities.Add(best);
            }

            if (majorities.Count == 0) continue;
            coverage += (double)majorities.Count / Math.Min(K, kept[b].Select(Topic).Distinct().Count());
            coverageCount++;
        }

        purityCount.Should().BeGreaterThan(0);
        return new Expected(cos / (u * K * (K - 1)), kl / (u * K), total / (positives * D), purity / purityCount, coverage / coverageCount);
    }

    [Theory]
    [InlineData(false, 256)]
    [InlineData(true, 256)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    public void Compute_MatchesANaiveComputation(bool reverse, int batchSize)
    {
        using var model = Model(reverse);
        manual_seed(99);
        using var generator = new ReConstructFlow(D, L);
        var expected = Naively(model, generator, reverse);
        model.train();
        var report = InterestDiagnostics.Compute(model, Users(), Topic, generator, batchSize);

        model.training.Should().BeTrue("Compute restores the training mode");
        report.Users.Should().Be(Histories.Length);
        report.Distinctness.Should().BeApproximately(expected.Distinctness, 1e-5, "the mean pairwise interest cosine");
        report.AttentionDisagreement.Should().BeApproximately(expected.Kl, 1e-5 * Math.Max(1, expected.Kl), "mean KL(R ‖ A)");
        report.ReconstructionError.Should().NotBeNull();
        report.ReconstructionError!.Value.Should().BeApproximately(expected.Reconstruction, 1e-5 * Math.Max(1, expected.Reconstruction), "the mean squared error per dimension over all positive cells");
        report.TopicPurity.Should().NotBeNull();
        report.TopicPurity!.Value.Should().BeApproximately(expected.Purity, 1e-12, "topic purity");
        report.TopicCoverage.Should().NotBeNull();
        report.TopicCoverage!.Value.Should().BeApproximately(expected.Coverage, 1e-12, "topic coverage");
    }

    [Fact]
    public void Compute_LeavesTopicAndReconstructionEntriesNull_WithoutTopicsOrGenerator_AndNoDistinctnessForK1()
    {
        manual_seed(7);
        using var model = new MultiInterestModel(new ModelConfig { ItemCount = Items, Dimension = D, Interests = 1, MaxLength = L });
        var report = InterestDiagnostics.Compute(model, Users());
        report.ReconstructionError.Should().BeNull();
        report.TopicPurity.Should().BeNull();
        report.TopicCoverage.Should().BeNull();
        double.IsNaN(report.Distinctness).Should().BeTrue("one interest has no pair");
        double.IsFinite(report.AttentionDisagreement).Should().BeTrue();
    }
}
