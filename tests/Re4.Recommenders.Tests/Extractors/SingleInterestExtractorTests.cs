using Re4.Recommenders.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Extractors;

/// <summary>The single-interest baselines (K = 1): YouTube DNN's masked mean then linear, and GRU4Rec's last valid
/// GRU state, against naive loops (the GRU with PyTorch's gate equations on the module's own weights).</summary>
public sealed class SingleInterestExtractorTests
{
    private const int B = 3, L = 5, D = 4;
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [5, 2, 1];

    /// <summary>Same X with noise on the padded positions: outputs must not change.</summary>
    private static float[] WithPaddingNoise(float[] x, int[] lengths, int l, int d)
    {
        var dirty = (float[])x.Clone();
        var noise = Naive.RandomFloats(77, x.Length, scale: 30);
        for (var r = 0; r < lengths.Length; r++)
        {
            for (var t = lengths[r]; t < l; t++)
            {
                for (var i = 0; i < d; i++) dirty[(r * l + t) * d + i] = noise[(r * l + t) * d + i];
            }
        }

        return dirty;
    }

    private static double[] UniformAttention(int[] lengths, int l)
    {
        var a = new double[lengths.Length * l];
        for (var r = 0; r < lengths.Length; r++)
        {
            for (var t = 0; t < lengths[r]; t++) a[r * l + t] = 1.0 / lengths[r];
        }

        return a;
    }

    [Fact]
    public void MeanPooling_IsTheMaskedMeanThenALinearLayer()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var extractor = new MeanPoolingExtractor(D);
        var p = Naive.Parameters(extractor);
        var x = Naive.History(1, Lengths, L, D);
        var xd = Naive.ToDouble(x);
        var expected = new double[B * D];
        for (var r = 0; r < B; r++)
        {
            var mean = new double[D];
            for (var t = 0; t < Lengths[r]; t++)
            {
                for (var i = 0; i < D; i++) mean[i] += xd[(r * L + t) * D + i] / Lengths[r];
            }

            Array.Copy(p.Get("dense.weight").Apply(mean, p.Get("dense.bias")), 0, expected, r * D, D);
        }

        var mask = tensor(Naive.Mask(Lengths, L), [B, L]);
        using var output = extractor.Extract(tensor(x, [B, L, D]), mask);
        using var noisy = extractor.Extract(tensor(WithPaddingNoise(x, Lengths, L, D), [B, L, D]), mask);

        extractor.InterestCount.Should().Be(1);
        output.Interests.shape.Should().Equal(B, 1, D);
        output.Attention.shape.Should().Equal(B, 1, L);
        Naive.ShouldBeClose(output.Interests, expected, Tolerance, "Z");
        Naive.ShouldBeClose(output.Attention, UniformAttention(Lengths, L), Tolerance, "A");
        Naive.Values(output.LogAttention).Should().OnlyContain(v => float.IsFinite(v));
        Naive.Values(noisy.Interests).Should().Equal(Naive.Values(output.Interests), "padding is masked out of the mean");
        ReferenceEquals(output.RetrievalInterests, output.Interests).Should().BeTrue();
    }

    /// <summary>PyTorch's GRU cell: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h; weights stacked (r, z, n).</summary>
    private static double[] NaiveGru(Dictionary<string, NaiveWeights> p, double[] x, int row, int length, int l, int d)
    {
        var wih = p.Get("gru.weight_ih_l0");
        var whh = p.Get("gru.weight_hh_l0");
        var bih = p.Get("gru.bias_ih_l0");
        var bhh = p.Get("gru.bias_hh_l0");
        wih.Shape.Should().Equal(3 * d, d);
        var h = new double[d];
        for (var t = 0; t < length; t++)
        {
            var xt = Naive.Row(x, (row * l + t) * d, d);
            var gi = wih.Apply(xt, bih);   // [3d]
            var gh = whh.Apply(h, bhh);    // [3d]
            var next = new double[d];
            for (var i = 0; i < d; i++)
            {
                var r = Naive.Sigmoid(gi[i] + gh[i]);
                var z = Naive.Sigmoid(gi[d + i] + gh[d + i]);
                var n = Math.Tanh(gi[2 * d + i] + r * gh[2 * d + i]);
                next[i] = (1 - z) * n + z * h[i];
            }

            h = next;
        }

        return h;
    }

    [Fact]
    public void Gru_OutputsTheStateAfterTheLastValidItem()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var extractor = new GruExtractor(D);
        var p = Naive.Parameters(extractor);
        var x = Naive.History(2, Lengths, L, D);
        var xd = Naive.ToDouble(x);
        var expected = new double[B * D];
        for (var r = 0; r < B; r++) Array.Copy(NaiveGru(p, xd, r, Lengths[r], L, D), 0, expected, r * D, D);

        var mask = tensor(Naive.Mask(Lengths, L), [B, L]);
        using var output = extractor.Extract(tensor(x, [B, L, D]), mask);
        using var noisy = extractor.Extract(tensor(WithPaddingNoise(x, Lengths, L, D), [B, L, D]), mask);

        output.Interests.shape.Should().Equal(B, 1, D);
        Naive.ShouldBeClose(output.Interests, expected, Tolerance, "Z");
        Naive.ShouldBeClose(output.Attention, UniformAttention(Lengths, L), Tolerance, "A");
        Naive.ShouldBeClose(noisy.Interests, expected, Tolerance, "Z with noisy padding");

        // Not the state after the whole padded sequence: row 1 and 2 would differ.
        var full = NaiveGru(p, xd, 1, L, L, D);
        Enumerable.Range(0, D).Max(i => Math.Abs(full[i] - expected[D + i])).Should().BeGreaterThan(1e-4);
    }

    [Fact]
    public void Extract_ThrowsForWrongShapes_InSingleInterestExtractors()
    {
        using var scope = NewDisposeScope();
        var mean = new MeanPoolingExtractor(D);
        var gru = new GruExtractor(D);
        var meanWrongD = () => mean.Extract(zeros(2, 3, D + 1), ones(2, 3));
        var gruMask = () => gru.Extract(zeros(2, 3, D), ones(3, 3));
        meanWrongD.Should().Throw<ArgumentException>();
        gruMask.Should().Throw<ArgumentException>();
        var zeroD = () => new MeanPoolingExtractor(0);
        zeroD.Should().Throw<ArgumentOutOfRangeException>();
    }
}
