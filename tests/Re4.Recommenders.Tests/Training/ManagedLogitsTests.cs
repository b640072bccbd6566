using System.Diagnostics;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Tests.Training.Runs;
using Re4.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The managed logits kernel (<see cref="LogitsKernel.Managed"/>) against libtorch's products, in float32 and in
/// double: forward U·Eᵀ and both gradients' products, odd shapes, a few training steps, and memory over many calls of the
/// full-softmax function built on them.</summary>
public sealed class ManagedLogitsTests
{
    private const int Threads = 2;

    private static (Tensor U, Tensor E) Inputs(int b, int n, int d, int seed, ScalarType dtype = ScalarType.Float32)
    {
        var generator = new Generator((ulong)seed);
        var u = rand(new long[] { b, d }, generator: generator, dtype: dtype).sub_(0.5);   // [B, d] in [-0.5, 0.5)
        var e = rand(new long[] { n, d }, generator: generator, dtype: dtype).sub_(0.5);   // [N, d]
        return (u, e);
    }

    /// <summary>Largest |a − b| over the elements.</summary>
    private static double MaxError(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();

    [Theory]
    [InlineData(128, 1000, 64)]   // the training shape, a smaller catalogue
    [InlineData(1, 37, 64)]       // one row (a partial row tile), N not a multiple of 16 or 64
    [InlineData(7, 100, 17)]      // d not a multiple of the vector width: the padded panels
    [InlineData(13, 65, 128)]     // two column blocks of 64, one item past a block
    [InlineData(6, 1, 64)]        // one item
    public void Products_MatchTorchDoubleMatmul_ForwardAndBothGradients(int b, int n, int d)
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(b, n, d, seed: b * 1000 + n + d);
        var g = rand(new long[] { b, n }, generator: new Generator(5), dtype: ScalarType.Float32).sub_(0.5);   // [B, N], the upstream gradient
        var logits = empty(b, n);   // [B, N]
        var gradU = empty(b, d);    // [B, d]
        var gradE = empty(n, d);    // [N, d]
        ManagedLogits.Forward(u, e, logits, Threads);
        ManagedLogits.GradInterests(g, e, gradU, Threads);
        ManagedLogits.GradTable(g, u, gradE, Threads);

        // The exact products in double: every product of two floats is exact in double and d, N ≤ 1000 terms add
        // rounding far below float's.
        var ud = u.to(ScalarType.Float64);
        var ed = e.to(ScalarType.Float64);
        var gd = g.to(ScalarType.Float64);
        var forward = ud.matmul(ed.t());           // [B, N]
        var exactGradU = gd.matmul(ed);            // [B, d]
        var exactGradE = gd.t().matmul(ud);        // [N, d]
        // Terms are products of two values in [-0.5, 0.5): |term| ≤ 0.25, so a float sum of k terms errs by at most
        // about k·ε·(k·0.25); the bound doubles that.
        static double Bound(int k) => 2.0 * k * k * 0.25 * 5.96e-8;

        logits.shape.Should().Equal(b, n);
        MaxError(logits, forward).Should().BeLessThan(Bound(d), "the forward sums d products");
        MaxError(gradU, exactGradU).Should().BeLessThan(Bound(n), "dU sums N products");
        MaxError(gradE, exactGradE).Should().BeLessThan(Bound(b), "dE sums B products");
        // And against libtorch's own float32 product, what the default kernel computes.
        MaxError(logits, u.matmul(e.t())).Should().BeLessThan(2 * Bound(d));
    }

    [Theory]
    [InlineData(1000, 128, 64)]   // the item-major logits: few columns, so two or more threads split the rows
    [InlineData(61, 20, 17)]      // a short partial last row range and padded columns
    public void Forward_FewColumns_SameBitsForAnyThreadCount_AndTheTransposeOfTheRowMajorProduct(int b, int n, int d)
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(b, n, d, seed: b + n);
        var one = empty(b, n);
        ManagedLogits.Forward(u, e, one, 1);
        var transposed = empty(n, b);
        ManagedLogits.Forward(e, u, transposed, 1);
        foreach (var threads in new[] { 2, 3, 7 })
        {
            var many = empty(b, n);
            ManagedLogits.Forward(u, e, many, threads);
            many.data<float>().ToArray().Should().Equal(one.data<float>().ToArray(), $"{threads} threads");
        }

