using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Tests.Evaluation;

public sealed class PairedComparisonTests
{
    [Fact]
    public void Compare_EnumeratesEverySignFlip_ForTinyVectors()
    {
        // d = [1, 2, -0.5], |Σd| = 2.5. The eight sums ±1 ±2 ±0.5 are 3.5, 2.5, -0.5, -1.5, 1.5, 0.5, -2.5, -3.5:
        // four have |sum| >= 2.5, so p = 4/8 exactly.
        var result = PairedComparison.Compare([0, 0, 0], [1, 2, -0.5]);

        result.ExactPValue.Should().BeTrue();
        result.PValue.Should().Be(0.5);
        result.MeanDifference.Should().BeApproximately(2.5 / 3, 1e-15);
        result.Users.Should().Be(3);
    }

    [Fact]
    public void Compare_GivesTwoOverSixteen_ForFourEqualGains()
    {
        // d = [0.1, 0.1, 0.1, 0.1] (candidate − baseline): only all-plus and all-minus reach |Σ| = 0.4, 2 of 16 vectors.
        var result = PairedComparison.Compare([0.2, 0.3, 0.0, 0.5], [0.3, 0.4, 0.1, 0.6]);

        result.PValue.Should().Be(2.0 / 16);
        result.BaselineMean.Should().BeApproximately(0.25, 1e-15);
        result.CandidateMean.Should().BeApproximately(0.35, 1e-15);
        result.MeanDifference.Should().BeApproximately(0.1, 1e-15);
    }

    [Fact]
    public void Compare_GivesPOfOne_WhenTheModelsAgreeOnEveryUser()
    {
        var values = new[] { 0.1, 0.7, 0.0, 1.0, 0.25 };

        var result = PairedComparison.Compare(values, values, new PairedComparisonOptions { Permutations = 8, Resamples = 100 });

        result.PValue.Should().Be(1);
        result.ExactPValue.Should().BeFalse("2^5 = 32 vectors exceed the 8 flips asked for");
        result.ConfidenceLow.Should().Be(0);
        result.ConfidenceHigh.Should().Be(0);
    }

    [Fact]
    public void Compare_MatchesANaiveSignFlipLoop_WithTheSeededGenerator()
    {
        var (baseline, candidate) = Vectors(40, seed: 5);
        var options = new PairedComparisonOptions { Permutations = 3000, Seed = 17 };

        var result = PairedComparison.Compare(baseline, candidate, options);

        // Independently: the observed |Σd|, then 3000 sign vectors drawn user by user from new Random(17).
        var d = candidate.Zip(baseline, (c, b) => c - b).ToArray();
        var observed = Math.Abs(d.Sum());
        var random = new Random(17);
        var extreme = 0;
        for (var m = 0; m < 3000; m++)
        {
            var sum = 0.0;
            foreach (var x in d) sum += random.Next(2) == 0 ? x : -x;
            if (Math.Abs(sum) >= observed - 1e-9 * d.Sum(Math.Abs)) extreme++;
        }

        result.ExactPValue.Should().BeFalse();
        result.PValue.Should().Be((1.0 + extreme) / 3001);
    }

    [Fact]
    public void Compare_MatchesANaiveBootstrapLoop_WithTheSeededGenerator()
    {
        var (baseline, candidate) = Vectors(25, seed: 9);
        var options = new PairedComparisonOptions { Resamples = 800, Seed = 3, ConfidenceLevel = 0.9 };

        var result = PairedComparison.Compare(baseline, candidate, options);

        var d = candidate.Zip(baseline, (c, b) => c - b).ToArray();
        var random = new Random(3);
        var means = new List<double>();
        for (var b = 0; b < 800; b++)
        {
            var draws = new double[25];
            for (var i = 0; i < 25; i++) draws[i] = d[random.Next(25)];
            means.Add(draws.Sum() / 25);
        }

        means.Sort();
        // Linear interpolation between order statistics (NumPy's default), quantiles 0.05 and 0.95 of 800 means.
        static double Quantile(List<double> sorted, double q)
        {
            var position = (sorted.Count - 1) * q;
            var i = (int)position;
            return sorted[i] + (position - i) * (sorted[i + 1] - sorted[i]);
        }

        result.ConfidenceLow.Should().BeApproximately(Quantile(means, 0.05), 1e-12);
        result.ConfidenceHigh.Should().BeApproximately(Quantile(means, 0.95), 1e-12);
        result.ConfidenceLow.Should().BeLessThan(result.MeanDifference).And.BeLessThan(result.ConfidenceHigh);
    }

    [Fact]
    public void Compare_GivesTheSmallestPossibleP_ForAConsistentGainOnManyUsers()
    {
        var baseline = Enumerable.Repeat(0.2, 60).ToArray();
        var candidate = Enumerable.Repeat(0.3, 60).ToArray();

        var result = PairedComparison.Compare(baseline, candidate, new PairedComparisonOptions { Permutations = 999 });

        // No random flip of 60 equal gains reaches the observed sum (probability 2^-59): p = 1 / (999 + 1).
        result.PValue.Should().Be(1.0 / 1000);
        result.ConfidenceLow.Should().BeApproximately(0.1, 1e-12);
        result.ConfidenceHigh.Should().BeApproximately(0.1, 1e-12);
    }

    [Fact]
    public void Compare_IsTheSame_ForTheSameSeed()
    {
        var (baseline, candidate) = Vectors(50, seed: 1);

        PairedComparison.Compare(baseline, candidate).Should().Be(PairedComparison.Compare(baseline, candidate));
    }

    [Fact]
    public void Compare_ThrowsForDifferentUsers()
    {
        var act = () => PairedComparison.Compare([0.1, 0.2], [0.1]);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("candidate");
    }

    [Fact]
    public void Compare_ThrowsForNoUsers() =>
        FluentActions.Invoking(() => PairedComparison.Compare([], [])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("baseline");

    [Fact]
    public void Compare_ThrowsForANonFiniteValue() =>
        FluentActions.Invoking(() => PairedComparison.Compare([0.1, 0.2], [double.NaN, 0.2])).Should().Throw<ArgumentException>().WithMessage("*user 0*");

    [Theory]
    [InlineData(0, 10, 0.95, "Resamples")]
    [InlineData(10, 0, 0.95, "Permutations")]
    [InlineData(10, 10, 1.0, "ConfidenceLevel")]
    public void Validate_ThrowsForAnOptionOutOfRange(int resamples, int permutations, double level, string name)
    {
        var options = new PairedComparisonOptions { Resamples = resamples, Permutations = permutations, ConfidenceLevel = level };

        options.Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(name);
    }

    private static (double[] Baseline, double[] Candidate) Vectors(int n, int seed)
    {
        var random = new Random(seed);
        var baseline = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var candidate = baseline.Select(b => Math.Clamp(b + (random.NextDouble() - 0.4) * 0.3, 0, 1)).ToArray();
        return (baseline, candidate);
    }
}
