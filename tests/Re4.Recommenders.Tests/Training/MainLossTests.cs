using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The main loss (docs/concepts.md, "Main loss") against naive double formulas: k* = argmax_k ⟨u_k, e_y⟩ without gradient through the
/// choice; full softmax over items 1..N; sampled softmax with logQ correction and accidental hits removed.</summary>
public sealed class MainLossTests
{
    private const int B = 3, K = 3, D = 4, N = 6;
    private static readonly long[] Targets = [2, 5, 3];
    private static readonly long[] Negatives = [5, 1, 4, 2];   // row 0's target 2 and row 1's target 5 are accidental hits
    private static readonly float[] NegativeLogQ = [-1.5f, -0.2f, -2.75f, -0.9f];
    private static readonly float[] TargetLogQ = [-0.9f, -1.5f, -2.1f];

    private static float[] Interests() => Naive.RandomFloats(101, B * K * D);

    private static float[] Table()
    {
        var t = Naive.RandomFloats(102, (N + 1) * D);
        Array.Clear(t, 0, D);
        return t;
    }

    private static double Score(double[] interests, int b, int k, double[] table, long item)
    {
        var s = 0.0;
        for (var i = 0; i < D; i++) s += interests[(b * K + k) * D + i] * table[item * D + i];
        return s;
    }

    /// <summary>k* for row b, with the margin to the runner-up.</summary>
    private static (int Best, double Margin) NaiveChoice(double[] interests, double[] table, int b, long target)
    {
        var scores = Enumerable.Range(0, K).Select(k => Score(interests, b, k, table, target)).ToArray();
        var best = Array.IndexOf(scores, scores.Max());
        var runnerUp = scores.Where((_, k) => k != best).Max();
        return (best, scores[best] - runnerUp);
    }

    private static double NaiveFull(double[] interests, double[] table)
    {
        var total = 0.0;
        for (var b = 0; b < B; b++)
        {
            var k = NaiveChoice(interests, table, b, Targets[b]).Best;
            var logits = Enumerable.Range(1, N).Select(j => Score(interests, b, k, table, j)).ToArray();
            var max = logits.Max();
            var lse = max + Math.Log(logits.Sum(s => Math.Exp(s - max)));
            total += lse - logits[Targets[b] - 1];
        }

        return total / B;
    }

    /// <summary>−log(exp(s_pos − logQ_pos) / (exp(s_pos − logQ_pos) + Σ_j exp(s_j − logQ_j))) over negatives j ≠ y_b.</summary>
    private static double NaiveSampled(double[] interests, double[] table, bool logQ)
    {
        var total = 0.0;
        for (var b = 0; b < B; b++)
        {
            var k = NaiveChoice(interests, table, b, Targets[b]).Best;
            var positive = Score(interests, b, k, table, Targets[b]) - (logQ ? TargetLogQ[b] : 0);
            var denominator = Math.Exp(positive);
            for (var j = 0; j < Negatives.Length; j++)
            {
                if (Negatives[j] == Targets[b]) continue;   // accidental hit
                denominator += Math.Exp(Score(interests, b, k, table, Negatives[j]) - (logQ ? NegativeLogQ[j] : 0));
            }

            total += -Math.Log(Math.Exp(positive) / denominator);
        }

        return total / B;
    }

    [Fact]
    public void Fixture_HasUnambiguousChoices()
    {
        var interests = Naive.ToDouble(Interests());
        var table = Naive.ToDouble(Table());
        for (var b = 0; b < B; b++) NaiveChoice(interests, table, b, Targets[b]).Margin.Should().BeGreaterThan(0.01, "row {0}", b);
        Enumerable.Range(0, B).Select(b => NaiveChoice(interests, table, b, Targets[b]).Best).Distinct().Should().HaveCountGreaterThan(1,
            "the rows should not all pick the same interest");
    }

    [Fact]
    public void SelectInterest_PicksTheArgmax_AndPassesNoGradientThroughTheChoice()
    {
        using var scope = NewDisposeScope();
        var interestValues = Interests();
        var tableValues = Table();
        var interests = tensor(interestValues, [B, K, D]).requires_grad_();
        var targetEmbeddings = tensor(Targets.SelectMany(y => tableValues.Skip((int)y * D).Take(D)).ToArray(), [B, D]).requires_grad_();
        var weights = Naive.RandomFloats(103, B * D);

        var selected = MainLoss.SelectInterest(interests, targetEmbeddings);
        (selected * tensor(weights, [B, D])).sum().backward();

        var expected = new double[B * D];
        var expectedGrad = new double[B * K * D];
        for (var b = 0; b < B; b++)
        {
            var k = NaiveChoice(Naive.ToDouble(interestValues), Naive.ToDouble(tableValues), b, Targets[b]).Best;
            for (var i = 0; i < D; i++)
            {
                expected[b * D + i] = interestValues[(b * K + k) * D + i];
                expectedGrad[(b * K + k) * D + i] = weights[b * D + i];
            }
        }

        selected.shape.Should().Equal(B, D);
        Naive.ShouldBeClose(selected, expected, 0, "u_k*");
        Naive.ShouldBeClose(interests.grad!, expectedGrad, 0, "d/dU: only the chosen interest");
        if (targetEmbeddings.grad is { } g) Naive.Values(g).Should().OnlyContain(v => v == 0f, "the choice passes no gradient to e_y");
    }

