using Re4.Recommenders.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Extractors;

/// <summary>ComiRec-SA and the Re4 reference flavour against a naive double-loop implementation of docs/concepts.md:
/// A = softmax_L(W_b·tanh(W_a·(X + P)ᵀ)) over valid items, Z = A·X (or A·(X·W_v)), U = Z (or tanh(Linear(Z))).</summary>
public sealed class SelfAttentiveExtractorTests
{
    private const int B = 3, L = 5, D = 4, K = 3;
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [5, 2, 1];

    private sealed record NaiveOutput(double[] Z, double[] A, double[] LogA, double[] U);

    private static SelfAttentiveExtractor Build(bool re4, long seed = 7)
    {
        manual_seed(seed);
        return re4
            ? new SelfAttentiveExtractor(SelfAttentiveOptions.Re4Reference(D, K, L))
            : new SelfAttentiveExtractor(D, K, L);
    }

    /// <summary>The naive forward flow on X <c>[B, l, d]</c>; log A and A are NaN on padding for log A (not compared) and
    /// exactly 0 for A.</summary>
    private static NaiveOutput NaiveForward(Dictionary<string, NaiveWeights> p, SelfAttentiveOptions o, double[] x, int[] lengths, int l)
    {
        int b = lengths.Length, d = o.Dimension, k = o.Interests;
        var wa = p.Get("w_a.weight");
        var wb = p.Get("w_b.weight");
        var ba = o.Bias ? p.Get("w_a.bias") : null;
        var bb = o.Bias ? p.Get("w_b.bias") : null;
        var pos = o.PositionEmbedding ? p.Get("position") : null;
        var z = new double[b * k * d];
        var a = new double[b * k * l];
        var logA = new double[b * k * l];
        var u = new double[b * k * d];
        for (var r = 0; r < b; r++)
        {
            var n = lengths[r];
            var logits = new double[k, n];
            for (var t = 0; t < n; t++)
            {
                var input = Naive.Row(x, (r * l + t) * d, d);
                if (pos is not null)
                {
                    for (var i = 0; i < d; i++) input[i] += pos[t, i];
                }

                var hidden = Naive.Tanh(wa.Apply(input, ba));
                var scores = wb.Apply(hidden, bb);
                for (var q = 0; q < k; q++) logits[q, t] = scores[q];
            }

            for (var q = 0; q < k; q++)
            {
                var max = double.NegativeInfinity;
                for (var t = 0; t < n; t++) max = Math.Max(max, logits[q, t]);
                var sum = 0.0;
                for (var t = 0; t < n; t++) sum += Math.Exp(logits[q, t] - max);
                for (var t = 0; t < l; t++)
                {
                    var cell = (r * k + q) * l + t;
                    a[cell] = t < n ? Math.Exp(logits[q, t] - max) / sum : 0.0;
                    logA[cell] = t < n ? logits[q, t] - max - Math.Log(sum) : double.NaN;
                }

                // Z_q = Σ_t A_qt · value_t with value_t = x_t or W_v·x_t.
                var zq = new double[d];
                for (var t = 0; t < n; t++)
                {
                    var xt = Naive.Row(x, (r * l + t) * d, d);
                    var value = o.ValueProjection ? p.Get("w_v.weight").Apply(xt) : xt;
                    for (var i = 0; i < d; i++) zq[i] += a[(r * k + q) * l + t] * value[i];
                }

                var uq = o.OutputHead ? Naive.Tanh(p.Get("head.weight").Apply(zq, p.Get("head.bias"))) : zq;
                Array.Copy(zq, 0, z, (r * k + q) * d, d);
                Array.Copy(uq, 0, u, (r * k + q) * d, d);
            }
        }

        return new NaiveOutput(z, a, logA, u);
    }

    [Theory]
    [InlineData(false, L)]
    [InlineData(true, L)]
    [InlineData(false, 4)]   // shorter than MaxLength: P is read from its first rows
    [InlineData(true, 4)]
    public void Extract_EqualsTheNaiveForwardFlow(bool re4, int l)
    {
        using var scope = NewDisposeScope();
        var extractor = Build(re4);
        var lengths = Lengths.Select(n => Math.Min(n, l)).ToArray();
        var x = Naive.History(1, lengths, l, D);
        var naive = NaiveForward(Naive.Parameters(extractor), extractor.Options, Naive.ToDouble(x), lengths, l);

        using var output = extractor.Extract(tensor(x, [B, l, D]), tensor(Naive.Mask(lengths, l), [B, l]));

        output.Interests.shape.Should().Equal(B, K, D);
        output.Attention.shape.Should().Equal(B, K, l);
        output.LogAttention.shape.Should().Equal(B, K, l);
        output.RetrievalInterests.shape.Should().Equal(B, K, D);
        Naive.ShouldBeClose(output.Interests, naive.Z, Tolerance, "Z");
        Naive.ShouldBeClose(output.Attention, naive.A, Tolerance, "A");
        Naive.ShouldBeClose(output.LogAttention, naive.LogA, Tolerance, "log A");
        Naive.ShouldBeClose(output.RetrievalInterests, naive.U, Tolerance, "U");
        if (!re4) ReferenceEquals(output.RetrievalInterests, output.Interests).Should().BeTrue("ComiRec-SA retrieves with Z itself");
    }

