using Re4.Recommenders.Training;

namespace Re4.Recommenders.Tests.Training;

/// <summary>Uniform (Re4) and log-uniform (ComiRec) negatives: support, distinctness, exclusions, determinism, and the
/// log-uniform probabilities and expected counts used by the logQ correction.</summary>
public sealed class NegativeSamplerTests
{
    [Fact]
    public void Uniform_DrawsDistinctInRangeItems_NeverABatchTarget()
    {
        const int n = 50;
        int[] targets = [3, 7, 7, 50];
        var sampler = new NegativeSampler(NegativeSampling.Uniform, n, 20, new Re4Random(1));
        var seen = new HashSet<long>();
        for (var call = 0; call < 100; call++)
        {
            var (items, logExpected, targetLog) = sampler.Sample(targets);
            items.Should().HaveCount(20).And.OnlyHaveUniqueItems();
            items.Should().OnlyContain(id => id >= 1 && id <= n);
            items.Should().NotContain(targets.Select(t => (long)t));
            logExpected.Should().BeNull("uniform negatives get no correction");
            targetLog.Should().BeNull();
            seen.UnionWith(items);
        }

        seen.Should().HaveCount(n - 3, "every non-target id is drawn at some point");
    }

    [Fact]
    public void Uniform_IsDeterministicForASeed()
    {
        int[] targets = [1, 2];
        var a = new NegativeSampler(NegativeSampling.Uniform, 100, 10, new Re4Random(42));
        var b = new NegativeSampler(NegativeSampling.Uniform, 100, 10, new Re4Random(42));
        var c = new NegativeSampler(NegativeSampling.Uniform, 100, 10, new Re4Random(43));
        var differs = false;
        for (var call = 0; call < 5; call++)
        {
            var x = a.Sample(targets).Items;
            b.Sample(targets).Items.Should().Equal(x);
            differs |= !c.Sample(targets).Items.SequenceEqual(x);
        }

        differs.Should().BeTrue("another seed gives other negatives");
    }

    [Theory]
    [InlineData(10)]   // more than the catalogue leaves
    [InlineData(4)]    // exactly what it leaves
    public void Uniform_ReturnsAllNonTargets_WhenTheCatalogueIsSmall(int count)
    {
        var sampler = new NegativeSampler(NegativeSampling.Uniform, 6, count, new Re4Random(3));
        sampler.Sample([2, 5, 5]).Items.Should().Equal(1, 3, 4, 6);
    }

    [Fact]
    public void LogUniform_HasProbabilitiesThatFollowTheFormulaAndSumToOne()
    {
        const int n = 1000;
        var sampler = new NegativeSampler(NegativeSampling.LogUniform, n, 5, new Re4Random(1));
        var total = 0.0;
        for (var id = 1; id <= n; id++)
        {
            var p = sampler.LogUniformProbability(id);
            p.Should().BeApproximately((Math.Log(id + 1.0) - Math.Log(id)) / Math.Log(n + 1.0), 1e-15);
            if (id > 1) p.Should().BeLessThan(sampler.LogUniformProbability(id - 1), "popular (low) ids are likelier");
            total += p;
        }

        total.Should().BeApproximately(1.0, 1e-12);
    }

