using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>Re-contrast (the paper's re-contrast loss; docs/concepts.md, "Backward flows") against <see cref="NaiveFlows.Contrast"/>: cosine at τ = 0.02 in doubles, positives
/// A &gt; γ (γ = 1/n_b or fixed), denominator over the row's valid items, its other interests and row b − 1's valid items.</summary>
public sealed class ReContrastFlowTests
{
    private static readonly FlowShape Shape = new(B: 3, K: 3, L: 5, D: 4, Lengths: [5, 3, 2]);

    private static ReContrastOptions Options(FlowNormalization normalization = FlowNormalization.AllCells, PositiveThreshold threshold = PositiveThreshold.Adaptive, bool neighbour = true, double fixedThreshold = 0.1) =>
        new() { Normalization = normalization, Threshold = threshold, NeighbourNegatives = neighbour, FixedThreshold = fixedThreshold };

    private static double Loss(FlowCase c, ReContrastOptions o)
    {
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        return new ReContrastFlow(o).ComputeLoss(context).item<float>();
    }

    private static void MatchesNaive(FlowCase c, ReContrastOptions o, string what)
    {
        using var scope = NewDisposeScope();
        var (context, _, _, _) = c.Tensors();
        var loss = new ReContrastFlow(o).ComputeLoss(context);
        FlowAssert.LossClose(loss, NaiveFlows.Contrast(c.Shape, c.Zd, c.Xd, c.Ad, o), what);
    }

    [Theory]
    [InlineData(FlowNormalization.AllCells, PositiveThreshold.Adaptive, true)]
    [InlineData(FlowNormalization.Positives, PositiveThreshold.Adaptive, true)]
    [InlineData(FlowNormalization.AllCells, PositiveThreshold.Fixed, true)]
    [InlineData(FlowNormalization.Positives, PositiveThreshold.Fixed, true)]
    [InlineData(FlowNormalization.AllCells, PositiveThreshold.Adaptive, false)]
    [InlineData(FlowNormalization.Positives, PositiveThreshold.Adaptive, false)]
    public void ComputeLoss_MatchesTheNaiveLoss(FlowNormalization normalization, PositiveThreshold threshold, bool neighbour)
    {
        // A fixed γ of 0.15 sits between entries drawn for n = 2..5; check it is really away from every A.
        var c = FlowCase.Random(Shape, seed: 41);
        c.A.Should().OnlyContain(v => Math.Abs(v - 0.15) > 0.005);
        MatchesNaive(c, Options(normalization, threshold, neighbour, fixedThreshold: 0.15), $"{normalization}/{threshold}/neighbour {neighbour}");
    }

    [Fact]
    public void Normalization_DividesTheSameSumByBKLOrByThePositives()
    {
        var c = FlowCase.Random(Shape, seed: 12);
        var positives = 0;
        for (var b = 0; b < Shape.B; b++)
        {
            for (var k = 0; k < Shape.K; k++)
            {
                for (var l = 0; l < Shape.N(b); l++) positives += c.A[(b * Shape.K + k) * Shape.L + l] > 1f / Shape.N(b) ? 1 : 0;
            }
        }

        positives.Should().BeGreaterThan(0);
        var all = Loss(c, Options(FlowNormalization.AllCells));
        var perPositive = Loss(c, Options(FlowNormalization.Positives));
        ((double)all * Shape.B * Shape.K * Shape.L).Should().BeApproximately((double)perPositive * positives, 1e-5 * Math.Abs(perPositive * positives));
    }

    [Fact]
    public void NeighbourNegatives_EnlargeTheDenominator()
    {
        var c = FlowCase.Random(Shape, seed: 13);
        Loss(c, Options(neighbour: true)).Should().BeGreaterThan(Loss(c, Options(neighbour: false)));
    }

    [Fact]
    public void ComputeLoss_MakesThatItemTheOnlyPositive_WhenAllAttentionIsOnOneItem()
    {
        var c = FlowCase.Random(Shape, seed: 14);
        for (var b = 0; b < Shape.B; b++)
        {
            for (var k = 0; k < Shape.K; k++) FlowData.OneHot(Shape, c.A, c.LogA, b, k, item: (b + k) % Shape.N(b));
        }

        MatchesNaive(c, Options(FlowNormalization.AllCells), "one-hot, all cells");
        MatchesNaive(c, Options(FlowNormalization.Positives), "one-hot, positives");
        // Exactly one positive per (b, k): the per-positive mean is the all-cells mean times L.
        Loss(c, Options(FlowNormalization.Positives)).Should().BeApproximately(Loss(c, Options(FlowNormalization.AllCells)) * Shape.L, 1e-4f);
    }

    [Fact]
    public void AdaptiveThreshold_GivesNoPositive_ForAOneItemUser()
    {
        // γ = 1/1 = 1 and A = 1: the strict A > γ excludes it.
        var shape = new FlowShape(B: 2, K: 2, L: 3, D: 4, Lengths: [1, 1]);
        var c = FlowCase.Random(shape, seed: 15);
        c.A.Where((_, i) => i % shape.L == 0).Should().OnlyContain(v => v == 1f);
        Loss(c, Options(FlowNormalization.AllCells)).Should().Be(0f);
        Loss(c, Options(FlowNormalization.Positives)).Should().Be(0f, "no positive: the per-positive mean is 0 by definition, not NaN");

        // With a fixed γ < 1 the same items are positives.
        var fixedOptions = Options(FlowNormalization.Positives, PositiveThreshold.Fixed, fixedThreshold: 0.5);
        Loss(c, fixedOptions).Should().BeGreaterThan(0f);
        MatchesNaive(c, fixedOptions, "one-item users, fixed γ");

        // Mixed with longer rows: the one-item row contributes nothing, the others match the naive loss.
        var mixed = FlowCase.Random(Shape with { Lengths = [4, 1, 3] }, seed: 16);
        MatchesNaive(mixed, Options(FlowNormalization.AllCells), "one-item row among others, all cells");
        MatchesNaive(mixed, Options(FlowNormalization.Positives), "one-item row among others, positives");
    }

    [Fact]
    public void AdaptiveThreshold_CountsValidItemsNotThePaddedLength()
    {
        // n = 2 of L = 5: A = (0.4, 0.6). γ = 1/2 makes only 0.6 a positive; the classic bug γ = 1/L = 0.2 makes both.
        var shape = new FlowShape(B: 2, K: 2, L: 5, D: 4, Lengths: [2, 2]);
        var c = FlowCase.Random(shape, seed: 17);
        for (var b = 0; b < shape.B; b++)
        {
            for (var k = 0; k < shape.K; k++)
            {
                c.A[(b * shape.K + k) * shape.L] = 0.4f;
                c.A[(b * shape.K + k) * shape.L + 1] = 0.6f;
            }
        }

        foreach (var normalization in new[] { FlowNormalization.AllCells, FlowNormalization.Positives })
        {
            var o = Options(normalization);
            var actual = (double)Loss(c, o);
            var right = NaiveFlows.Contrast(shape, c.Zd, c.Xd, c.Ad, o);
            var wrong = NaiveFlows.Contrast(shape, c.Zd, c.Xd, c.Ad, o, gammaOverride: _ => 1.0 / shape.L);
            Math.Abs(right - wrong).Should().BeGreaterThan(1e-2, "the case separates γ = 1/n from γ = 1/L");
            actual.Should().BeApproximately(right, 1e-5 * Math.Max(1, Math.Abs(right)), "{0}: γ = 1/n_b", normalization);
        }
    }

    [Fact]
    public void ComputeLoss_AddsNoNegative_ForAPaddingOnlyNeighbour()
    {
        // Row 1 has no item; row 2 contrasts with it (nothing), row 0 with row 2, row 1 has no positive itself.
        var c = FlowCase.Random(Shape with { Lengths = [3, 0, 4] }, seed: 18);
        MatchesNaive(c, Options(FlowNormalization.AllCells), "padding-only row, all cells");
        MatchesNaive(c, Options(FlowNormalization.Positives), "padding-only row, positives");
        MatchesNaive(c, Options(FlowNormalization.Positives, neighbour: false), "padding-only row, no neighbours");

        using var scope = NewDisposeScope();
        var (context, z, x, _) = c.Tensors(grad: true);
        var loss = new ReContrastFlow(Options()).ComputeLoss(context);
        loss.backward();
        FlowAssert.AllFinite(z.grad, "dL/dZ");
        FlowAssert.AllFinite(x.grad, "dL/dX");
    }

    [Fact]
    public void ComputeLoss_PutsNoOtherInterestInTheDenominator_ForASingleInterest()
    {
        var shape = Shape with { K = 1 };
        var c = FlowCase.Random(shape, seed: 19);
        MatchesNaive(c, Options(FlowNormalization.AllCells), "K = 1, all cells");
        MatchesNaive(c, Options(FlowNormalization.Positives), "K = 1, positives");
        MatchesNaive(c, Options(FlowNormalization.Positives, neighbour: false), "K = 1, no neighbours");
    }

    [Fact]
    public void ComputeLoss_ContrastsWithItsOwnItemsAsTheRolledNeighbour_ForABatchOfOne()
    {
        var c = FlowCase.Random(Shape with { B = 1, Lengths = [4] }, seed: 20);
        MatchesNaive(c, Options(FlowNormalization.Positives), "B = 1");
    }

    [Fact]
    public void ComputeLoss_NeitherOverflowsNorLosesPrecision_ForCosinesNearOneAtTau002()
    {
        // Interest 0 of each row equals one of its items (cos = 1, e^50), interest 1 is 3× another item, interest 2 is
        // minus an item (cos = −1); the vectors are large so that any exp outside log space would overflow float32.
        var c = FlowCase.Random(Shape, seed: 21, scale: 30);
        var s = Shape;
        for (var b = 0; b < s.B; b++)
        {
            Array.Copy(c.X, (b * s.L) * s.D, c.Z, (b * s.K) * s.D, s.D);
            for (var e = 0; e < s.D; e++)
            {
                c.Z[(b * s.K + 1) * s.D + e] = 3 * c.X[(b * s.L + 1) * s.D + e];
                c.Z[(b * s.K + 2) * s.D + e] = -c.X[(b * s.L + 1) * s.D + e];
            }

            FlowData.OneHot(s, c.A, c.LogA, b, 0, item: 0);   // the identical item is interest 0's positive
        }

        foreach (var normalization in new[] { FlowNormalization.AllCells, FlowNormalization.Positives })
        {
            MatchesNaive(c, Options(normalization), $"cos ≈ ±1, {normalization}");
            using var scope = NewDisposeScope();
            var (context, z, x, _) = c.Tensors(grad: true);
            new ReContrastFlow(Options(normalization)).ComputeLoss(context).backward();
            FlowAssert.AllFinite(z.grad, "dL/dZ");
            FlowAssert.AllFinite(x.grad, "dL/dX");
        }
    }

    [Fact]
    public void ComputeLoss_IsFiniteWithNoGradientOnPadding_ForExactZeroPaddingRows()
    {
        var c = FlowCase.Random(Shape with { Lengths = [5, 2, 1] }, seed: 22);
        using var scope = NewDisposeScope();
        var (context, z, x, _) = c.Tensors(grad: true);
        var loss = new ReContrastFlow(Options(FlowNormalization.Positives)).ComputeLoss(context);
        float.IsFinite(loss.item<float>()).Should().BeTrue();
        loss.backward();
        FlowAssert.AllFinite(z.grad, "dL/dZ");
        FlowAssert.AllFinite(x.grad, "dL/dX");
        var gx = Naive.Values(x.grad!);
        for (var b = 0; b < Shape.B; b++)
        {
            for (var l = new[] { 5, 2, 1 }[b]; l < Shape.L; l++)
            {
                gx.Skip((b * Shape.L + l) * Shape.D).Take(Shape.D).Should().OnlyContain(v => v == 0f, "padding row ({0}, {1}) is not an input", b, l);
            }
        }
    }

    [Theory]
    [InlineData(FlowNormalization.AllCells, true, 3)]
    [InlineData(FlowNormalization.Positives, true, 3)]
    [InlineData(FlowNormalization.Positives, false, 3)]
    [InlineData(FlowNormalization.Positives, true, 1)]
    public void ComputeLoss_HasGradientsMatchingFiniteDifferencesOfTheNaiveLoss(FlowNormalization normalization, bool neighbour, int k)
    {
        // Padding included (row 1 has 3 items, row 2 has 2); A is an input without gradient, so the positives stay put.
        var shape = Shape with { K = k };
        var c = FlowCase.Random(shape, seed: 23);
        var o = Options(normalization, neighbour: neighbour);
        using var scope = NewDisposeScope();
        var (context, z, x, _) = c.Tensors(grad: true);
        new ReContrastFlow(o).ComputeLoss(context).backward();
        FlowAssert.GradientMatches(z.grad, c.Zd, zz => NaiveFlows.Contrast(shape, zz, c.Xd, c.Ad, o), "dL/dZ");
        FlowAssert.GradientMatches(x.grad, c.Xd, xx => NaiveFlows.Contrast(shape, c.Zd, xx, c.Ad, o), "dL/dX");
    }
}