    [Fact]
    public void Defaults_AreComiRec_AndTheRe4PresetHasValueProjectionAndTanhHead()
    {
        var comirec = Naive.Parameters(Build(re4: false));
        comirec.Keys.Should().BeEquivalentTo("w_a.weight", "w_a.bias", "w_b.weight", "w_b.bias", "position");
        comirec["w_a.weight"].Shape.Should().Equal(4 * D, D);
        comirec["w_b.weight"].Shape.Should().Equal(K, 4 * D);
        comirec["position"].Shape.Should().Equal(L, D);

        var re4 = Naive.Parameters(Build(re4: true));
        re4.Keys.Should().BeEquivalentTo("w_a.weight", "w_b.weight", "w_v.weight", "head.weight", "head.bias");
        re4["w_v.weight"].Shape.Should().Equal(D, D);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_IsADistributionOverValidItems_ExactlyZeroOnPaddingWithFiniteLog(bool re4)
    {
        using var scope = NewDisposeScope();
        var extractor = Build(re4);
        var x = Naive.History(2, Lengths, L, D, scale: 3.0);
        using var output = extractor.Extract(tensor(x, [B, L, D]), tensor(Naive.Mask(Lengths, L), [B, L]));
        var a = Naive.Values(output.Attention);
        var logA = Naive.Values(output.LogAttention);

        logA.Should().OnlyContain(v => float.IsFinite(v), "log A must stay finite, also on padding");
        for (var r = 0; r < B; r++)
        {
            for (var q = 0; q < K; q++)
            {
                var sum = 0.0;
                for (var t = 0; t < L; t++)
                {
                    var cell = (r * K + q) * L + t;
                    if (t < Lengths[r])
                    {
                        sum += a[cell];
                        a[cell].Should().BePositive();
                    }
                    else
                    {
                        a[cell].Should().Be(0f, "padding gets exactly no attention");
                        logA[cell].Should().BeLessThan(-1e8f, "log A on padding is the large finite negative");
                    }
                }

                sum.Should().BeApproximately(1.0, Tolerance);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Extract_NeverLeaksPaddingValuesIntoTheOutputs(bool re4)
    {
        using var scope = NewDisposeScope();
        var extractor = Build(re4);
        var clean = Naive.History(3, Lengths, L, D);
        var dirty = (float[])clean.Clone();
        var noise = Naive.RandomFloats(4, dirty.Length, scale: 50);
        for (var r = 0; r < B; r++)
        {
            for (var t = Lengths[r]; t < L; t++)
            {
                for (var i = 0; i < D; i++) dirty[(r * L + t) * D + i] = noise[(r * L + t) * D + i];
            }
        }

        var mask = tensor(Naive.Mask(Lengths, L), [B, L]);
        using var a = extractor.Extract(tensor(clean, [B, L, D]), mask);
        using var b = extractor.Extract(tensor(dirty, [B, L, D]), mask);

        // Noise of scale 50 would move the outputs by O(1) if it leaked; 1e-6 leaves room for float round-off only (the
        // value projection's BLAS kernel may sum a row in another order when other rows of the batch change).
        Naive.ShouldBeClose(b.Attention, Naive.ToDouble(Naive.Values(a.Attention)), 1e-6, "A");
        Naive.ShouldBeClose(b.LogAttention, Naive.ToDouble(Naive.Values(a.LogAttention)), 1e-6, "log A");
        Naive.ShouldBeClose(b.Interests, Naive.ToDouble(Naive.Values(a.Interests)), 1e-6, "Z");
        Naive.ShouldBeClose(b.RetrievalInterests, Naive.ToDouble(Naive.Values(a.RetrievalInterests)), 1e-6, "U");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Extract_GivesAllTheAttentionToTheItem_ForAUserWithOneItem(bool re4)
    {
        using var scope = NewDisposeScope();
        var extractor = Build(re4);
        int[] lengths = [1];
        var x = Naive.History(5, lengths, L, D);
        using var output = extractor.Extract(tensor(x, [1, L, D]), tensor(Naive.Mask(lengths, L), [1, L]));

        var a = Naive.Values(output.Attention);
        var logA = Naive.Values(output.LogAttention);
        for (var q = 0; q < K; q++)
        {
            a[q * L].Should().Be(1f);
            logA[q * L].Should().BeApproximately(0f, 1e-6f);
            for (var t = 1; t < L; t++) a[q * L + t].Should().Be(0f);
        }

        if (!re4)
        {
            // Z_k = x_0 for every interest.
            var expected = Enumerable.Range(0, K).SelectMany(_ => x.Take(D)).Select(v => (double)v).ToArray();
            Naive.ShouldBeClose(output.Interests, expected, Tolerance, "Z");
        }
    }

    [Fact]
    public void Extract_ThrowsArgumentException_ForWrongShapes()
    {
        using var scope = NewDisposeScope();
        var extractor = Build(re4: false);

        var wrongD = () => extractor.Extract(zeros(2, 3, D + 1), ones(2, 3));
        var tooLong = () => extractor.Extract(zeros(2, L + 1, D), ones(2, L + 1));
        var maskLength = () => extractor.Extract(zeros(2, 3, D), ones(2, 4));
        var maskBatch = () => extractor.Extract(zeros(2, 3, D), ones(1, 3));
        var maskRank = () => extractor.Extract(zeros(2, 3, D), ones(2, 3, 1));
        var historyRank = () => extractor.Extract(zeros(3, D), ones(3));

        wrongD.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("history");
        tooLong.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("history");
        maskLength.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("mask");
        maskBatch.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("mask");
        maskRank.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("mask");
        historyRank.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("history");
    }

    [Fact]
    public void Constructor_ThrowsForInvalidOptions()
    {
        var act = () => new SelfAttentiveExtractor(new SelfAttentiveOptions { Dimension = 0 });
        act.Should().Throw<ArgumentOutOfRangeException>();
        var hidden = () => new SelfAttentiveExtractor(new SelfAttentiveOptions { HiddenMultiplier = 0 });
        hidden.Should().Throw<ArgumentOutOfRangeException>();
    }
}
