using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Re4.Recommenders.Training;

/// <summary>
/// Adam's dense update of one CPU float32 parameter in one pass over its weights, gradient and moments, instead of the
/// eight libtorch operations (eight passes over memory) <see cref="AdamOptimizer"/> otherwise runs.
/// </summary>
/// <remarks>Element by element it does libtorch's float operations in libtorch's order, fused multiply-adds where libtorch's
/// CPU kernels fuse (measured: the moments come out bit-identical). The one difference is the square root: libtorch's
/// comes from MKL's vector library, which is not correctly rounded (it differed from IEEE's in the last bit for about one
/// element in five in a test); this one is IEEE's. So the weights can differ from libtorch's Adam in the last bits.
/// Elements are independent, so the thread count does not change any result.</remarks>
internal static unsafe class AdamKernel
{
    /// <summary>Whether the vector loop runs here (AVX-512); <see cref="AdamOptimizer"/> uses the kernel only then.</summary>
    internal static bool Vectorised => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Elements per thread below which a second thread costs more than it saves.</summary>
    private const long ParallelChunk = 1 << 16;

    /// <summary>m = m·β₁ + (1 − β₁)·g; v = v·β₂ + (1 − β₂)·g·g; p = p + (−lr/c₁)·m / (√v / √c₂ + ε), with g the gradient
    /// plus weightDecay·p when that is not 0, every scalar rounded to float as libtorch rounds a Scalar for a float tensor.</summary>
    public static void Update(float* p, float* grad, float* m, float* v, long count, float beta1, float oneMinusBeta1, float beta2,
        float oneMinusBeta2, float biasCorrection2Sqrt, float eps, float negativeStepSize, float weightDecay, int threads)
    {
        var tasks = (int)Math.Clamp(count / ParallelChunk, 1, Math.Max(1, threads));
        if (tasks == 1)
        {
            Range(p, grad, m, v, 0, count, beta1, oneMinusBeta1, beta2, oneMinusBeta2, biasCorrection2Sqrt, eps, negativeStepSize, weightDecay);
            return;
        }

        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, task =>
        {
            // Boundaries on multiples of 16, so every thread but the last runs whole vectors.
            long from = count * task / tasks / 16 * 16, to = task == tasks - 1 ? count : count * (task + 1) / tasks / 16 * 16;
            Range(p, grad, m, v, from, to, beta1, oneMinusBeta1, beta2, oneMinusBeta2, biasCorrection2Sqrt, eps, negativeStepSize, weightDecay);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range(float* p, float* grad, float* m, float* v, long from, long to, float beta1, float oneMinusBeta1, float beta2,
        float oneMinusBeta2, float biasCorrection2Sqrt, float eps, float negativeStepSize, float weightDecay)
    {
        var i = from;
        if (Vectorised)
        {
            var b1 = Vector512.Create(beta1);
            var a1 = Vector512.Create(oneMinusBeta1);
            var b2 = Vector512.Create(beta2);
            var a2 = Vector512.Create(oneMinusBeta2);
            var c2 = Vector512.Create(biasCorrection2Sqrt);
            var e = Vector512.Create(eps);
            var step = Vector512.Create(negativeStepSize);
            var wd = Vector512.Create(weightDecay);
            for (; i <= to - 16; i += 16)
            {
                var g = Vector512.Load(grad + i);
                var w = Vector512.Load(p + i);
                if (weightDecay != 0) g = Avx512F.FusedMultiplyAdd(w, wd, g);                    // grad.add(p, wd)
                var mi = Avx512F.FusedMultiplyAdd(g, a1, Vector512.Load(m + i) * b1);              // m.mul_(β₁).add_(g, 1 − β₁)
                var vi = Avx512F.FusedMultiplyAdd(a2 * g, g, Vector512.Load(v + i) * b2);          // v.mul_(β₂).addcmul_(g, g, 1 − β₂)
                var den = Avx512F.Sqrt(vi) / c2 + e;                                                // v.sqrt().div_(√c₂).add_(ε)
                (w + step * mi / den).Store(p + i);                                                 // p.addcdiv_(m, den, −lr/c₁)
                mi.Store(m + i);
                vi.Store(v + i);
            }
        }

        for (; i < to; i++)
        {
            var g = grad[i];
            var w = p[i];
            if (weightDecay != 0) g = MathF.FusedMultiplyAdd(w, weightDecay, g);
            var mi = MathF.FusedMultiplyAdd(g, oneMinusBeta1, m[i] * beta1);
            var vi = MathF.FusedMultiplyAdd(oneMinusBeta2 * g, g, v[i] * beta2);
            var den = MathF.Sqrt(vi) / biasCorrection2Sqrt + eps;
            p[i] = w + negativeStepSize * mi / den;
            m[i] = mi;
            v[i] = vi;
        }
    }
}
