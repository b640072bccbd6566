using Re4.Recommenders.BackwardFlows;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.BackwardFlows;

/// <summary>Re-construct's managed weighted error (<see cref="ManagedReconstructionError"/>) against the same expression in
/// libtorch's float64 operations, with libtorch's autograd for the gradients.</summary>
public sealed class ManagedReconstructionErrorTests
{
    /// <summary>G rows that sum to 1 over the slots, V and x of very different scales, 0/1 weights with about 40 % zeros.</summary>
    private static (Tensor G, Tensor V, Tensor X, Tensor W) Case(int b, int k, int l, int j, int d, ulong seed)
    {
        var generator = new Generator(seed);
        var g = randn(new long[] { b, k, l, j }, generator: generator).mul_(2).softmax(-1);         // [B, K, L, J]
        var v = randn(new long[] { b, k, j, d }, generator: generator).mul_(3);                     // [B, K, J, d]
        var x = randn(new long[] { b, l, d }, generator: generator);                                // [B, L, d]
        var w = rand(new long[] { b, k, l }, generator: generator).gt(0.4).to(ScalarType.Float32);  // [B, K, L]
        return (g, v, x, w);
    }

    [Theory]
    [InlineData(3, 2, 5, 5, 37)]     // two vectors of 16 and a tail
    [InlineData(2, 4, 20, 20, 64)]   // the trainer's shape
    [InlineData(2, 1, 3, 4, 5)]      // no whole vector: the scalar loops only
    [InlineData(1, 2, 3, 2, 300_000)]   // a width whose per-cell buffer would not fit on a thread's stack
    public void Sum_MatchesTheFloat64Expression_InValueAndGradients(int b, int k, int l, int j, int d)
    {
        using var scope = NewDisposeScope();
        var (g, v, x, w) = Case(b, k, l, j, d, seed: (ulong)(b * 1000 + d));
        w.sum().item<float>().Should().BeGreaterThan(0);
        const double upstream = 0.37;   // ∂L/∂total other than 1, as re-construct's normalisation gives

        var gm = g.detach().requires_grad_(true);
        var vm = v.detach().requires_grad_(true);
        var xm = x.detach().requires_grad_(true);
        var managed = ManagedReconstructionError.Sum(gm, vm, xm, w);
        managed.mul(upstream).backward();

        var gd = g.to(ScalarType.Float64).requires_grad_(true);
        var vd = v.to(ScalarType.Float64).requires_grad_(true);
        var xd = x.to(ScalarType.Float64).requires_grad_(true);
        var reference = (gd.matmul(vd) - xd.unsqueeze(1)).pow(2).mul(w.to(ScalarType.Float64).unsqueeze(-1)).sum();
        reference.mul(upstream).backward();

        var expected = reference.item<double>();
        ((double)managed.item<float>()).Should().BeApproximately(expected, 1e-5 * expected);
        Close(gm.grad!, gd.grad!, "dG");
        Close(vm.grad!, vd.grad!, "dV");
        Close(xm.grad!, xd.grad!, "dx");
    }

    private static void Close(Tensor actual, Tensor expected, string what)
    {
        actual.shape.Should().Equal(expected.shape, what);
        var a = actual.data<float>().ToArray();
        var e = expected.data<double>().ToArray();
        var scale = e.Max(Math.Abs);
        scale.Should().BeGreaterThan(0, "{0} is not all zero", what);
        for (var i = 0; i < e.Length; i++) ((double)a[i]).Should().BeApproximately(e[i], 1e-5 * scale, "{0}[{1}]", what, i);
    }

    [Fact]
    public void Gradients_AreZero_InTheCellsOfWeightZero()
    {
        using var scope = NewDisposeScope();
        var (g, v, x, w) = Case(2, 3, 6, 6, 20, seed: 5);
        w[0, 1].zero_();   // interest 1 of user 0 has no positive: its slots' values get no gradient
        var gm = g.detach().requires_grad_(true);
        var vm = v.detach().requires_grad_(true);
        ManagedReconstructionError.Sum(gm, vm, x, w).backward();
        var dg = gm.grad!;
        var zeroRows = w.eq(0f).unsqueeze(-1).expand_as(dg);
        dg.masked_select(zeroRows).abs().max().item<float>().Should().Be(0f);
        dg.masked_select(zeroRows.logical_not()).abs().max().item<float>().Should().BeGreaterThan(0f);
        vm.grad![0, 1].abs().max().item<float>().Should().Be(0f);
        vm.grad![0, 0].abs().max().item<float>().Should().BeGreaterThan(0f);
    }

    [Fact]
    public void ForwardAndBackward_GiveTheSameBits_OnAnyNumberOfThreads()
    {
        using var scope = NewDisposeScope();
        var (g, v, x, w) = Case(7, 3, 9, 9, 40, seed: 11);
        var (total1, scaled1) = ManagedReconstructionError.Forward(g, v, x, w, threads: 1);
        var (dg1, dv1, dx1) = ManagedReconstructionError.Backward(g, v, w, scaled1, 0.5f, threads: 1);
        foreach (var threads in new[] { 2, 3, 16 })
        {
            var (total, scaled) = ManagedReconstructionError.Forward(g, v, x, w, threads);
            total.Should().Be(total1, "{0} threads", threads);
            var (dg, dv, dx) = ManagedReconstructionError.Backward(g, v, w, scaled, 0.5f, threads);
            Bits(dg).Should().Equal(Bits(dg1), "dG, {0} threads", threads);
            Bits(dv).Should().Equal(Bits(dv1), "dV, {0} threads", threads);
            Bits(dx).Should().Equal(Bits(dx1), "dx, {0} threads", threads);
        }
    }

    private static int[] Bits(Tensor t) => t.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void Sum_RefusesTensorsWhoseShapesDoNotMatch()
    {
        using var scope = NewDisposeScope();
        var (g, v, x, w) = Case(2, 2, 4, 4, 8, seed: 3);
        var badV = () => ManagedReconstructionError.Sum(g, v.narrow(3, 0, 7), x, w);   // d 7 against x's 8
        badV.Should().Throw<ArgumentException>().WithMessage("*do not match*");
        var badW = () => ManagedReconstructionError.Sum(g, v, x, w.unsqueeze(-1));
        badW.Should().Throw<ArgumentException>().WithMessage("*Expected G [B, K, L, J]*");
    }
}
