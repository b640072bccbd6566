using Re4.Recommenders.Tests.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>REMI's interest-aware hard negatives (docs/remi.md, "IHN") against a plain double loop: with s_j the selected
/// interest's score and s̃_j the (logQ-corrected) logit, loss = mean_b −log(e^{s̃+} / (e^{s̃+} + Σ_j w_j e^{s̃_j})),
/// w_j = e^{β s_j} / mean_i e^{β s_i}, sums and means over the row's negatives that are not its target.</summary>
public sealed class HardNegativeLossTests
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

    private static int Choice(double[] interests, double[] table, int b) =>
        Enumerable.Range(0, K).MaxBy(k => Score(interests, b, k, table, Targets[b]));

    /// <summary>The loss in double. The weights w are computed at (<paramref name="weightInterests"/>,
    /// <paramref name="weightTable"/>) when given (to differentiate with the weights held fixed), at the same point otherwise.</summary>
    private static double NaiveLoss(double[] interests, double[] table, long[] negatives, double beta, float[]? negativeLogQ, float[]? targetLogQ,
        double[]? weightInterests = null, double[]? weightTable = null, bool removeHits = true)
    {
        weightInterests ??= interests;
        weightTable ??= table;
        var total = 0.0;
        for (var b = 0; b < B; b++)
        {
            var k = Choice(interests, table, b);
            var positive = Score(interests, b, k, table, Targets[b]) - (targetLogQ?[b] ?? 0);
            var kept = Enumerable.Range(0, negatives.Length).Where(j => !removeHits || negatives[j] != Targets[b]).ToArray();
            var meanHardness = kept.Average(j => Math.Exp(beta * Score(weightInterests, b, k, weightTable, negatives[j])));
            var negativeSum = 0.0;
            foreach (var j in kept)
            {
                var w = Math.Exp(beta * Score(weightInterests, b, k, weightTable, negatives[j])) / meanHardness;
                negativeSum += w * Math.Exp(Score(interests, b, k, table, negatives[j]) - (negativeLogQ?[j] ?? 0));
            }

            total += Math.Log(Math.Exp(positive) + negativeSum) - positive;
        }

        return total / B;
    }

    private static Tensor Loss(Tensor interests, Tensor table, double beta, bool logQ, bool detach = false, long[]? negatives = null)
    {
        negatives ??= Negatives;
        return HardNegativeLoss.Sampled(interests, table, tensor(Targets, [B]), tensor(negatives, [negatives.Length]),
            logQ ? tensor(NegativeLogQ, [Negatives.Length]) : null, logQ ? tensor(TargetLogQ, [B]) : null,
            new HardNegativeOptions { Beta = beta, DetachWeights = detach });
    }

    [Fact]
    public void Fixture_HasUnambiguousChoices()
    {
        var interests = Naive.ToDouble(Interests());
        var table = Naive.ToDouble(Table());
        for (var b = 0; b < B; b++)
        {
            var scores = Enumerable.Range(0, K).Select(k => Score(interests, b, k, table, Targets[b])).OrderDescending().ToArray();
            (scores[0] - scores[1]).Should().BeGreaterThan(0.01, "row {0}'s choice must not flip under a finite-difference step", b);
        }
    }

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(0.5, false)]
    [InlineData(2.0, true)]
    [InlineData(2.0, false)]
    public void Sampled_EqualsTheNaiveFormula_WithLogQAndAccidentalHits(double beta, bool logQ)
    {
        using var scope = NewDisposeScope();
        var loss = Loss(tensor(Interests(), [B, K, D]), tensor(Table(), [N + 1, D]), beta, logQ);
        var naive = NaiveLoss(Naive.ToDouble(Interests()), Naive.ToDouble(Table()), Negatives, beta, logQ ? NegativeLogQ : null, logQ ? TargetLogQ : null);
        loss.dim().Should().Be(0);
        ((double)loss.item<float>()).Should().BeApproximately(naive, 1e-5);

        // Contrast: keeping the accidental hits in the sum and the weights' mean gives another value.
        var keepHits = NaiveLoss(Naive.ToDouble(Interests()), Naive.ToDouble(Table()), Negatives, beta, logQ ? NegativeLogQ : null, logQ ? TargetLogQ : null,
            removeHits: false);
        Math.Abs(keepHits - naive).Should().BeGreaterThan(1e-3);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sampled_IsThePlainSampledSoftmax_ForBetaZero(bool logQ)
    {
        using var scope = NewDisposeScope();
        var interests = tensor(Interests(), [B, K, D]);
        var table = tensor(Table(), [N + 1, D]);
        var plain = MainLoss.Sampled(interests, table, tensor(Targets, [B]), tensor(Negatives, [Negatives.Length]),
            logQ ? tensor(NegativeLogQ, [Negatives.Length]) : null, logQ ? tensor(TargetLogQ, [B]) : null).item<float>();
        Loss(interests, table, 0, logQ).item<float>().Should().BeApproximately(plain, 1e-6f);
    }

    [Fact]
    public void Sampled_GrowsWithBeta_WithoutCorrection()
    {
        // d/dβ [log Σ e^{(β+1)s} − log Σ e^{βs}] = E_{β+1}[s] − E_β[s] ≥ 0: harder weighting, larger loss.
        using var scope = NewDisposeScope();
        var interests = tensor(Interests(), [B, K, D]);
        var table = tensor(Table(), [N + 1, D]);
        var losses = new[] { 0.0, 0.5, 1, 2, 4, 8 }.Select(beta => Loss(interests, table, beta, logQ: false).item<float>()).ToArray();
        losses.Should().BeInAscendingOrder();
        (losses[^1] - losses[0]).Should().BeGreaterThan(0.01f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sampled_HasGradientsMatchingFiniteDifferences(bool logQ)
    {
        using var scope = NewDisposeScope();
        var interestValues = Naive.ToDouble(Interests());
        var tableValues = Naive.ToDouble(Table());
        var interests = tensor(Interests(), [B, K, D]).requires_grad_();
        var table = tensor(Table(), [N + 1, D]).requires_grad_();
        Loss(interests, table, 1.5, logQ).backward();
        float[]? nq = logQ ? NegativeLogQ : null, tq = logQ ? TargetLogQ : null;
        FlowAssert.GradientMatches(interests.grad, interestValues, u => NaiveLoss(u, tableValues, Negatives, 1.5, nq, tq), "dL/dU");
        FlowAssert.GradientMatches(table.grad, tableValues, t => NaiveLoss(interestValues, t, Negatives, 1.5, nq, tq), "dL/dE");
    }

    [Fact]
    public void DetachWeights_KeepsTheValue_AndDifferentiatesWithTheWeightsHeldFixed()
    {
        using var scope = NewDisposeScope();
        var interestValues = Naive.ToDouble(Interests());
        var tableValues = Naive.ToDouble(Table());
        var interests = tensor(Interests(), [B, K, D]).requires_grad_();
        var table = tensor(Table(), [N + 1, D]);
        var loss = Loss(interests, table, 1.5, logQ: true, detach: true);
        loss.item<float>().Should().BeApproximately(Loss(interests, table, 1.5, logQ: true).item<float>(), 1e-7f);
        loss.backward();
        FlowAssert.GradientMatches(interests.grad, interestValues,
            u => NaiveLoss(u, tableValues, Negatives, 1.5, NegativeLogQ, TargetLogQ, weightInterests: interestValues), "dL/dU, weights fixed");
    }

    [Fact]
    public void Full_EqualsTheNaiveFormula_OverEveryOtherItem()
    {
        using var scope = NewDisposeScope();
        var all = Enumerable.Range(1, N).Select(i => (long)i).ToArray();
        var loss = HardNegativeLoss.Full(tensor(Interests(), [B, K, D]), tensor(Table(), [N + 1, D]), tensor(Targets, [B]), new HardNegativeOptions { Beta = 2 });
        ((double)loss.item<float>()).Should().BeApproximately(NaiveLoss(Naive.ToDouble(Interests()), Naive.ToDouble(Table()), all, 2, null, null), 1e-5);
    }

    [Fact]
    public void Sampled_CountsNothing_ForARowWhoseOnlyNegativeIsItsTarget()
    {
        // Rows 0 and 2 have no negative left once the hit is removed (the target is ranked against nothing); row 1 has one.
        using var scope = NewDisposeScope();
        var interests = tensor(Interests(), [B, K, D]).requires_grad_();
        var table = tensor(Table(), [N + 1, D]);
        var targets = new long[] { 2, 5, 2 };
        var loss = HardNegativeLoss.Sampled(interests, table, tensor(targets, [B]), tensor(new long[] { 2 }, [1]), null, null, new HardNegativeOptions { Beta = 3 });
        var id = Naive.ToDouble(Interests());
        var td = Naive.ToDouble(Table());
        var k = Enumerable.Range(0, K).MaxBy(kk => Score(id, 1, kk, td, 5));
        var s1 = Score(id, 1, k, td, 5) - Score(id, 1, k, td, 2);
        ((double)loss.item<float>()).Should().BeApproximately(Math.Log(1 + Math.Exp(-s1)) / B, 1e-6, "w = 1 for a single negative");
        loss.backward();
        FlowAssert.AllFinite(interests.grad, "dL/dU");
    }

    [Fact]
    public void Options_AreValidated_WithTheParameterName()
    {
        new TrainerOptions { HardNegatives = new() { Beta = -1 } }.Invoking(o => o.Validate())
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("HardNegatives.Beta");
        new TrainerOptions { HardNegatives = new() { Beta = double.PositiveInfinity } }.Invoking(o => o.Validate())
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("HardNegatives.Beta");
        var config = new Re4.Recommenders.Models.ModelConfig { Encoder = Re4.Recommenders.Extractors.ComiRecSaDescriptor.EncoderName, ItemCount = 10 };
        FluentActions.Invoking(() => new MultiInterestObjective(config, hardNegatives: new() { Beta = double.NaN }))
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("hardNegatives.Beta");
        new HardNegativeOptions().Beta.Should().Be(1, "docs/remi.md states the default");
    }
}
