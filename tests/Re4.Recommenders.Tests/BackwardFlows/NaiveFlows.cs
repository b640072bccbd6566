using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>The sizes of a tiny backward-flow case; histories are left-aligned, row b holding <c>Lengths[b]</c> valid items.</summary>
internal sealed record FlowShape(int B, int K, int L, int D, int[] Lengths)
{
    public int N(int b) => Lengths[b];

    /// <summary>The reference code's neighbour: the batch rolled by one, row b contrasting with row b − 1 (row 0 with the last).</summary>
    public int Neighbour(int b) => (b - 1 + B) % B;
}

/// <summary>A tiny case: Z, X, A, log A and m as floats (what the library sees) and the same values as doubles (what the
/// naive code sees).</summary>
internal sealed class FlowCase
{
    public FlowCase(FlowShape shape, float[] z, float[] x, float[] a, float[] logA)
    {
        Shape = shape;
        Z = z;
        X = x;
        A = a;
        LogA = logA;
        Mask = Naive.Mask(shape.Lengths, shape.L);
    }

    public FlowShape Shape { get; }

    public float[] Z { get; }

    public float[] X { get; }

    public float[] A { get; }

    public float[] LogA { get; }

    public float[] Mask { get; }

    public double[] Zd => Naive.ToDouble(Z);

    public double[] Xd => Naive.ToDouble(X);

    public double[] Ad => Naive.ToDouble(A);

    public double[] LogAd => Naive.ToDouble(LogA);

    /// <summary>A random case: Z uniform in ±<paramref name="scale"/>, X with exactly-zero padding, A from
    /// <see cref="FlowData.Attention"/> (every valid entry well away from 1/n).</summary>
    public static FlowCase Random(FlowShape s, int seed, double scale = 1.0)
    {
        var z = Naive.RandomFloats(seed, s.B * s.K * s.D, scale);
        var x = Naive.History(seed + 1, s.Lengths, s.L, s.D, scale);
        var (a, logA) = FlowData.Attention(seed + 2, s);
        return new FlowCase(s, z, x, a, logA);
    }

    /// <summary>The flow's context on fresh leaf tensors (Z and X, optionally log A, requiring gradients).</summary>
    public (BackwardFlowContext Context, Tensor Z, Tensor X, Tensor LogA) Tensors(bool grad = false, bool logAGrad = false)
    {
        var s = Shape;
        var z = tensor(Z, [s.B, s.K, s.D]);
        var x = tensor(X, [s.B, s.L, s.D]);
        var logA = tensor(LogA, [s.B, s.K, s.L]);
        if (grad)
        {
            z.requires_grad_();
            x.requires_grad_();
        }

        if (logAGrad) logA.requires_grad_();
        var context = new BackwardFlowContext(z, tensor(A, [s.B, s.K, s.L]), logA, x, tensor(Mask, [s.B, s.L]));
        return (context, z, x, logA);
    }
}

internal static class FlowData
{
    /// <summary>The mask value the library uses for log A on padding.</summary>
    public const float PaddingLogA = -1e9f;

    /// <summary>A <c>[B, K, L]</c>: each (b, k) a random distribution over the row's valid items whose entries all lie at
    /// least 10% of 1/n away from the adaptive threshold 1/n (so the positive set is unambiguous in float32 and does not
    /// depend on rounding), 1 for a one-item row, 0 on padding; log A finite, −1e9 on padding.</summary>
    public static (float[] A, float[] LogA) Attention(int seed, FlowShape s)
    {
        var rng = new Random(seed);
        var a = new float[s.B * s.K * s.L];
        var logA = Enumerable.Repeat(PaddingLogA, a.Length).ToArray();
        for (var b = 0; b < s.B; b++)
        {
            var n = s.N(b);
            for (var k = 0; k < s.K; k++)
            {
                var row = OneRow(rng, n);
                for (var l = 0; l < n; l++)
                {
                    a[(b * s.K + k) * s.L + l] = (float)row[l];
                    logA[(b * s.K + k) * s.L + l] = (float)Math.Log(row[l]);
                }
            }
        }

        return (a, logA);
    }

    private static double[] OneRow(Random rng, int n)
    {
        if (n == 0) return [];
        if (n == 1) return [1.0];
        while (true)
        {
            var w = Enumerable.Range(0, n).Select(_ => Math.Exp(3 * (rng.NextDouble() - 0.5))).ToArray();
            var sum = w.Sum();
            var row = w.Select(v => v / sum).ToArray();
            if (row.All(v => Math.Abs(v - 1.0 / n) > 0.1 / n)) return row;
        }
    }

