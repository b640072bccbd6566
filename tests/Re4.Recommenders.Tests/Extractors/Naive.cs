using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Extractors;

/// <summary>A module parameter copied out of TorchSharp as doubles, indexed row-major.</summary>
internal sealed class NaiveWeights
{
    public NaiveWeights(double[] data, long[] shape)
    {
        Data = data;
        Shape = shape.Select(s => (int)s).ToArray();
    }

    public double[] Data { get; }

    public int[] Shape { get; }

    public double this[int i] => Data[i];

    public double this[int i, int j] => Data[i * Shape[1] + j];

    public double this[int i, int j, int k] => Data[(i * Shape[1] + j) * Shape[2] + k];

    /// <summary>y = W·x (+ b) for a Linear weight <c>[out, in]</c>.</summary>
    public double[] Apply(double[] x, NaiveWeights? bias = null)
    {
        var y = new double[Shape[0]];
        for (var o = 0; o < Shape[0]; o++)
        {
            var sum = bias is null ? 0.0 : bias[o];
            for (var i = 0; i < Shape[1]; i++) sum += this[o, i] * x[i];
            y[o] = sum;
        }

        return y;
    }
}

/// <summary>Plain double loops and small conversions shared by the naive re-implementations in the tests. Nothing here
/// calls the library's tensor code.</summary>
internal static class Naive
{
    /// <summary>Every parameter of <paramref name="module"/>, by its registered name, as doubles.</summary>
    public static Dictionary<string, NaiveWeights> Parameters(nn.Module module)
    {
        var result = new Dictionary<string, NaiveWeights>();
        foreach (var (name, p) in module.named_parameters())
        {
            var data = p.detach().cpu().contiguous().data<float>().ToArray();
            result[name] = new NaiveWeights(data.Select(v => (double)v).ToArray(), p.shape);
        }

        return result;
    }

    public static NaiveWeights Get(this Dictionary<string, NaiveWeights> parameters, string name) =>
        parameters.TryGetValue(name, out var w)
            ? w
            : throw new KeyNotFoundException($"No parameter '{name}'; the module has: {string.Join(", ", parameters.Keys)}.");

    /// <summary>Deterministic floats uniform in [−scale, scale).</summary>
    public static float[] RandomFloats(int seed, int count, double scale = 1.0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    /// <summary>History X <c>[B, L, d]</c> with random valid rows and exactly-zero padding after each row's length.</summary>
    public static float[] History(int seed, int[] lengths, int l, int d, double scale = 1.0)
    {
        var x = RandomFloats(seed, lengths.Length * l * d, scale);
        for (var b = 0; b < lengths.Length; b++)
        {
            for (var p = lengths[b]; p < l; p++) Array.Clear(x, (b * l + p) * d, d);
        }

        return x;
    }

    /// <summary>The valid mask <c>[B, L]</c> for left-aligned histories of the given lengths.</summary>
    public static float[] Mask(int[] lengths, int l)
    {
        var m = new float[lengths.Length * l];
        for (var b = 0; b < lengths.Length; b++)
        {
            for (var p = 0; p < lengths[b]; p++) m[b * l + p] = 1;
        }

        return m;
    }

    public static double[] ToDouble(float[] x) => x.Select(v => (double)v).ToArray();

    public static double[] Row(double[] x, int offset, int length) => x.AsSpan(offset, length).ToArray();

    public static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double[] Tanh(double[] x) => x.Select(Math.Tanh).ToArray();

    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>squash(s) = (‖s‖²/(1 + ‖s‖²))·s/√(‖s‖² + 1e-9), as in docs/concepts.md (ComiRec-DR).</summary>
    public static double[] Squash(double[] s)
    {
        var n2 = Dot(s, s);
        var f = n2 / (1 + n2) / Math.Sqrt(n2 + 1e-9);
        return s.Select(v => f * v).ToArray();
    }

    public static float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    /// <summary>Asserts element-wise |actual − expected| ≤ tolerance, entries with NaN expected skipped.</summary>
    public static void ShouldBeClose(Tensor actual, double[] expected, double tolerance, string what)
    {
        var a = Values(actual);
        a.Length.Should().Be(expected.Length, "{0} has as many entries as the naive one", what);
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(expected[i])) continue;
            ((double)a[i]).Should().BeApproximately(expected[i], tolerance, "{0}[{1}] equals the naive value", what, i);
        }
    }

    public static double MaxAbsDifference(Tensor actual, double[] expected)
    {
        var a = Values(actual);
        var worst = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            if (!double.IsNaN(expected[i])) worst = Math.Max(worst, Math.Abs(a[i] - expected[i]));
        }

        return worst;
    }
}