    [Fact]
    public void Full_EqualsTheNaiveSoftmaxCrossEntropyOverItems1ToN()
    {
        using var scope = NewDisposeScope();
        var interests = Interests();
        var table = Table();
        var loss = MainLoss.Full(tensor(interests, [B, K, D]), tensor(table, [N + 1, D]), tensor(Targets, [B]));
        loss.dim().Should().Be(0);
        ((double)loss.item<float>()).Should().BeApproximately(NaiveFull(Naive.ToDouble(interests), Naive.ToDouble(table)), 1e-5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sampled_EqualsTheNaiveFormulaWithAccidentalHitsRemoved(bool logQ)
    {
        using var scope = NewDisposeScope();
        var interests = Interests();
        var table = Table();
        var loss = MainLoss.Sampled(tensor(interests, [B, K, D]), tensor(table, [N + 1, D]), tensor(Targets, [B]), tensor(Negatives, [Negatives.Length]),
            logQ ? tensor(NegativeLogQ, [Negatives.Length]) : null, logQ ? tensor(TargetLogQ, [B]) : null);
        var naive = NaiveSampled(Naive.ToDouble(interests), Naive.ToDouble(table), logQ);
        ((double)loss.item<float>()).Should().BeApproximately(naive, 1e-5);

        // Contrast: keeping the accidental hits would give another value, so the comparison above sees their removal.
        var withHits = 0.0;
        var id = Naive.ToDouble(interests);
        var td = Naive.ToDouble(table);
        for (var b = 0; b < B; b++)
        {
            var k = NaiveChoice(id, td, b, Targets[b]).Best;
            var positive = Score(id, b, k, td, Targets[b]) - (logQ ? TargetLogQ[b] : 0);
            var denominator = Math.Exp(positive) + Negatives.Select((j, n) => Math.Exp(Score(id, b, k, td, j) - (logQ ? NegativeLogQ[n] : 0))).Sum();
            withHits += (Math.Log(denominator) - positive) / B;
        }

        Math.Abs(withHits - naive).Should().BeGreaterThan(1e-3);
    }

    [Fact]
    public void Sampled_IsTheFullSoftmax_WhenTheNegativesAreAllOtherItems()
    {
        // One target per row and every item as a negative (hits removed, no correction) is the full softmax.
        using var scope = NewDisposeScope();
        var interests = tensor(Interests(), [B, K, D]);
        var table = tensor(Table(), [N + 1, D]);
        var all = tensor(Enumerable.Range(1, N).Select(i => (long)i).ToArray(), [N]);
        var sampled = MainLoss.Sampled(interests, table, tensor(Targets, [B]), all, null, null).item<float>();
        var full = MainLoss.Full(interests, table, tensor(Targets, [B])).item<float>();
        sampled.Should().BeApproximately(full, 1e-5f);
    }

    /// <summary>Autograd against central differences of the naive loss (double; step 1e-3, so the truncation error is
    /// O(1e-6)); relative tolerance 1e-3 with a floor of 1e-2 on the scale for entries near 0.</summary>
    private static void GradientsMatch(Tensor grad, double[] at, Func<double[], double> naive, string what)
    {
        const double step = 1e-3;
        var g = Naive.Values(grad);
        g.Length.Should().Be(at.Length);
        for (var i = 0; i < at.Length; i++)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[i] += step;
            minus[i] -= step;
            var fd = (naive(plus) - naive(minus)) / (2 * step);
            ((double)g[i]).Should().BeApproximately(fd, 1e-3 * Math.Max(Math.Abs(fd), 1e-2), "{0}[{1}]", what, i);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sampled_HasGradientsMatchingFiniteDifferences(bool logQ)
    {
        using var scope = NewDisposeScope();
        var interestValues = Interests();
        var tableValues = Table();
        var interests = tensor(interestValues, [B, K, D]).requires_grad_();
        var table = tensor(tableValues, [N + 1, D]).requires_grad_();
        var loss = MainLoss.Sampled(interests, table, tensor(Targets, [B]), tensor(Negatives, [Negatives.Length]),
            logQ ? tensor(NegativeLogQ, [Negatives.Length]) : null, logQ ? tensor(TargetLogQ, [B]) : null);
        loss.backward();

        var id = Naive.ToDouble(interestValues);
        var td = Naive.ToDouble(tableValues);
        GradientsMatch(table.grad!, td, t => NaiveSampled(id, t, logQ), "d/dtable");
        GradientsMatch(interests.grad!, id, u => NaiveSampled(u, td, logQ), "d/dU");
        Naive.Values(table.grad![6]).Should().OnlyContain(v => v == 0f, "item 6 is neither a target nor a negative");
    }

    [Fact]
    public void Full_HasGradientsMatchingFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var interestValues = Interests();
        var tableValues = Table();
        var interests = tensor(interestValues, [B, K, D]).requires_grad_();
        var table = tensor(tableValues, [N + 1, D]).requires_grad_();
        MainLoss.Full(interests, table, tensor(Targets, [B])).backward();

        var id = Naive.ToDouble(interestValues);
        var td = Naive.ToDouble(tableValues);
        GradientsMatch(table.grad!, td, t => NaiveFull(id, t), "d/dtable");
        GradientsMatch(interests.grad!, id, u => NaiveFull(u, td), "d/dU");
        Naive.Values(table.grad![0]).Should().OnlyContain(v => v == 0f, "padding is not a class of the full softmax");
    }
}
