using Re4.Recommenders.Extractors;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Extractors;

/// <summary>ComiRec-DR and MIND against a naive double-loop routing written from docs/concepts.md: ê_{k,l} = W_{l,k}·x_l, logits
/// b = 0 without gradient, 3 iterations of c = softmax over K (0 on padding), s_k = Σ_l c_{k,l}·ê_{k,l},
/// v_k = squash(s_k), b += ⟨ê, v⟩; A = final c renormalised over the valid items.</summary>
public sealed class DynamicRoutingExtractorTests
{
    private const int B = 3, L = 5, D = 4, K = 3;
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [5, 3, 1];

    private sealed record Routed(double[] Z, double[] A, double[] LogA);

    /// <summary>ê for row b, interest k, position l.</summary>
    private delegate double[] Hat(int b, int k, int l);

    private static DynamicRoutingExtractor Build(long seed = 5, int iterations = 3, int maxLength = L, int d = D, int k = K)
    {
        manual_seed(seed);
        return new DynamicRoutingExtractor(new DynamicRoutingOptions { Dimension = d, Interests = k, MaxLength = maxLength, Iterations = iterations });
    }

    /// <summary>ComiRec-DR's ê from W <c>[L, K·d, d]</c>: ê_{k,l,i} = Σ_j W[l, k·d + i, j]·x_{l,j}.</summary>
    private static Hat PerPositionHat(NaiveWeights w, double[] x, int l, int d) => (b, k, t) =>
    {
        var hat = new double[d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++) hat[i] += w[t, k * d + i, j] * x[(b * l + t) * d + j];
        }