    /// <summary>Replaces (b, k)'s attention by one-hot on item <paramref name="item"/> (log A: 0 there, −30 elsewhere on
    /// valid items, a finite stand-in for log 0).</summary>
    public static void OneHot(FlowShape s, float[] a, float[] logA, int b, int k, int item)
    {
        for (var l = 0; l < s.N(b); l++)
        {
            a[(b * s.K + k) * s.L + l] = l == item ? 1f : 0f;
            logA[(b * s.K + k) * s.L + l] = l == item ? 0f : -30f;
        }
    }
}

/// <summary>The backward flows (the paper's re-contrast, re-attend and re-construct losses; docs/concepts.md) with plain double loops, straight from the equations. Nothing here calls the
/// library's tensor code.</summary>
internal static class NaiveFlows
{
    public static double[] Normalize(double[] v)
    {
        var norm = Math.Sqrt(Naive.Dot(v, v));
        return v.Select(e => e / Math.Max(norm, 1e-12)).ToArray();
    }

    public static double LogSumExp(IReadOnlyList<double> terms)
    {
        var max = terms.Max();
        var sum = 0.0;
        foreach (var t in terms) sum += Math.Exp(t - max);
        return max + Math.Log(sum);
    }

    private static double[] ZRow(FlowShape s, double[] z, int b, int k) => Naive.Row(z, (b * s.K + k) * s.D, s.D);

    private static double[] XRow(FlowShape s, double[] x, int b, int l) => Naive.Row(x, (b * s.L + l) * s.D, s.D);

    private static double Gamma(FlowShape s, int b, PositiveThreshold threshold, double fixedThreshold) =>
        threshold == PositiveThreshold.Adaptive ? 1.0 / s.N(b) : fixedThreshold;

    /// <summary>Whether valid item l of row b is a positive of interest k: A<sub>k,l</sub> &gt; γ (strict).</summary>
    public static bool IsPositive(FlowShape s, double[] a, int b, int k, int l, double gamma) => a[(b * s.K + k) * s.L + l] > gamma;

    /// <summary>Re-contrast: for each positive (b, k, l), −cos(z_k, x_l)/τ + log D_k, with D_k the sum of exp(cos/τ)
    /// over the row's valid items, its other K − 1 interests and (optionally) the valid items of row b − 1 (cyclic).
    /// <paramref name="gammaOverride"/> replaces the threshold rule (used to show what the 1/L bug would give).</summary>
    public static double Contrast(FlowShape s, double[] z, double[] x, double[] a, ReContrastOptions o, Func<int, double>? gammaOverride = null)
    {
        var tau = o.Temperature;
        double total = 0;
        var count = 0;
        for (var b = 0; b < s.B; b++)
        {
            var gamma = gammaOverride?.Invoke(b) ?? Gamma(s, b, o.Threshold, o.FixedThreshold);
            for (var k = 0; k < s.K; k++)
            {
                var zk = Normalize(ZRow(s, z, b, k));
                var terms = new List<double>();
                for (var l = 0; l < s.N(b); l++) terms.Add(Naive.Dot(zk, Normalize(XRow(s, x, b, l))) / tau);
                for (var other = 0; other < s.K; other++)
                {
                    if (other != k) terms.Add(Naive.Dot(zk, Normalize(ZRow(s, z, b, other))) / tau);
                }

                if (o.NeighbourNegatives)
                {
                    var nb = s.Neighbour(b);
                    for (var l = 0; l < s.N(nb); l++) terms.Add(Naive.Dot(zk, Normalize(XRow(s, x, nb, l))) / tau);
                }

                for (var l = 0; l < s.N(b); l++)
                {
                    if (!IsPositive(s, a, b, k, l, gamma)) continue;
                    var logits = Naive.Dot(zk, Normalize(XRow(s, x, b, l))) / tau;
                    total += LogSumExp(terms) - logits;
                    count++;
                }
            }
        }

        return o.Normalization == FlowNormalization.AllCells
            ? total / (s.B * s.K * s.L)
            : count == 0 ? 0 : total / count;
    }

    /// <summary>The re-attention R of (b, k): softmax over the row's valid items of the raw dot products z_k·x_l.</summary>
    public static double[] ReAttention(FlowShape s, double[] z, double[] x, int b, int k)
    {
        var zk = ZRow(s, z, b, k);
        var logits = Enumerable.Range(0, s.N(b)).Select(l => Naive.Dot(zk, XRow(s, x, b, l))).ToArray();
        var lse = LogSumExp(logits);
        return logits.Select(v => Math.Exp(v - lse)).ToArray();
    }

    /// <summary>Re-attend: mean over (b, k) of −Σ_l R_l·log A_l / Σ_l R_l, over valid l.</summary>
    public static double Attend(FlowShape s, double[] z, double[] x, double[] logA)
    {
        double total = 0;
        for (var b = 0; b < s.B; b++)
        {
            for (var k = 0; k < s.K; k++)
            {
                var r = ReAttention(s, z, x, b, k);
                double ce = 0, mass = 0;
                for (var l = 0; l < r.Length; l++)
                {
                    ce -= r[l] * logA[(b * s.K + k) * s.L + l];
                    mass += r[l];
                }

                total += ce / mass;
            }
        }

        return total / (s.B * s.K);
    }

