using System.Runtime.Intrinsics;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary>The fused full-softmax loss of <see cref="LogitsKernel.Managed"/> (<see cref="ManagedSoftmaxCrossEntropy"/>)
/// against a double-precision reference written here (loop sums, no libtorch), its vector exp against
/// <see cref="Math.Exp(double)"/>, and its edge cases.</summary>
public sealed class ManagedSoftmaxCrossEntropyTests
{
    private static (Tensor U, Tensor E) Inputs(int b, int n, int d, int seed, double spread)
    {
        var generator = new Generator((ulong)seed);
        var u = rand(new long[] { b, d }, generator: generator).sub_(0.5).mul_(spread);   // [B, d]
        var e = rand(new long[] { n, d }, generator: generator).sub_(0.5).mul_(spread);   // [N, d]
        return (u, e);
    }

    /// <summary>The loss and both gradients in double, from the definition: L = (1/B) Σᵢ [log Σⱼ exp(zᵢⱼ) − zᵢₜ],
    /// zᵢⱼ = uᵢ·eⱼ, ∂L/∂zᵢⱼ = (softmax(zᵢ)ⱼ − [j = tᵢ]) / B.</summary>
    private static (double Loss, double[] GradU, double[] GradE) Reference(float[] u, float[] e, long[] t, int b, int n, int d)
    {
        var gradU = new double[b * d];
        var gradE = new double[n * d];
        double loss = 0;
        for (var i = 0; i < b; i++)
        {
            var z = new double[n];
            for (var j = 0; j < n; j++)
                for (var x = 0; x < d; x++) z[j] += (double)u[i * d + x] * e[j * d + x];
            var max = z.Max();
            var sum = z.Sum(v => Math.Exp(v - max));
            loss += max + Math.Log(sum) - z[t[i]];
            for (var j = 0; j < n; j++)
            {
                var g = (Math.Exp(z[j] - max) / sum - (j == t[i] ? 1 : 0)) / b;
                for (var x = 0; x < d; x++)
                {
                    gradU[i * d + x] += g * e[j * d + x];
                    gradE[j * d + x] += g * u[i * d + x];
                }
            }
        }

        return (loss / b, gradU, gradE);
    }

    [Theory]
    [InlineData(128, 1000, 64, 4.0)]   // the training shape, a smaller catalogue, peaked rows
    [InlineData(1, 37, 64, 1.0)]       // one row, N not a multiple of 16
    [InlineData(7, 100, 17, 1.0)]      // d not a multiple of the vector width
    [InlineData(13, 15, 8, 2.0)]       // N below one vector: the scalar tail only
    [InlineData(5, 1, 64, 1.0)]        // one item: every loss is 0, every gradient 0
    public void Loss_MatchesDoubleReference_LossAndBothGradients(int b, int n, int d, double spread)
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(b, n, d, seed: b * 1000 + n + d, spread);
        var t = Enumerable.Range(0, b).Select(i => (long)((i * 7 + 3) % n)).ToArray();
        t[0] = n - 1;   // the last column, read past the last full vector when N is not a multiple of 16
        var um = u.clone().requires_grad_(true);
        var em = e.clone().requires_grad_(true);

        var loss = ManagedSoftmaxCrossEntropy.Loss(um, em, tensor(t), skipRows: 0);
        loss.backward();