        return hat;
    };

    /// <summary>Naive routing. <paramref name="routingHat"/> feeds the iterations before the last (where ComiRec stops
    /// the gradient), <paramref name="lastHat"/> the last one; <paramref name="softmaxOverL"/> reproduces the classic
    /// wrong-axis bug for contrast.</summary>
    private static Routed NaiveRouting(Hat routingHat, Hat lastHat, int[] lengths, int l, int k, int d, int iterations,
        double[]? initialLogits = null, bool softmaxOverL = false)
    {
        var bCount = lengths.Length;
        var z = new double[bCount * k * d];
        var a = new double[bCount * k * l];
        var logA = new double[bCount * k * l];
        for (var r = 0; r < bCount; r++)
        {
            var n = lengths[r];
            var logits = new double[k, l];
            if (initialLogits is not null)
            {
                for (var q = 0; q < k; q++)
                {
                    for (var t = 0; t < l; t++) logits[q, t] = initialLogits[(r * k + q) * l + t];
                }
            }

            var c = new double[k, l];
            var v = new double[k][];
            for (var it = 0; it < iterations; it++)
            {
                var last = it == iterations - 1;
                var hat = last ? lastHat : routingHat;
                Array.Clear(c);
                if (!softmaxOverL)
                {
                    for (var t = 0; t < n; t++)
                    {
                        var sum = 0.0;
                        for (var q = 0; q < k; q++) sum += Math.Exp(logits[q, t]);
                        for (var q = 0; q < k; q++) c[q, t] = Math.Exp(logits[q, t]) / sum;
                    }
                }
                else
                {
                    for (var q = 0; q < k; q++)
                    {
                        var sum = 0.0;
                        for (var t = 0; t < n; t++) sum += Math.Exp(logits[q, t]);
                        for (var t = 0; t < n; t++) c[q, t] = Math.Exp(logits[q, t]) / sum;
                    }
                }

                for (var q = 0; q < k; q++)
                {
                    var s = new double[d];
                    for (var t = 0; t < n; t++)
                    {
                        var e = hat(r, q, t);
                        for (var i = 0; i < d; i++) s[i] += c[q, t] * e[i];
                    }

                    v[q] = Naive.Squash(s);
                }

                if (!last)
                {
                    for (var q = 0; q < k; q++)
                    {
                        for (var t = 0; t < n; t++) logits[q, t] += Naive.Dot(hat(r, q, t), v[q]);
                    }
                }
            }

            for (var q = 0; q < k; q++)
            {
                Array.Copy(v[q], 0, z, (r * k + q) * d, d);
                var total = 0.0;
                for (var t = 0; t < n; t++) total += c[q, t];
                for (var t = 0; t < l; t++)
                {
                    var cell = (r * k + q) * l + t;
                    a[cell] = t < n ? c[q, t] / total : 0.0;
                    logA[cell] = t < n ? Math.Log(c[q, t] / total) : double.NaN;
                }
            }
        }

        return new Routed(z, a, logA);
    }

    private static Routed NaiveComiRecDr(DynamicRoutingExtractor extractor, double[] x, int[] lengths, int l, bool softmaxOverL = false)
    {
        var o = extractor.Options;
        var hat = PerPositionHat(Naive.Parameters(extractor).Get("w_bilinear"), x, l, o.Dimension);
        return NaiveRouting(hat, hat, lengths, l, o.Interests, o.Dimension, o.Iterations, softmaxOverL: softmaxOverL);
    }

    [Fact]
    public void ComiRecDr_EqualsTheNaiveRoutingWithSoftmaxOverInterests()
    {
        using var scope = NewDisposeScope();
        var extractor = Build();
        var x = Naive.History(1, Lengths, L, D);
        var naive = NaiveComiRecDr(extractor, Naive.ToDouble(x), Lengths, L);

        using var output = extractor.Extract(tensor(x, [B, L, D]), tensor(Naive.Mask(Lengths, L), [B, L]));

        Naive.Parameters(extractor).Keys.Should().BeEquivalentTo("w_bilinear");
        output.Interests.shape.Should().Equal(B, K, D);
        output.Attention.shape.Should().Equal(B, K, L);
        Naive.ShouldBeClose(output.Interests, naive.Z, Tolerance, "Z");
        Naive.ShouldBeClose(output.Attention, naive.A, Tolerance, "A");
        Naive.ShouldBeClose(output.LogAttention, naive.LogA, Tolerance, "log A");
        ReferenceEquals(output.RetrievalInterests, output.Interests).Should().BeTrue("ComiRec-DR retrieves with its capsules");
    }

    [Fact]
    public void RoutingSoftmax_IsOverInterestsNotOverHistoryItems()
    {
        using var scope = NewDisposeScope();
        var extractor = Build();
        var x = Naive.History(1, Lengths, L, D);
        var wrongAxis = NaiveComiRecDr(extractor, Naive.ToDouble(x), Lengths, L, softmaxOverL: true);

        using var output = extractor.Extract(tensor(x, [B, L, D]), tensor(Naive.Mask(Lengths, L), [B, L]));

        // The correct-axis comparison is the test above; this one shows that comparison can tell the axes apart.
        Naive.MaxAbsDifference(output.Interests, wrongAxis.Z).Should().BeGreaterThan(1e-3,
            "a softmax over L would give other interests than the softmax over K");
    }

    [Fact]
    public void Extract_CouplesEachValidItemByOneOverK_WithOneIteration()
    {
        // With logits 0, c = softmax_K(0) = 1/K on every valid item (a softmax over L would give 1/n_b), so
        // Z_k = squash(Σ_l ê_{k,l} / K) and A is uniform over the valid items.
        using var scope = NewDisposeScope();
        var extractor = Build(iterations: 1);
        var x = Naive.History(2, Lengths, L, D);
        var hat = PerPositionHat(Naive.Parameters(extractor).Get("w_bilinear"), Naive.ToDouble(x), L, D);
        var z = new double[B * K * D];
        var a = new double[B * K * L];
        for (var r = 0; r < B; r++)
        {
            for (var q = 0; q < K; q++)
            {
                var s = new double[D];
                for (var t = 0; t < Lengths[r]; t++)
                {
                    var e = hat(r, q, t);
                    for (var i = 0; i < D; i++) s[i] += e[i] / K;
                    a[(r * K + q) * L + t] = 1.0 / Lengths[r];
                }

                Array.Copy(Naive.Squash(s), 0, z, (r * K + q) * D, D);
            }
        }

        using var output = extractor.Extract(tensor(x, [B, L, D]), tensor(Naive.Mask(Lengths, L), [B, L]));

        Naive.ShouldBeClose(output.Interests, z, Tolerance, "Z");
        Naive.ShouldBeClose(output.Attention, a, Tolerance, "A");
    }

    [Fact]
    public void Coupling_IsZeroOnPadding_AndAttentionSumsToOneOverValidItems()
    {
        using var scope = NewDisposeScope();
        var extractor = Build();
        var clean = Naive.History(3, Lengths, L, D);
        var dirty = (float[])clean.Clone();
        var noise = Naive.RandomFloats(9, clean.Length, scale: 20);
        for (var r = 0; r < B; r++)
        {
            for (var t = Lengths[r]; t < L; t++)
            {
                for (var i = 0; i < D; i++) dirty[(r * L + t) * D + i] = noise[(r * L + t) * D + i];
            }
        }

        var mask = tensor(Naive.Mask(Lengths, L), [B, L]);
        using var output = extractor.Extract(tensor(clean, [B, L, D]), mask);
        using var noisy = extractor.Extract(tensor(dirty, [B, L, D]), mask);
        var a = Naive.Values(output.Attention);
        var logA = Naive.Values(output.LogAttention);

        logA.Should().OnlyContain(v => float.IsFinite(v));
        for (var r = 0; r < B; r++)
        {
            for (var q = 0; q < K; q++)
            {
                var sum = 0.0;
                for (var t = 0; t < L; t++)
                {
                    var cell = (r * K + q) * L + t;
                    if (t < Lengths[r]) sum += a[cell];
                    else
                    {
                        a[cell].Should().Be(0f);
                        logA[cell].Should().BeLessThan(-1e8f);
                    }
                }

                sum.Should().BeApproximately(1.0, Tolerance);
            }
        }

        // Row 2 has one item: all of every interest's attention.
        for (var q = 0; q < K; q++) a[(2 * K + q) * L].Should().BeApproximately(1f, 1e-6f);
        Naive.Values(noisy.Interests).Should().Equal(Naive.Values(output.Interests), "padded positions take no part in routing");
        Naive.Values(noisy.Attention).Should().Equal(a);
    }

    [Fact]
    public void Gradient_FlowsOnlyThroughTheLastIteration()
    {
        // d sum(Z) / dW from autograd against central differences of the naive routing in which the routing iterations
        // use the unperturbed W (stop-gradient on ê and on the logits) and only the last iteration's ê sees the
        // perturbation. The naive is in double, so a step of 1e-6 is exact to ~1e-9.
        const int b = 2, l = 4, d = 3, k = 2;
        int[] lengths = [4, 2];
        using var scope = NewDisposeScope();
        var extractor = Build(seed: 13, maxLength: l, d: d, k: k);
        var x = Naive.History(21, lengths, l, d);
        var xd = Naive.ToDouble(x);
        var w0 = Naive.Parameters(extractor).Get("w_bilinear");

        using var output = extractor.Extract(tensor(x, [b, l, d]), tensor(Naive.Mask(lengths, l), [b, l]));
        output.Interests.sum().backward();
        var (_, parameter) = extractor.named_parameters().Single();
        var grad = Naive.Values(parameter.grad!);

        double SumZ(NaiveWeights routingW, NaiveWeights lastW) =>
            NaiveRouting(PerPositionHat(routingW, xd, l, d), PerPositionHat(lastW, xd, l, d), lengths, l, k, d, 3).Z.Sum();

        NaiveWeights Shift(int index, double h)
        {
            var data = (double[])w0.Data.Clone();
            data[index] += h;
            return new NaiveWeights(data, w0.Shape.Select(s => (long)s).ToArray());
        }

        const double step = 1e-6;
        var worstFull = 0.0;
        for (var i = 0; i < w0.Data.Length; i++)
        {
            var stopGradient = (SumZ(w0, Shift(i, step)) - SumZ(w0, Shift(i, -step))) / (2 * step);
            ((double)grad[i]).Should().BeApproximately(stopGradient, 1e-5 + 1e-3 * Math.Abs(stopGradient), "dΣZ/dW[{0}]", i);
            var full = (SumZ(Shift(i, step), Shift(i, step)) - SumZ(Shift(i, -step), Shift(i, -step))) / (2 * step);
            worstFull = Math.Max(worstFull, Math.Abs(full - stopGradient));
        }

        worstFull.Should().BeGreaterThan(1e-3, "the fixture must tell stop-gradient routing from a fully differentiated one");
        for (var t = 0; t < l; t++)
        {
            // Position 2 and 3 of row 1 are padding, but row 0 uses every position: only unused maps get no gradient.
            grad.Skip(t * k * d * d).Take(k * d * d).Should().Contain(g => g != 0f, "position {0} is valid in row 0", t);
        }
    }

    [Fact]
    public void Attention_StaysADistribution_WhenAnInterestsCouplingUnderflowsEverywhere()
    {
        // Large embeddings make the routing logits differ by thousands, so softmax over K gives some interest exactly 0
        // at every item: c / Σc would be 0/0 (NaN) and log A −∞ there. The log-space renormalisation must not.
        using var scope = NewDisposeScope();
        var extractor = Build(seed: 31);
        var x = tensor(Naive.History(7, Lengths, L, D), [B, L, D]) * 1000f;
        var mask = tensor(Naive.Mask(Lengths, L), [B, L]);

        using var output = extractor.Extract(x, mask);

        var a = Naive.Values(output.Attention);
        var logA = Naive.Values(output.LogAttention);
        a.Should().OnlyContain(v => float.IsFinite(v) && v >= 0);
        logA.Should().OnlyContain(v => float.IsFinite(v));
        for (var row = 0; row < B; row++)
        {
            for (var q = 0; q < K; q++)
            {
                var sum = 0.0;
                for (var t = 0; t < Lengths[row]; t++) sum += a[(row * K + q) * L + t];
                sum.Should().BeApproximately(1.0, 1e-5, $"row {row}, interest {q}");
            }
        }
    }

    [Fact]
    public void Mind_GivesTheSameInterestsOnEveryCallInEvaluationMode_AndNotInTrainingMode()
    {
        using var scope = NewDisposeScope();
        manual_seed(17);
        var extractor = new DynamicRoutingExtractor(DynamicRoutingOptions.Mind(D, K, L));
        var x = tensor(Naive.History(6, Lengths, L, D), [B, L, D]);
        var mask = tensor(Naive.Mask(Lengths, L), [B, L]);

        extractor.eval();
        using var first = extractor.Extract(x, mask);
        using var second = extractor.Extract(x, mask);
        Naive.Values(second.Interests).Should().Equal(Naive.Values(first.Interests), "serving must not depend on the call");

        extractor.train();
        using var third = extractor.Extract(x, mask);
        using var fourth = extractor.Extract(x, mask);
        Naive.Values(fourth.Interests).Should().NotEqual(Naive.Values(third.Interests), "training keeps ComiRec's fresh draw per call");
    }

    [Fact]
    public void Mind_SharesOneMap_AndDiffersAcrossInterestsOnlyThroughTheRandomRoutingStart()
    {
        using var scope = NewDisposeScope();
        manual_seed(17);
        var extractor = new DynamicRoutingExtractor(DynamicRoutingOptions.Mind(D, K, L));
        var p = Naive.Parameters(extractor);
        p.Keys.Should().BeEquivalentTo("w_shared.weight", "head.weight", "head.bias");
        var x = Naive.History(6, Lengths, L, D);
        var xd = Naive.ToDouble(x);
        var shared = p.Get("w_shared.weight");
        Hat hat = (r, _, t) => shared.Apply(Naive.Row(xd, (r * L + t) * D, D));

        // The extractor's only random draw is the start of the routing logits: a standard normal truncated to [−2, 2]
        // (ComiRec's MIND: tf.truncated_normal), drawn by inverse CDF from B·K·L uniforms of torch's global generator.
        // Reproduce the uniforms with the same seed and invert the CDF naively.
        manual_seed(99);
        var uniforms = Naive.ToDouble(Naive.Values(rand(B, K, L)));
        var startValues = uniforms.Select(TruncatedNormalQuantile).ToArray();
        var naive = NaiveRouting(hat, hat, Lengths, L, K, D, 3, startValues);
        var u = new double[B * K * D];
        for (var i = 0; i < B * K; i++)
        {
            var ui = p.Get("head.weight").Apply(Naive.Row(naive.Z, i * D, D), p.Get("head.bias")).Select(v => Math.Max(0, v)).ToArray();
            Array.Copy(ui, 0, u, i * D, D);
        }

        manual_seed(99);
        using var output = extractor.Extract(tensor(x, [B, L, D]), tensor(Naive.Mask(Lengths, L), [B, L]));

        Naive.ShouldBeClose(output.Interests, naive.Z, Tolerance, "Z");
        Naive.ShouldBeClose(output.Attention, naive.A, Tolerance, "A");
        Naive.ShouldBeClose(output.LogAttention, naive.LogA, Tolerance, "log A");
        Naive.ShouldBeClose(output.RetrievalInterests, u, Tolerance, "U");
        Naive.Values(output.RetrievalInterests).Should().OnlyContain(v => v >= 0f, "the relu head");

        // Row 0 (5 items): its interests differ ...
        var z = Naive.Values(output.Interests);
        Math.Abs(z[0] - z[D]).Should().BeGreaterThan(1e-4f);
        // ... only because of the start: from equal logits every interest routes identically.
        var flat = NaiveRouting(hat, hat, Lengths, L, K, D, 3, new double[B * K * L]);
        for (var r = 0; r < B; r++)
        {
            for (var q = 1; q < K; q++)
            {
                Naive.Row(flat.Z, (r * K + q) * D, D).Should().Equal(Naive.Row(flat.Z, r * K * D, D));
            }
        }

        // Row 2 (1 item): every interest is squash(c_k·ê) of the same ê, so they all point the same way.
        var first = Naive.Row(Naive.ToDouble(z), 2 * K * D, D);
        for (var q = 1; q < K; q++)
        {
            var other = Naive.Row(Naive.ToDouble(z), (2 * K + q) * D, D);
            var cosine = Naive.Dot(first, other) / Math.Sqrt(Naive.Dot(first, first) * Naive.Dot(other, other));
            cosine.Should().BeApproximately(1.0, 1e-5);
        }
    }

    /// <summary>erf by its Taylor series (exact to ~1e-14 for |x| ≤ 2).</summary>
    private static double Erf(double x)
    {
        double sum = 0, term = x;   // term = (−1)^n x^(2n+1) / n!
        for (var n = 0; n < 60; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static double StandardNormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>The u-quantile of a standard normal truncated to [−2, 2], by bisection.</summary>
    private static double TruncatedNormalQuantile(double u)
    {
        double lo = StandardNormalCdf(-2), hi = StandardNormalCdf(2);
        var p = lo + u * (hi - lo);
        double a = -2, b = 2;
        for (var i = 0; i < 80; i++)
        {
            var mid = (a + b) / 2;
            if (StandardNormalCdf(mid) < p) a = mid;
            else b = mid;
        }

        return (a + b) / 2;
    }

    [Fact]
    public void MindRandomStart_CouplesASingleItemDifferentlyToEachInterest()
    {
        // A one-item user's interests are squash(c_k·ê) of one shared ê with c = softmax_K(start): a constant start
        // (all interests alike) would give every interest of the row the same norm.
        using var scope = NewDisposeScope();
        manual_seed(23);
        var extractor = new DynamicRoutingExtractor(DynamicRoutingOptions.Mind(D, K, L));
        int[] lengths = [1, 1, 1];
        var x = Naive.History(8, lengths, L, D);
        using var output = extractor.Extract(tensor(x, [3, L, D]), tensor(Naive.Mask(lengths, L), [3, L]));
        var z = Naive.ToDouble(Naive.Values(output.Interests));
        for (var r = 0; r < 3; r++)
        {
            var norms = Enumerable.Range(0, K).Select(q => Math.Sqrt(Naive.Dot(Naive.Row(z, (r * K + q) * D, D), Naive.Row(z, (r * K + q) * D, D)))).ToArray();
            (norms.Max() - norms.Min()).Should().BeGreaterThan(1e-4, "row {0}'s interests start from different routing logits", r);
        }

        TruncatedNormalQuantile(0.5).Should().BeApproximately(0, 1e-12);
        TruncatedNormalQuantile(0).Should().BeApproximately(-2, 1e-12);
    }

    [Fact]
    public void Extract_ThrowsArgumentException_ForWrongShapes()
    {
        using var scope = NewDisposeScope();
        var extractor = Build();
        var wrongD = () => extractor.Extract(zeros(2, 3, D + 1), ones(2, 3));
        var tooLong = () => extractor.Extract(zeros(2, L + 1, D), ones(2, L + 1));
        var mask = () => extractor.Extract(zeros(2, 3, D), ones(2, 2));
        wrongD.Should().Throw<ArgumentException>();
        tooLong.Should().Throw<ArgumentException>();
        mask.Should().Throw<ArgumentException>();
    }
}
