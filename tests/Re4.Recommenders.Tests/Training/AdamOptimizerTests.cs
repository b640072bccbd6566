using System.Runtime;
using Re4.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

public sealed class AdamOptimizerTests
{
    /// <summary>A tiny linear regression with fixed data: W [3, 4] and b [3] from seeded draws, X [8, 4], Y [8, 3].</summary>
    private sealed class TinyRegression : IDisposable
    {
        // Kept alive: a temporary Scalar may be freed by a collection during the native call.
        private static readonly Scalar One = 1.ToScalar(), MinusOne = (-1).ToScalar(), Two = 2.ToScalar();
        private readonly Tensor _x, _y;

        public TinyRegression(int seed = 11)
        {
            manual_seed(seed);
            Weight = nn.Parameter(randn(3, 4));   // [3, 4]
            Bias = nn.Parameter(randn(3));        // [3]
            _x = randn(8, 4);                     // [8, 4]
            _y = randn(8, 3);                     // [8, 3]
        }

        /// <summary>A copy with the same weights and data (for a second optimizer to drive).</summary>
        public TinyRegression Clone()
        {
            var copy = new TinyRegression();
            using var noGrad = no_grad();
            copy.Weight.copy_(Weight);
            copy.Bias.copy_(Bias);
            return copy;
        }

        public Parameter Weight { get; }
        public Parameter Bias { get; }
        public Parameter[] Parameters => [Weight, Bias];

        /// <summary>Mean squared error of X W^T + b against Y, backpropagated into the parameters' gradients.</summary>
        public void Backward()
        {
            using var scope = NewDisposeScope();
            var error = _x.matmul(Weight.t()).add(Bias, One).add(_y, MinusOne);   // [8, 3]
            error.pow(Two).mean().backward();
        }

        public float[] Values() => Parameters.SelectMany(p => p.detach().data<float>().ToArray()).ToArray();

        public void Dispose()
        {
            foreach (var t in new Tensor[] { Weight, Bias, _x, _y }) t.Dispose();
        }
    }