    [Fact]
    public void LogUniform_DrawsDistinctInRangeItems_WithFiniteNonPositiveLogExpectedCounts()
    {
        const int n = 50;
        int[] targets = [1, 2, 49];
        var sampler = new NegativeSampler(NegativeSampling.LogUniform, n, 20, new Re4Random(5));
        var targetsDrawn = 0;
        for (var call = 0; call < 50; call++)
        {
            var (items, logExpected, targetLog) = sampler.Sample(targets);
            items.Should().HaveCount(20).And.OnlyHaveUniqueItems();
            items.Should().OnlyContain(id => id >= 1 && id <= n);
            targetsDrawn += items.Count(id => targets.Contains((int)id));
            logExpected.Should().NotBeNull().And.HaveCount(20);
            targetLog.Should().NotBeNull().And.HaveCount(targets.Length);
            logExpected!.Concat(targetLog!).Should().OnlyContain(v => float.IsFinite(v) && v <= 0f);

            // Every entry is log(1 − (1 − p)^T) for one number of tries T ≥ 20: recover T from the first draw, then
            // check all the others (and the targets) against it.
            var p0 = sampler.LogUniformProbability((int)items[0]);
            var tries = Math.Round(Math.Log(-double.ExpM1(logExpected[0])) / Math.Log(1 - p0));
            tries.Should().BeGreaterThanOrEqualTo(20);
            for (var i = 0; i < items.Length; i++)
            {
                var p = sampler.LogUniformProbability((int)items[i]);
                ((double)logExpected[i]).Should().BeApproximately(Math.Log(1 - Math.Pow(1 - p, tries)), 1e-4);
            }

            for (var i = 0; i < targets.Length; i++)
            {
                var p = sampler.LogUniformProbability(targets[i]);
                ((double)targetLog![i]).Should().BeApproximately(Math.Log(1 - Math.Pow(1 - p, tries)), 1e-4);
            }
        }

        targetsDrawn.Should().BePositive("log-uniform negatives may hit targets; the loss removes those");
    }

    [Fact]
    public void LogUniform_SingleDrawsHitId1WithItsProbability()
    {
        // One draw per call (count 1, so T = 1 try and log E = log p exactly). The frequency of id 1 over T = 20000 draws
        // has standard deviation √(p(1 − p)/T) ≈ 0.0025 for p = ln 2 / ln 101 ≈ 0.150; the tolerance is 5 of those
        // (a fair sampler fails it with probability < 1e-6; the seed is fixed anyway).
        const int n = 100, draws = 20000;
        var sampler = new NegativeSampler(NegativeSampling.LogUniform, n, 1, new Re4Random(2024));
        var p1 = sampler.LogUniformProbability(1);
        p1.Should().BeApproximately(Math.Log(2) / Math.Log(101), 1e-15);
        var ones = 0;
        var lastBucket = 0;
        for (var i = 0; i < draws; i++)
        {
            var (items, logExpected, targetLog) = sampler.Sample([7]);
            items.Should().ContainSingle();
            var id = (int)items[0];
            if (id == 1) ones++;
            if (id == n) lastBucket++;
            ((double)logExpected![0]).Should().BeApproximately(Math.Log(sampler.LogUniformProbability(id)), 1e-6);
            ((double)targetLog![0]).Should().BeApproximately(Math.Log(sampler.LogUniformProbability(7)), 1e-6);
        }

        var sd = Math.Sqrt(p1 * (1 - p1) / draws);
        ((double)ones / draws).Should().BeApproximately(p1, 5 * sd);
        lastBucket.Should().BePositive("id N is reachable");
    }

    [Fact]
    public void LogUniform_DrawsEveryItem_WhenTheCountIsAtLeastN()
    {
        var sampler = new NegativeSampler(NegativeSampling.LogUniform, 8, 20, new Re4Random(9));
        var (items, logExpected, _) = sampler.Sample([3]);
        items.Order().Should().Equal(1, 2, 3, 4, 5, 6, 7, 8);
        logExpected.Should().OnlyContain(v => float.IsFinite(v) && v <= 0f);
    }

    [Fact]
    public void NegativeSampler_ThrowsForInvalidArguments()
    {
        var noItems = () => new NegativeSampler(NegativeSampling.Uniform, 0, 5, new Re4Random(1));
        noItems.Should().Throw<ArgumentOutOfRangeException>();
        var noCount = () => new NegativeSampler(NegativeSampling.LogUniform, 5, 0, new Re4Random(1));
        noCount.Should().Throw<ArgumentOutOfRangeException>();
        var full = new NegativeSampler(NegativeSampling.Full, 5, 0, new Re4Random(1));
        var draw = () => full.Sample([1]);
        draw.Should().Throw<InvalidOperationException>();
    }
}
