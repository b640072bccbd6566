using Re4.Recommenders.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Re4.Recommenders.Tests.Training;

/// <summary><see cref="AdamKernel"/>, the one-pass dense update, against the libtorch operations it replaces
/// (<see cref="AdamOptimizer"/> with its kernel switched off): both moments equal bit for bit, the weights up to the last
/// bits of libtorch's square root; and against Adam's formula computed in double.</summary>
public sealed class AdamKernelTests
{
    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(15, 0.0)]           // below one vector: the scalar loop only
    [InlineData(16, 0.0)]
    [InlineData(33, 0.01)]          // two vectors and a tail, with weight decay
    [InlineData(774_467, 0.0)]      // the item table's size on Beauty (12,101 × 64) plus a tail of 3
    [InlineData(774_467, 0.001)]
    public void Update_EqualsLibtorchsOperations_UpToTheSquareRootsRounding(int count, double weightDecay)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)count);
        var start = randn(new long[] { count }, generator: generator);   // [count]
        var kernelParameter = new Parameter(start.clone());
        var torchParameter = new Parameter(start.clone());
        using var kernel = new AdamOptimizer([kernelParameter], learningRate: 1e-3, weightDecay: weightDecay);
        using var reference = new AdamOptimizer([torchParameter], learningRate: 1e-3, weightDecay: weightDecay) { UseKernel = false };
        for (var step = 0; step < 4; step++)
        {
            // Gradients over many magnitudes (tiny, large, exact zeros), the same for both.
            var grad = randn(new long[] { count }, generator: generator).mul_(exp(randn(new long[] { count }, generator: generator).mul_(4)));
            grad.masked_fill_(rand(new long[] { count }, generator: generator).lt(0.05), 0);
            kernelParameter.grad = grad.clone();
            torchParameter.grad = grad.clone();
            kernel.Step();
            reference.Step();
        }

        var (km, kv) = kernel.MomentsOf(0);
        var (tm, tv) = reference.MomentsOf(0);
        if (weightDecay == 0)
        {
            // The moments depend on the gradients alone: libtorch's operations, fused where its kernels fuse.
            Bits(km).Should().Equal(Bits(tm), "the first moment");
            Bits(kv).Should().Equal(Bits(tv), "the second moment");
        }
        else
        {
            // With weight decay they see the weights, which may differ in the last bit (below).
            (km - tm).abs().max().item<float>().Should().BeLessThan(1e-5f);
            (kv - tv).abs().max().item<float>().Should().BeLessThan(1e-5f);
        }

        // The weights: libtorch's square root (MKL's) is not correctly rounded, this one is. A last-bit difference in the
        // denominator changes an update (at most lr = 1e-3) in its last bits and can round the weight the other way: per
        // step at most one unit in the weight's last place plus a few of the update's.
        var k = kernelParameter.detach().to(ScalarType.Float64);
        var t = torchParameter.detach().to(ScalarType.Float64);
        var bound = (t.abs() * Math.Pow(2, -23) + 1e-3 * Math.Pow(2, -21)) * 4;   // [count]
        var worst = ((k - t).abs() / bound).max().item<double>();
        worst.Should().BeLessThanOrEqualTo(1.0, "four steps, each within a last-bit rounding of the weight and of its update");
        kernelParameter.eq(start).all().item<bool>().Should().BeFalse("the steps moved the weights");
    }

    [Fact]
    public void Update_MatchesTheFormulaInDouble_ToFloatRounding()
    {
        // An independent check of the weights: Adam's formula from its definition, in double, one step from zero moments.
        using var scope = NewDisposeScope();
        const int count = 1000;
        var generator = new Generator(17);
        var start = randn(new long[] { count }, generator: generator);   // [count]
        var grad = randn(new long[] { count }, generator: generator);    // [count]
        var parameter = new Parameter(start.clone());
        using var adam = new AdamOptimizer([parameter], learningRate: 0.01, weightDecay: 0.1);
        parameter.grad = grad.clone();
        adam.Step();
        var p0 = start.data<float>().ToArray();
        var g0 = grad.data<float>().ToArray();
        var got = parameter.detach().data<float>().ToArray();
        for (var i = 0; i < count; i++)
        {
            var g = g0[i] + 0.1 * p0[i];
            double m = 0.1 * g, v = 0.001 * g * g;
            var expected = p0[i] - 0.01 / 0.1 * m / (Math.Sqrt(v) / Math.Sqrt(0.001) + 1e-8);
            got[i].Should().BeApproximately((float)expected, 1e-6f * (float)Math.Max(1, Math.Abs(expected)), $"element {i}");
        }
    }

    [Fact]
    public void LazyRows_KernelEqualsLibtorchsOperations_AndLeavesOtherRowsAlone()
    {
        // A row-sparse table whose steps use a few of its rows: the kernel runs on the gathered rows.
        using var scope = NewDisposeScope();
        const int rows = 300, dim = 24;
        var generator = new Generator(9);
        var start = randn(new long[] { rows, dim }, generator: generator);   // [300, 24]
        var kernelTable = new Parameter(start.clone());
        var torchTable = new Parameter(start.clone());
        using var kernel = new AdamOptimizer([kernelTable], learningRate: 1e-2, rowSparseIndex: 0);
        using var reference = new AdamOptimizer([torchTable], learningRate: 1e-2, rowSparseIndex: 0) { UseKernel = false };
        long[][] steps = [[3, 17, 250], [17, 0, 299, 42], [250]];
        foreach (var step in steps)
        {
            var ids = tensor(step);
            var grad = randn(new long[] { step.Length, dim }, generator: generator);   // [U, 24]
            kernel.StepRows(ids, grad);
            reference.StepRows(ids, grad);
        }

        Bits(kernel.MomentsOf(0).ExpAvg).Should().Equal(Bits(reference.MomentsOf(0).ExpAvg));
        Bits(kernel.MomentsOf(0).ExpAvgSq).Should().Equal(Bits(reference.MomentsOf(0).ExpAvgSq));
        var k = kernelTable.detach().to(ScalarType.Float64);
        var t = torchTable.detach().to(ScalarType.Float64);
        var bound = (t.abs() * Math.Pow(2, -23) + 1e-2 * Math.Pow(2, -21)) * 3;   // three steps, as above
        ((k - t).abs() / bound).max().item<double>().Should().BeLessThanOrEqualTo(1.0);
        var used = new HashSet<long>(steps.SelectMany(x => x));
        for (var r = 0; r < rows; r++)
        {
            var same = kernelTable[r].eq(start[r]).all().item<bool>();
            same.Should().Be(!used.Contains(r), $"row {r} was {(used.Contains(r) ? "" : "not ")}used");
        }
    }

    private static int[] Bits(Tensor t) => t.detach().contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