        var (expected, gradU, gradE) = Reference(u.data<float>().ToArray(), e.data<float>().ToArray(), t, b, n, d);
        loss.dtype.Should().Be(ScalarType.Float32);
        loss.dim().Should().Be(0);
        // The logits carry float rounding of d products each (about d·ε·spread²/4 at worst); the loss inherits it.
        loss.item<float>().Should().BeApproximately((float)expected, (float)(d * 6e-8 * spread * spread * Math.Max(1, Math.Abs(expected))));
        var gu = um.grad!.data<float>().ToArray();
        var ge = em.grad!.data<float>().ToArray();
        // A gradient element sums N (dU) or B (dE) terms of at most spread²/4 · 1/B each; float rounding of the softmax
        // and the sums stays far below 1e-6 of the largest term's scale.
        var tolerance = 1e-6 * spread * spread;
        for (var k = 0; k < gu.Length; k++) gu[k].Should().BeApproximately((float)gradU[k], (float)tolerance, $"dL/dU[{k / d}, {k % d}]");
        for (var k = 0; k < ge.Length; k++) ge[k].Should().BeApproximately((float)gradE[k], (float)tolerance, $"dL/dE[{k / d}, {k % d}]");
    }

    [Fact]
    public void Loss_AgreesWithLibtorchCrossEntropy_AndBackwardCanRunTwice()
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(9, 300, 32, seed: 5, spread: 3);
        var t = tensor(new long[] { 0, 299, 5, 5, 17, 100, 250, 1, 42 });
        var um = u.clone().requires_grad_(true);
        var em = e.clone().requires_grad_(true);
        var loss = ManagedSoftmaxCrossEntropy.Loss(um, em, t, skipRows: 0);
        var ut = u.clone().requires_grad_(true);
        var et = e.clone().requires_grad_(true);
        var torchLoss = nn.functional.cross_entropy(ut.matmul(et.t()), t);
        torchLoss.backward();
        loss.item<float>().Should().BeApproximately(torchLoss.item<float>(), 1e-5f);

        // Twice (the graph kept): backward must not consume what forward saved, so the second adds the same gradient.
        loss.backward(retain_graph: true);
        var first = (um.grad!.clone(), em.grad!.clone());
        loss.backward();
        (um.grad! - 2 * first.Item1).abs().max().item<float>().Should().BeLessThan(1e-7f);
        (em.grad! - 2 * first.Item2).abs().max().item<float>().Should().BeLessThan(1e-7f);
        (first.Item1 - ut.grad!).abs().max().item<float>().Should().BeLessThan(1e-6f);
        (first.Item2 - et.grad!).abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Loss_SkippingTheTablesFirstRow_EqualsTheLossOverTheRestAndGivesThatRowNoGradient()
    {
        // The full softmax passes the item table [N + 1, d] and skips row 0 (padding): the same loss and gradients, bit for
        // bit, as the rows 1..N given on their own, with a zero gradient for row 0.
        using var scope = NewDisposeScope();
        var (u, table) = Inputs(6, 51, 64, seed: 4, spread: 2);
        var t = tensor(new long[] { 0, 49, 3, 3, 20, 7 });
        var um = u.clone().requires_grad_(true);
        var tm = table.clone().requires_grad_(true);
        var skipped = ManagedSoftmaxCrossEntropy.Loss(um, tm, t, skipRows: 1);
        skipped.backward();
        var ur = u.clone().requires_grad_(true);
        var er = table.narrow(0, 1, 50).clone().requires_grad_(true);
        var rest = ManagedSoftmaxCrossEntropy.Loss(ur, er, t, skipRows: 0);
        rest.backward();

        skipped.item<float>().Should().Be(rest.item<float>());
        tm.grad!.shape.Should().Equal(51, 64);
        tm.grad![0].abs().max().item<float>().Should().Be(0f);
        tm.grad!.narrow(0, 1, 50).eq(er.grad!).all().item<bool>().Should().BeTrue();
        um.grad!.eq(ur.grad!).all().item<bool>().Should().BeTrue();
        var act = () => ManagedSoftmaxCrossEntropy.Loss(u, table, t, skipRows: 52);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    /// <summary>The row-major softmax that earlier builds ran on <c>[B, N]</c> logits, written here on arrays: for N ≥ 16 on
    /// an AVX-512 machine, the vector exp and 16 partial sums (lane = item index mod 16) up to the last whole 16, reduced by
    /// <see cref="Vector512.Sum{T}"/>, then the tail with <see cref="MathF.Exp"/> added one by one; each element times 1/sum;
    /// loss = max + log(sum) − logit.</summary>
    private static float ReferenceRow(float[] row, long target)
    {
        var n = row.Length;
        var logit = row[target];
        var max = row.Max();
        var vector = Avx512 && n >= 16;
        var n16 = vector ? n - n % 16 : 0;
        var partial = new float[16];
        for (var j = 0; j < n16; j++)
        {
            var x = ManagedSoftmaxCrossEntropy.Exp(Vector512.Create(row[j] - max)).GetElement(0);
            row[j] = x;
            partial[j % 16] += x;
        }

        var sum = vector ? Vector512.Sum(Vector512.Create(partial)) : 0f;
        for (var j = n16; j < n; j++)
        {
            var x = MathF.Exp(row[j] - max);
            row[j] = x;
            sum += x;
        }

        var inverse = 1f / sum;
        for (var j = 0; j < n; j++) row[j] *= inverse;
        return max + MathF.Log(sum) - logit;
    }

    /// <summary><see cref="ReferenceRow"/> on each row of <paramref name="rows"/> (<c>[B, n]</c>, in place); the rows' losses.</summary>
    private static float[] ReferenceRows(float[] rows, int n, long[] t)
    {
        var loss = new float[t.Length];
        for (var i = 0; i < t.Length; i++)
        {
            var row = rows.AsSpan(i * n, n).ToArray();
            loss[i] = ReferenceRow(row, t[i]);
            row.CopyTo(rows, i * n);
        }

        return loss;
    }

    private static bool Avx512 => Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    [Theory]
    [InlineData(50, 333)]    // three whole groups of 16 users and 2 more; N not a multiple of 16
    [InlineData(128, 1000)]  // the training batch
    [InlineData(300, 40)]    // more than one sweep of 256 users per thread
    [InlineData(5, 7)]       // no whole group, N below 16: every element on the scalar path
    [InlineData(16, 16)]     // one group, no tail
    public void SoftmaxColumns_GivesTheRowMajorSoftmaxBitForBit_WhateverTheThreadCount(int users, int n)
    {
        var (u, e) = Inputs(users, n, 64, seed: users + n, spread: 4);
        using var logits = u.matmul(e.t());   // [B, N]
        var t = Enumerable.Range(0, users).Select(i => (long)(i * 5 % n)).ToArray();
        var rows = logits.data<float>().ToArray();
        var max = Enumerable.Range(0, users).Select(i => rows.Skip(i * n).Take(n).Max()).ToArray();
        var expectedLoss = ReferenceRows(rows, n, t);

        foreach (var threads in new[] { 1, 2, 3 })
        {
            using var p = logits.t().contiguous();   // Pᵀ [N, B]
            var loss = new float[users];
            ManagedSoftmaxCrossEntropy.SoftmaxColumns(p, max, t, loss, threads);
            loss.Should().Equal(expectedLoss, $"the loss with {threads} thread(s)");
            using var back = p.t().contiguous();   // [B, N]
            var got = back.data<float>().ToArray();
            got.Should().Equal(rows, $"the probabilities with {threads} thread(s)");
            // Each user's column is now a distribution.
            for (var i = 0; i < users; i++) got.Skip(i * n).Take(n).Sum().Should().BeApproximately(1f, 1e-5f);

            // Left as exponentials with the factors handed back (what the fused loss does): times 1/Σ, the same bits.
            using var q = logits.t().contiguous();   // [N, B]
            var inverse = new float[users];
            var lossLeft = new float[users];
            ManagedSoftmaxCrossEntropy.SoftmaxColumns(q, max, t, lossLeft, threads, inverse);
            lossLeft.Should().Equal(expectedLoss, $"the loss with the factors left, {threads} thread(s)");
            using var scaled = q.mul(tensor(inverse)).t().contiguous();   // [B, N]
            scaled.data<float>().ToArray().Should().Equal(rows, $"the exponentials times 1/Σ, {threads} thread(s)");
        }
    }

    /// <summary>A leaf table's gradient is accumulated by the function itself (so autograd does not copy the returned dE);
    /// it must equal what autograd's own accumulation gives: dE alone when it is the first, dE added to an existing
    /// gradient otherwise, bit for bit. The table behind a ×1 is not a leaf, so there the function returns dE.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LeafTable_GetsTheGradientAutogradWouldGive_BitForBit(bool otherUseFirst)
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(13, 300, 64, seed: 21, spread: 3);
        var t = tensor(Enumerable.Range(0, 13).Select(i => (long)(i * 37 % 300)).ToArray());
        var other = randn(300, 64);   // another use of the table: d/dE (E·other).sum() = other

        int[] Gradient(bool leaf, bool withOtherUse)
        {
            var table = e.clone().requires_grad_(true);
            if (withOtherUse && otherUseFirst) table.mul(other).sum().backward();
            var loss = ManagedSoftmaxCrossEntropy.Loss(u, leaf ? table : table.mul(1f), t, skipRows: 0);
            loss.backward();
            if (withOtherUse && !otherUseFirst) table.mul(other).sum().backward();
            return table.grad!.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
        }

        Gradient(leaf: true, withOtherUse: false).Should().Equal(Gradient(leaf: false, withOtherUse: false), "dE alone");
        Gradient(leaf: true, withOtherUse: true).Should().Equal(Gradient(leaf: false, withOtherUse: true), "dE and another use");
    }

    /// <summary>Backward multiplies the saved exponentials through by 1/Σ in place: a second backward of the same graph
    /// (retain_graph) must not apply it twice, so the gradients add up to exactly twice the first.</summary>
    [Fact]
    public void Backward_Twice_WithRetainGraph_GivesTheSameGradientsAgain()
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(40, 1100, 64, seed: 77, spread: 3);
        var t = tensor(Enumerable.Range(0, 40).Select(i => (long)(i * 13 % 1100)).ToArray());
        var um = u.clone().requires_grad_(true);
        var em = e.clone().requires_grad_(true);
        var loss = ManagedSoftmaxCrossEntropy.Loss(um, em, t, skipRows: 0);

        loss.backward(retain_graph: true);
        var firstU = um.grad!.clone();
        var firstE = em.grad!.clone();
        loss.backward();

        // g + g is exact in float.
        um.grad!.data<float>().ToArray().Should().Equal(firstU.mul(2).data<float>().ToArray());
        em.grad!.data<float>().ToArray().Should().Equal(firstE.mul(2).data<float>().ToArray());
    }

    [Theory]
    [InlineData(128, 1100, 64)]   // the training shape, three blocks of 512 items in dU's sum
    [InlineData(20, 37, 17)]      // a partial group of users, d below the vector width
    [InlineData(600, 70, 64)]     // more users than a block of 512: dE still sums them in one pass
    public void Loss_GivesTheRowMajorLayoutsLossAndGradientsBitForBit(int b, int n, int d)
    {
        if (!Avx512) return;   // without AVX-512 the loss is libtorch's cross-entropy (Loss_AgreesWithLibtorchCrossEntropy)
        // Earlier builds kept the logits [B, N]: dU = c·(P·E − e_t) with the items summed in blocks of 512, dE = Pᵀ·(c·U) −
        // c·u_t with the users summed in one pass. The item-major layout must give the same bits.
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(b, n, d, seed: b + n + d, spread: 3);
        var t = Enumerable.Range(0, b).Select(i => (long)(i * 7 % n)).ToArray();
        var um = u.clone().requires_grad_(true);
        var em = e.clone().requires_grad_(true);
        var loss = ManagedSoftmaxCrossEntropy.Loss(um, em, tensor(t), skipRows: 0);
        loss.backward();

        var logits = empty(b, n);   // [B, N]
        ManagedLogits.Forward(u, e, logits, 2);
        var rows = logits.data<float>().ToArray();
        var rowLoss = ReferenceRows(rows, n, t);

        var p = tensor(rows, new long[] { b, n });   // P [B, N]
        var c = 1f / b;
        var scaledU = u * c;   // [B, d]
        var gradE = empty(n, d);
        ManagedLogits.GradTable(p, scaledU, gradE, 2);
        var ge = gradE.data<float>().ToArray();
        var su = scaledU.data<float>().ToArray();
        for (var i = 0; i < b; i++)
            for (var x = 0; x < d; x++) ge[t[i] * d + x] -= su[i * d + x];
        var gradU = empty(b, d);
        ManagedLogits.GradInterests(p, e, gradU, 2);
        var gu = gradU.data<float>().ToArray();
        var ev = e.data<float>().ToArray();
        for (var i = 0; i < b; i++)
            for (var x = 0; x < d; x++) gu[i * d + x] = c * (gu[i * d + x] - ev[t[i] * d + x]);

        double total = 0;
        foreach (var l in rowLoss) total += l;   // in row order, as the function sums
        loss.item<float>().Should().Be((float)(total / b));
        um.grad!.data<float>().ToArray().Should().Equal(gu);
        em.grad!.data<float>().ToArray().Should().Equal(ge);
    }

    [Fact]
    public void Exp_IsWithinTwoUlpsOfMathExp_UnderflowsToZero_AndKeepsNaN()
    {
        if (!Vector512.IsHardwareAccelerated || !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;   // the scalar path uses MathF.Exp
        var inputs = new List<float> { 0f, -0f, -1e-30f, -0.34657359f, -0.34657360f, -0.5f, -1f, -10f, -50f, -87f, -87.29f, 1f, 5f, 80f };
        for (var x = -87.25f; x < 0; x += 0.0137f) inputs.Add(x);
        while (inputs.Count % 16 != 0) inputs.Add(-3f);
        var values = inputs.ToArray();
        for (var i = 0; i < values.Length; i += 16)
        {
            var got = ManagedSoftmaxCrossEntropy.Exp(Vector512.Create(values, i));
            for (var k = 0; k < 16; k++)
            {
                var exact = Math.Exp(values[i + k]);
                var ulp = MathF.BitIncrement((float)exact) - (float)exact;
                Math.Abs(got.GetElement(k) - exact).Should().BeLessThanOrEqualTo(2.0 * ulp, $"exp({values[i + k]:R})");
            }
        }

        var edge = ManagedSoftmaxCrossEntropy.Exp(Vector512.Create(float.NaN, -87.31f, -100f, float.NegativeInfinity, -1e30f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        float.IsNaN(edge.GetElement(0)).Should().BeTrue();
        edge.GetElement(1).Should().Be(0f);
        edge.GetElement(2).Should().Be(0f);
        edge.GetElement(3).Should().Be(0f);
        edge.GetElement(4).Should().Be(0f);
        edge.GetElement(5).Should().Be(1f);
    }

    [Fact]
    public void Loss_NaNInTheInterests_GivesNaN()
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(4, 40, 16, seed: 2, spread: 1);
        u[2, 3] = tensor(float.NaN);
        float.IsNaN(ManagedSoftmaxCrossEntropy.Loss(u, e, tensor(new long[] { 0, 1, 2, 3 }), skipRows: 0).item<float>()).Should().BeTrue();
    }

    [Theory]
    [InlineData(40L)]
    [InlineData(-1L)]
    public void Loss_TargetOutsideTheColumns_Throws(long bad)
    {
        using var scope = NewDisposeScope();
        var (u, e) = Inputs(3, 40, 16, seed: 2, spread: 1);
        var act = () => ManagedSoftmaxCrossEntropy.Loss(u, e, tensor(new long[] { 0, bad, 2 }), skipRows: 0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage($"*Target 1 is {bad}*[0, 40)*");
    }
}