    /// <summary>Re-construct, with the generator's parameters <paramref name="p"/>: Q = expand(z_k) as L_max
    /// slots of d (the first L used); slot logits G[p, j] = W₂[p]·tanh(W₁·q_j), slot j masked when history position j is
    /// padding, softmax over the slots j; X̃_p = Σ_j G[p, j]·(W₃·q_j); squared error on positives. Returns the summed
    /// squared error and the number of positive cells.</summary>
    public static (double Total, int Positives) ConstructSum(FlowShape s, Dictionary<string, NaiveWeights> p, double[] z, double[] x, double[] a, PositiveThreshold threshold, double fixedThreshold)
    {
        var expandW = p.Get("expand.weight");
        var expandB = p.Get("expand.bias");
        var w1 = p.Get("w_1.weight");
        var w2 = p.Get("w_2.weight");
        var w3 = p.Get("w_3.weight");
        double total = 0;
        var count = 0;
        for (var b = 0; b < s.B; b++)
        {
            var n = s.N(b);
            var gamma = Gamma(s, b, threshold, fixedThreshold);
            for (var k = 0; k < s.K; k++)
            {
                var q = expandW.Apply(ZRow(s, z, b, k), expandB);       // L_max·d
                var hidden = new double[n][];
                var values = new double[n][];
                for (var j = 0; j < n; j++)
                {
                    var qj = Naive.Row(q, j * s.D, s.D);
                    hidden[j] = Naive.Tanh(w1.Apply(qj));
                    values[j] = w3.Apply(qj);
                }

                for (var pos = 0; pos < n; pos++)
                {
                    if (!IsPositive(s, a, b, k, pos, gamma)) continue;
                    var logits = new double[n];
                    for (var j = 0; j < n; j++)
                    {
                        for (var e = 0; e < s.D; e++) logits[j] += w2[pos, e] * hidden[j][e];
                    }

                    var lse = LogSumExp(logits);
                    var xpos = XRow(s, x, b, pos);
                    for (var e = 0; e < s.D; e++)
                    {
                        var rec = 0.0;
                        for (var j = 0; j < n; j++) rec += Math.Exp(logits[j] - lse) * values[j][e];
                        total += (rec - xpos[e]) * (rec - xpos[e]);
                    }

                    count++;
                }
            }
        }

        return (total, count);
    }

    public static double Construct(FlowShape s, Dictionary<string, NaiveWeights> p, double[] z, double[] x, double[] a, ReConstructOptions o)
    {
        var (total, count) = ConstructSum(s, p, z, x, a, o.Threshold, o.FixedThreshold);
        return o.Normalization == FlowNormalization.AllCells
            ? total / (s.B * s.K * s.L * s.D)
            : count == 0 ? 0 : total / (count * s.D);
    }
}

internal static class FlowAssert
{
    /// <summary>Relative 1e-5 for O(1) values (absolute 1e-5 below 1).</summary>
    public static void LossClose(Tensor loss, double expected, string what, double relative = 1e-5)
    {
        loss.shape.Should().BeEmpty("{0} is a scalar", what);
        var actual = (double)loss.item<float>();
        double.IsFinite(actual).Should().BeTrue("{0} is finite", what);
        actual.Should().BeApproximately(expected, relative * Math.Max(1, Math.Abs(expected)), "{0} equals the naive value", what);
    }

    /// <summary>The gradient <paramref name="grad"/> against central differences (step 1e-3) of the naive
    /// <paramref name="naive"/> at <paramref name="at"/>: relative 1e-3 with an absolute floor of 1e-5.</summary>
    public static void GradientMatches(Tensor? grad, double[] at, Func<double[], double> naive, string what)
    {
        const double step = 1e-3;
        grad.Should().NotBeNull("{0} has a gradient", what);
        var g = Naive.Values(grad!);
        g.Length.Should().Be(at.Length);
        for (var i = 0; i < at.Length; i++)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[i] += step;
            minus[i] -= step;
            var fd = (naive(plus) - naive(minus)) / (2 * step);
            ((double)g[i]).Should().BeApproximately(fd, 1e-3 * Math.Max(Math.Abs(fd), 1e-2), "{0}[{1}] matches finite differences", what, i);
        }
    }

    public static void AllFinite(Tensor? t, string what)
    {
        t.Should().NotBeNull("{0} exists", what);
        Naive.Values(t!).Should().OnlyContain(v => float.IsFinite(v), "{0} is finite", what);
    }
}