    private static void Train(TinyRegression model, AdamOptimizer adam, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            adam.ZeroGrad();
            model.Backward();
            adam.Step();
        }
    }

    /// <summary>TorchSharp's Adam is the reference; its step() can read a Scalar freed by a collection mid-call, so its
    /// run is kept inside a no-GC region when the runtime grants one (no collection, no finalizer).</summary>
    private static float[] TrainWithTorchSharpAdam(TinyRegression model, double learningRate, double weightDecay, int steps)
    {
        using var reference = optim.Adam(model.Parameters, lr: learningRate, weight_decay: weightDecay);
        var noGc = GC.TryStartNoGCRegion(64L << 20);
        try
        {
            for (var i = 0; i < steps; i++)
            {
                reference.zero_grad();
                model.Backward();
                reference.step();
            }
        }
        finally
        {
            if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }

        return model.Values();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void Step_MatchesTorchSharpsAdamOver200Steps(double weightDecay)
    {
        using var ours = new TinyRegression();
        using var theirs = ours.Clone();
        var before = ours.Values();
        using var adam = new AdamOptimizer(ours.Parameters, learningRate: 0.01, weightDecay: weightDecay);

        Train(ours, adam, 200);
        var expected = TrainWithTorchSharpAdam(theirs, 0.01, weightDecay, 200);

        var actual = ours.Values();
        actual.Should().NotEqual(before);
        for (var i = 0; i < actual.Length; i++)
            ((double)Math.Abs(actual[i] - expected[i])).Should().BeLessThanOrEqualTo(1e-6 * Math.Max(1, Math.Abs(expected[i])), $"value {i}");
    }

    /// <summary>Adam's formulas in double precision, on gradients that do not depend on the parameters.</summary>
    private static double[] NaiveAdam(double[] start, Func<int, double[]> gradient, int steps, double lr, double weightDecay,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        var p = (double[])start.Clone();
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (var t = 1; t <= steps; t++)
        {
            var g = gradient(t);
            for (var j = 0; j < p.Length; j++)
            {
                var gj = g[j] + weightDecay * p[j];
                m[j] = beta1 * m[j] + (1 - beta1) * gj;
                v[j] = beta2 * v[j] + (1 - beta2) * gj * gj;
                var mHat = m[j] / (1 - Math.Pow(beta1, t));
                var denominator = Math.Sqrt(v[j]) / Math.Sqrt(1 - Math.Pow(beta2, t)) + eps;
                p[j] -= lr * mHat / denominator;
            }
        }

        return p;
    }

    private static double[] FixedGradient(int t) => [Math.Sin(t), -0.5 * t, 0.25, Math.Cos(3 * t) * 2];

    private static float[] RunOurs(double[] start, int steps, double lr, double weightDecay)
    {
        using var p = nn.Parameter(tensor(start.Select(x => (float)x).ToArray()));   // [4]
        using var adam = new AdamOptimizer([p], lr, weightDecay: weightDecay);
        for (var t = 1; t <= steps; t++)
        {
            p.grad = tensor(FixedGradient(t).Select(x => (float)x).ToArray());   // [4]
            adam.Step();
        }

        return p.detach().data<float>().ToArray();
    }

    [Fact]
    public void Step_MovesEachValueByTheLearningRateAgainstItsGradientSign_OnTheFirstStep()
    {
        // At t = 1, m^ = g and sqrt(v^) = |g|: the update is lr * g / (|g| + eps), i.e. lr * sign(g) to ~1e-8.
        double[] start = [1, 2, -3, 0.5];
        var after = RunOurs(start, 1, lr: 0.1, weightDecay: 0);

        after.Should().Equal(new[] { 1 - 0.1f, 2 + 0.1f, -3 - 0.1f, 0.5f + 0.1f }, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Step_FollowsTheFormulasOfADoublePrecisionImplementation(double weightDecay)
    {
        double[] start = [1, 2, -3, 0.5];
        var expected = NaiveAdam(start, FixedGradient, 5, lr: 0.1, weightDecay);

        var actual = RunOurs(start, 5, lr: 0.1, weightDecay);

        for (var j = 0; j < start.Length; j++) actual[j].Should().BeApproximately((float)expected[j], 1e-5f, $"value {j}");
    }

    [Fact]
    public void Step_SkipsAParameterWithoutGradient()
    {
        using var used = nn.Parameter(ones(2));      // [2]
        using var unused = nn.Parameter(ones(3));    // [3]
        using var adam = new AdamOptimizer([used, unused], 0.1, weightDecay: 0.1);
        used.grad = ones(2);
        adam.Step();
        adam.Step();

        unused.detach().data<float>().ToArray().Should().Equal(1f, 1f, 1f);
        adam.StepsOf(1).Should().Be(0);
        adam.StepsOf(0).Should().Be(2);
        used.detach().data<float>().ToArray().Should().OnlyContain(x => x < 1f);
    }

    [Fact]
    public void ZeroGrad_ZeroesGradientsInPlace()
    {
        using var model = new TinyRegression();
        using var adam = new AdamOptimizer(model.Parameters);
        model.Backward();

        adam.ZeroGrad();

        using var grad = model.Weight.grad;
        grad.Should().NotBeNull();
        grad!.abs().sum().item<float>().Should().Be(0);
    }

    [Fact]
    public void SaveAndLoad_ContinueExactlyLike100Steps_WhenLoadedIntoAFreshOptimizerAfter50Steps()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "adam.bin");
        using var uninterrupted = new TinyRegression();
        using var interrupted = uninterrupted.Clone();
        using (var adam = new AdamOptimizer(uninterrupted.Parameters, 0.01, weightDecay: 0.05)) Train(uninterrupted, adam, 100);

        using (var first = new AdamOptimizer(interrupted.Parameters, 0.01, weightDecay: 0.05))
        {
            Train(interrupted, first, 50);
            first.Save(path);
        }

        using var resumed = interrupted.Clone();   // fresh parameter objects with the step-50 values
        using var second = new AdamOptimizer(resumed.Parameters, 0.01, weightDecay: 0.05);
        second.Load(path);
        second.StepsOf(0).Should().Be(50);
        Train(resumed, second, 50);

        resumed.Values().Should().Equal(uninterrupted.Values());
    }

    [Fact]
    public void Load_ThrowsNamingTheFile_ForAStateOfOtherParameters()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "adam.bin");
        using var model = new TinyRegression();
        using (var adam = new AdamOptimizer(model.Parameters)) adam.Save(path);

        using var one = nn.Parameter(zeros(3, 4));
        using var fewer = new AdamOptimizer([one]);
        ((Action)(() => fewer.Load(path))).Should().Throw<InvalidDataException>().WithMessage($"{path}*2 parameters*has 1*");

        using var wide = nn.Parameter(zeros(3, 5));
        using var bias = nn.Parameter(zeros(3));
        using var reshaped = new AdamOptimizer([wide, bias]);
        ((Action)(() => reshaped.Load(path))).Should().Throw<InvalidDataException>().WithMessage($"{path}*[3, 4]*[3, 5]*");
    }

    [Fact]
    public void Load_ThrowsForTorchSharpsOptimizerStateAndATruncatedFile()
    {
        using var dir = new TempDir();
        using var model = new TinyRegression();
        var torchSharpState = Path.Combine(dir.Path, "optimizer.bin");
        using (var reference = optim.Adam(model.Parameters)) reference.save_state_dict(torchSharpState);
        var truncated = Path.Combine(dir.Path, "adam.bin");
        using var adam = new AdamOptimizer(model.Parameters);
        adam.Save(truncated);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..^10]);

        ((Action)(() => adam.Load(torchSharpState))).Should().Throw<InvalidDataException>().WithMessage($"{torchSharpState} is not an Adam state*");
        ((Action)(() => adam.Load(truncated))).Should().Throw<InvalidDataException>().WithMessage($"{truncated} is truncated*");
    }
}