        // Each element is the same chain of fused multiply-adds over d either way round.
        transposed.t().contiguous().data<float>().ToArray().Should().Equal(one.data<float>().ToArray());
        MaxError(one, u.to(ScalarType.Float64).matmul(e.to(ScalarType.Float64).t())).Should().BeLessThan(1e-5);
    }

    [Theory]
    [InlineData(1100, 37, 64)]   // three blocks of items, the last partial (1100 = 2·512 + 76); a partial user tile
    [InlineData(1030, 13, 24)]   // padded columns
    [InlineData(300, 128, 80)]   // one block: one task whatever the threads; two column tiles, the second partial
    public void GradientsItemMajor_AreTheTwoProductsBitForBit_WhateverTheThreadCount(int n, int b, int d)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(n + b + d));
        // Probabilities of many magnitudes, so that a sum in another order rounds differently.
        var pT = rand(new long[] { n, b }, generator: generator).mul_(exp(randn(new long[] { n, b }, generator: generator).mul_(3)));   // [N, B]
        var s = randn(new long[] { b, d }, generator: generator);                                                                      // [B, d]
        var e = randn(new long[] { n, d }, generator: generator);                                                                      // [N, d]
        var expectedE = empty(n, d);
        var expectedU = empty(b, d);
        ManagedLogits.GradInterests(pT, s, expectedE, 1, block: int.MaxValue);
        ManagedLogits.GradTable(pT, e, expectedU, 1, block: LogitsGemm.ReductionBlock);
        foreach (var threads in new[] { 1, 2, 3 })
        {
            var gradE = empty(n, d).fill_(float.NaN);
            var gradU = empty(b, d).fill_(float.NaN);
            ManagedLogits.GradientsItemMajor(pT, s, e, gradE, gradU, threads);
            gradE.data<float>().ToArray().Should().Equal(expectedE.data<float>().ToArray(), $"dE, {threads} threads");
            gradU.data<float>().ToArray().Should().Equal(expectedU.data<float>().ToArray(), $"dU, {threads} threads");

            // Pᵀ given before its column factors, which the pass applies block by block: the same bits.
            var scale = rand(new long[] { b }, generator: generator).add_(0.5);   // [B]
            var unscaled = pT.div(scale);                                          // [N, B]
            var scaledE = empty(n, d);
            var scaledU = empty(b, d);
            var reference = unscaled.mul(scale);                                   // one rounding each, as the pass
            var referenceE = empty(n, d);
            var referenceU = empty(b, d);
            ManagedLogits.GradInterests(reference, s, referenceE, 1, block: int.MaxValue);
            ManagedLogits.GradTable(reference, e, referenceU, 1, block: LogitsGemm.ReductionBlock);
            ManagedLogits.GradientsItemMajor(unscaled, s, e, scaledE, scaledU, threads, scale);
            scaledE.data<float>().ToArray().Should().Equal(referenceE.data<float>().ToArray(), $"dE with column factors, {threads} threads");
            scaledU.data<float>().ToArray().Should().Equal(referenceU.data<float>().ToArray(), $"dU with column factors, {threads} threads");
            unscaled.data<float>().ToArray().Should().Equal(reference.data<float>().ToArray(), "Pᵀ is multiplied through in place");
        }

        // And the products themselves, against float64, relative to the largest term's scale.
        var exactU = pT.to(ScalarType.Float64).t().matmul(e.to(ScalarType.Float64));
        var exactE = pT.to(ScalarType.Float64).matmul(s.to(ScalarType.Float64));
        var scaleU = pT.abs().t().matmul(e.abs()).max().item<float>();   // the largest Σ|p·e| of an output
        var scaleE = pT.abs().matmul(s.abs()).max().item<float>();
        (MaxError(expectedU, exactU) / scaleU).Should().BeLessThan(1e-5);
        (MaxError(expectedE, exactE) / scaleE).Should().BeLessThan(1e-5);
    }

    [Theory]
    [InlineData(1000, 128, 3)]   // few columns: two or more threads split the rows, each with maxima of its own
    [InlineData(40, 300, 2)]     // many columns: threads take column chunks; the last chunk is partial (300 = 4·64 + 44)
    [InlineData(7, 20, 1)]       // one partial chunk, a partial row tile
    public void Forward_ColumnMaximum_IsEachColumnsLargestValue_WhateverTheThreadCount(int b, int n, int seed)
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(b, n, 64, seed);
        foreach (var threads in new[] { 1, 2, 3 })
        {
            var c = empty(b, n);   // [B, N]
            var max = new float[n];
            ManagedLogits.Forward(u, e, c, threads, max);
            var values = c.data<float>().ToArray();
            for (var j = 0; j < n; j++)
            {
                var expected = float.NegativeInfinity;
                for (var i = 0; i < b; i++) expected = Math.Max(expected, values[i * n + j]);
                max[j].Should().Be(expected, $"column {j}, {threads} thread(s)");
            }
        }
    }

    [Fact]
    public void Forward_ViewWithStorageOffset_ReadsTheViewsRows()
    {
        // E is a view that starts one row into the table, as the full softmax passes it (table rows 1..N).
        using var scope = NewDisposeScope();
        var (u, table) = Inputs(3, 40, 64, seed: 11);
        var e = table.narrow(0, 1, 39);   // [39, 64], storage offset 64
        var managed = empty(3, 39);   // [3, 39]
        ManagedLogits.Forward(u, e, managed, Threads);
        var uv = u.to(ScalarType.Float64).data<double>().ToArray();
        var ev = table.to(ScalarType.Float64).data<double>().ToArray();
        var expected = new double[3 * 39];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 39; j++)
            {
                double s = 0;
                for (var x = 0; x < 64; x++) s += uv[i * 64 + x] * ev[(j + 1) * 64 + x];   // row j + 1 of the table
                expected[i * 39 + j] = s;
            }

        var got = managed.data<float>().ToArray();
        for (var k = 0; k < expected.Length; k++) Math.Abs(got[k] - expected[k]).Should().BeLessThan(1e-5, $"logit {k}");
    }

    [Fact]
    public void Supports_OnlyTwoDimensionalCpuFloat32_AndTheFullSoftmaxFallsBackToLibtorchOtherwise()
    {
        using var scope = NewDisposeScope();
        ManagedLogits.Supports(zeros(4, 8)).Should().Be(LogitsGemm.Vectorised);
        ManagedLogits.Supports(zeros(new long[] { 4, 8 }, dtype: ScalarType.Float64)).Should().BeFalse();
        ManagedLogits.Supports(zeros(2, 4, 8)).Should().BeFalse();
        // Double tensors keep libtorch's product and cross-entropy, exactly.
        var (u, e) = Inputs(4, 30, 8, seed: 3, dtype: ScalarType.Float64);
        var t = tensor(new long[] { 0, 29, 5, 5 });
        var expected = nn.functional.cross_entropy(u.matmul(e.t()), t);
        ManagedSoftmaxCrossEntropy.Loss(u, e, t, skipRows: 0).eq(expected).item<bool>().Should().BeTrue("double tensors keep libtorch's path");
    }

    [Fact]
    public void GradientProducts_CheckInDouble_MatchFiniteDifferences()
    {
        // A tiny case: the managed float32 gradient of L = Σ w ⊙ (U·Eᵀ) against central differences of L computed in
        // double (L is linear in each input, so the difference quotient is exact up to rounding).
        using var scope = NewDisposeScope();
        const int b = 2, n = 3, d = 17;
        var (u, e) = Inputs(b, n, d, seed: 21);
        var w = rand(new long[] { b, n }, generator: new Generator(4)).sub_(0.5);   // [B, N]
        var gradU = empty(b, d);   // [B, d]: ∂L/∂U = W·E
        var gradE = empty(n, d);   // [N, d]: ∂L/∂E = Wᵀ·U
        ManagedLogits.GradInterests(w, e, gradU, Threads);
        ManagedLogits.GradTable(w, u, gradE, Threads);

        double Loss(double[] uv, double[] ev)
        {
            double s = 0;
            var wv = w.to(ScalarType.Float64).data<double>().ToArray();
            for (var i = 0; i < b; i++)
                for (var j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (var x = 0; x < d; x++) dot += uv[i * d + x] * ev[j * d + x];
                    s += wv[i * n + j] * dot;
                }

            return s;
        }

        var u0 = u.to(ScalarType.Float64).data<double>().ToArray();
        var e0 = e.to(ScalarType.Float64).data<double>().ToArray();
        const double h = 1e-3;
        var gu = gradU.data<float>().ToArray();
        var ge = gradE.data<float>().ToArray();
        for (var k = 0; k < u0.Length; k++)
        {
            var plus = (double[])u0.Clone(); plus[k] += h;
            var minus = (double[])u0.Clone(); minus[k] -= h;
            var numeric = (Loss(plus, e0) - Loss(minus, e0)) / (2 * h);
            gu[k].Should().BeApproximately((float)numeric, 1e-5f, $"dL/dU[{k / d}, {k % d}]");
        }

        for (var k = 0; k < e0.Length; k++)
        {
            var plus = (double[])e0.Clone(); plus[k] += h;
            var minus = (double[])e0.Clone(); minus[k] -= h;
            var numeric = (Loss(u0, plus) - Loss(u0, minus)) / (2 * h);
            ge[k].Should().BeApproximately((float)numeric, 1e-5f, $"dL/dE[{k / d}, {k % d}]");
        }
    }

    [Theory]
    [InlineData(NegativeSampling.Full)]
    [InlineData(NegativeSampling.LogUniform)]
    public void Fit_ManagedKernel_LossesMatchTorchKernel(NegativeSampling negatives)
    {
        List<double> Losses(LogitsKernel kernel)
        {
            var options = TinyRun.Options(null, maxSteps: 8);
            options.Negatives = negatives;
            options.LogitsKernel = kernel;
            options.PrefetchBatches = 0;
            var losses = new List<double>();
            using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), options);
            trainer.Fit(new SynchronousProgress<TrainingProgress>(p => losses.Add(p.Loss)));
            return losses;
        }

        var torchLosses = Losses(LogitsKernel.Torch);
        var managedLosses = Losses(LogitsKernel.Managed);
        managedLosses.Should().HaveCount(torchLosses.Count).And.HaveCountGreaterThan(4);
        // The two differ only by float rounding in the order of sums; over 8 Adam steps at lr 0.01 that stays far below
        // the change of the loss from step to step.
        for (var i = 0; i < torchLosses.Count; i++)
            managedLosses[i].Should().BeApproximately(torchLosses[i], 1e-3 * Math.Max(1, Math.Abs(torchLosses[i])), $"step {i + 1}");
        torchLosses[0].Should().NotBe(torchLosses[^1], "the steps train, so a wrong gradient would show");
    }

    [Fact]
    public void Trainer_TorchKernel_UsesLibtorchsAdam_ManagedKernelTheOnePassOne()
    {
        // Torch is libtorch's arithmetic throughout the step (earlier builds' results bit for bit); Managed, the default,
        // includes Adam's one-pass kernel.
        new TrainerOptions().LogitsKernel.Should().Be(LogitsKernel.Managed);
        foreach (var (kernel, expected) in new[] { (LogitsKernel.Torch, false), (LogitsKernel.Managed, true) })
        {
            var options = TinyRun.Options(null, maxSteps: 1);
            options.LogitsKernel = kernel;
            using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), options);
            trainer.OptimizerUsesKernel.Should().Be(expected, kernel.ToString());
        }
    }

    /// <summary>Records the kernel of each context it is given.</summary>
    private sealed class KernelRecordingFlow : IBackwardFlow
    {
        public List<LogitsKernel> Seen { get; } = [];

        public string Name => "kernel-recorder";

        public Tensor ComputeLoss(BackwardFlowContext context)
        {
            Seen.Add(context.Kernel);
            return context.Interests.sum().mul(0);
        }
    }

    [Fact]
    public void Trainer_GivesTheFlowsItsKernel()
    {
        // Re-construct's managed weighted error follows the step's kernel: Torch stays libtorch's arithmetic throughout.
        foreach (var kernel in new[] { LogitsKernel.Torch, LogitsKernel.Managed })
        {
            var flow = new KernelRecordingFlow();
            var options = TinyRun.Options(null, maxSteps: 2);
            options.LogitsKernel = kernel;
            options.CustomFlows = [new WeightedBackwardFlow(flow, 1)];
            using var trainer = new MultiInterestTrainer(TinyRun.Split.Value, TinyRun.Config(), options);
            trainer.Fit();
            flow.Seen.Should().HaveCount(2).And.OnlyContain(k => k == kernel, kernel.ToString());
        }
    }

    [Fact]
    public void FullSoftmax_ThousandCalls_MemoryStaysFlat()
    {
        var (u, e) = Inputs(32, 500, 64, seed: 8);
        var t = arange(32L).mul_(7).remainder_(500);   // [32]
        void Call()
        {
            using var scope = NewDisposeScope();
            var um = u.detach().requires_grad_(true);
            var em = e.detach().requires_grad_(true);
            ManagedSoftmaxCrossEntropy.Loss(um, em, t, skipRows: 0).backward();
        }

        for (var i = 0; i < 100; i++) Call();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.WorkingSet64;
        for (var i = 0; i < 1000; i++) Call();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        process.Refresh();
        var growth = process.WorkingSet64 - before;
        // Each call makes about 200 KiB of tensors (probabilities, two gradients); a leak of any of them over 1,000 calls is
        // ≥ 64 MiB. Other tests running in parallel move the working set by a few MiB.
        growth.Should().BeLessThan(32L << 20, "every tensor of a call is freed");
        u.Dispose();
        e.Dispose();
        t.Dispose();
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (<see cref="Progress{T}"/> posts).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
