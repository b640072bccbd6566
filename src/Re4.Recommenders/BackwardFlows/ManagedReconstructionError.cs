using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.BackwardFlows;

/// <summary>
/// Re-construct's weighted squared error in one custom autograd function (<see cref="Training.LogitsKernel.Managed"/>):
/// Σ<sub>b,k,l</sub> w<sub>bkl</sub>·‖Σ<sub>j</sub> G<sub>bklj</sub>·V<sub>bkj</sub> − x<sub>bl</sub>‖², what
/// <c>((G·V − x)² · w).sum()</c> computes, without libtorch's tensor per step of it (X̃, the difference, its square, the
/// weighted square) and their backwards (the square's, the broadcast's sum over K, both batched products).
/// </summary>
/// <remarks>
/// A cell whose weight is 0 (not a positive) is skipped: its X̃ is not formed and its gradient is zero. With
/// D = 2·w·(X̃ − x), kept from forward, backward is dG<sub>bklj</sub> = c·⟨D<sub>bkl</sub>, V<sub>bkj</sub>⟩,
/// dV<sub>bkj</sub> = c·Σ<sub>l</sub> G<sub>bklj</sub>·D<sub>bkl</sub> and dx<sub>bl</sub> = −c·Σ<sub>k</sub> D<sub>bkl</sub>
/// (c = ∂L/∂total). Users are independent and every sum runs in a fixed order (l, then k), so results do not depend on the
/// thread count. Exact to float rounding against libtorch, not bit-identical: its batched products sum in another order.
/// Unlike libtorch's multiply by a 0 weight, a skipped cell stays 0 when its error is not finite; such an error is not
/// finite in the positive cells and the other losses too, which the trainer refuses.
/// </remarks>
internal sealed class ManagedReconstructionError : autograd.SingleTensorFunction<ManagedReconstructionError>
{
    /// <inheritdoc />
    public override string Name => nameof(ManagedReconstructionError);

    /// <summary>Whether the managed function computes on these tensors: CPU float32 of at most 2 GiB each, on a machine with
    /// AVX-512 (elsewhere libtorch's operations are faster than a scalar loop).</summary>
    internal static bool Supports(params Tensor[] tensors) => tensors.All(Training.ManagedLogits.ReachesMemory);

    /// <summary>Σ w·‖G·V − x‖² over the cells, a float32 scalar.</summary>
    /// <param name="g">G, <c>[B, K, L, J]</c>: each history position's attention over the J slots.</param>
    /// <param name="v">V, <c>[B, K, J, d]</c>: the slots' values.</param>
    /// <param name="x">x, <c>[B, L, d]</c>: the history embeddings to reconstruct.</param>
    /// <param name="weights">w, <c>[B, K, L]</c>: each cell's weight (0 skips it); no gradient.</param>
    public static Tensor Sum(Tensor g, Tensor v, Tensor x, Tensor weights)
    {
        if (g.dim() != 4 || v.dim() != 4 || x.dim() != 3 || weights.dim() != 3)
            throw new ArgumentException($"Expected G [B, K, L, J], V [B, K, J, d], x [B, L, d] and w [B, K, L]; got [{Shape(g)}], [{Shape(v)}], [{Shape(x)}] and [{Shape(weights)}].");
        long b = g.shape[0], k = g.shape[1], l = g.shape[2], j = g.shape[3], d = v.shape[3];
        if (v.shape[0] != b || v.shape[1] != k || v.shape[2] != j || x.shape[0] != b || x.shape[1] != l || x.shape[2] != d
            || weights.shape[0] != b || weights.shape[1] != k || weights.shape[2] != l)
            throw new ArgumentException($"The shapes do not match: G [{Shape(g)}] is [B, K, L, J], so V [{Shape(v)}] must be [B, K, J, d], x [{Shape(x)}] [B, L, d] and w [{Shape(weights)}] [B, K, L].");
        using var scope = NewDisposeScope();
        return apply(g.contiguous(), v.contiguous(), x.contiguous(), weights.detach().contiguous()).MoveToOuterDisposeScope();
    }

    private static string Shape(Tensor t) => string.Join(", ", t.shape);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var g = (Tensor)vars[0];         // [B, K, L, J]
        var v = (Tensor)vars[1];         // [B, K, J, d]
        var x = (Tensor)vars[2];         // [B, L, d]
        var weights = (Tensor)vars[3];   // [B, K, L]
        var (total, scaledError) = Forward(g, v, x, weights, torch.get_num_threads());
        ctx.save_for_backward([g, v, weights, scaledError]);
        return tensor((float)total, dtype: ScalarType.Float32, device: g.device);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var c = grad_output.to(ScalarType.Float32).item<float>();
        var (gradG, gradV, gradX) = Backward(saved[0], saved[1], saved[2], saved[3], c, torch.get_num_threads());
        // The caller's scope (the step's, around backward()) owns the gradients once libtorch has taken its references.
        return [gradG.MoveToOuterDisposeScope(), gradV.MoveToOuterDisposeScope(), gradX.MoveToOuterDisposeScope(), null!];
    }

    /// <summary>The weighted sum Σ w·‖G·V − x‖² (summed per user in double, then over users in order) and D = 2·w·(X̃ − x),
    /// <c>[B, K, L, d]</c>, written only in the weighted cells. Contiguous CPU float32 tensors.</summary>
    internal static unsafe (double Total, Tensor ScaledError) Forward(Tensor g, Tensor v, Tensor x, Tensor weights, int threads)
    {
        int b = checked((int)g.shape[0]), k = checked((int)g.shape[1]), l = checked((int)g.shape[2]), j = checked((int)g.shape[3]), d = checked((int)v.shape[3]);
        var scaledError = empty(b, k, l, d, dtype: ScalarType.Float32, device: g.device);   // D: [B, K, L, d]
        var perUser = new double[b];
        float* gp = Data(g), vp = Data(v), xp = Data(x), wp = Data(weights), dp = Data(scaledError);
        var tasks = Math.Clamp(threads, 1, Math.Max(1, b));
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, task =>
        {
            for (int user = (int)((long)task * b / tasks), last = (int)((long)(task + 1) * b / tasks); user < last; user++)
            {
                double total = 0;
                for (var interest = 0; interest < k; interest++)
                {
                    var cell = (long)user * k + interest;                     // (b, k)
                    for (var position = 0; position < l; position++)
                    {
                        var w = wp[cell * l + position];
                        if (w == 0f) continue;
                        var gRow = gp + (cell * l + position) * j;            // G[b, k, l, :]
                        var scaled = dp + (cell * l + position) * d;         // X̃ of the cell first, then D[b, k, l] in place
                        new Span<float>(scaled, d).Clear();
                        for (var slot = 0; slot < j; slot++) Axpy(gRow[slot], vp + (cell * j + slot) * d, scaled, d);
                        var target = xp + ((long)user * l + position) * d;   // x[b, l]
                        var twoW = 2f * w;
                        var squares = 0.0;   // in double: a float sum over a wide d would drift (e·e is exact in double)
                        for (var c = 0; c < d; c++)
                        {
                            var e = scaled[c] - target[c];
                            squares += (double)e * e;
                            scaled[c] = twoW * e;
                        }

                        total += w * squares;
                    }
                }

                perUser[user] = total;
            }
        });

        double sum = 0;
        for (var user = 0; user < b; user++) sum += perUser[user];   // user order: the same sum for any thread count
        return (sum, scaledError);
    }

    /// <summary>dG, dV and dx for ∂L/∂total = <paramref name="c"/>, from <see cref="Forward"/>'s D; zero in the cells of weight 0.</summary>
    internal static unsafe (Tensor GradG, Tensor GradV, Tensor GradX) Backward(Tensor g, Tensor v, Tensor weights, Tensor scaledError, float c, int threads)
    {
        int b = checked((int)g.shape[0]), k = checked((int)g.shape[1]), l = checked((int)g.shape[2]), j = checked((int)g.shape[3]), d = checked((int)v.shape[3]);
        var gradG = zeros(b, k, l, j, dtype: ScalarType.Float32, device: g.device);   // [B, K, L, J]
        var gradV = zeros(b, k, j, d, dtype: ScalarType.Float32, device: g.device);   // [B, K, J, d]
        var gradX = zeros(b, l, d, dtype: ScalarType.Float32, device: g.device);      // [B, L, d]; ignored when x needs none
        float* gp = Data(g), vp = Data(v), wp = Data(weights), dp = Data(scaledError), dg = Data(gradG), dv = Data(gradV), dx = Data(gradX);
        var tasks = Math.Clamp(threads, 1, Math.Max(1, b));
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, task =>
        {
            var buffer = new float[d];   // c·D of one cell (on the heap: d is not bounded)
            fixed (float* delta = buffer)
            for (int user = (int)((long)task * b / tasks), last = (int)((long)(task + 1) * b / tasks); user < last; user++)
                for (var interest = 0; interest < k; interest++)
                {
                    var cell = (long)user * k + interest;
                    for (var position = 0; position < l; position++)
                    {
                        if (wp[cell * l + position] == 0f) continue;
                        var scaled = dp + (cell * l + position) * d;
                        for (var e = 0; e < d; e++) delta[e] = c * scaled[e];
                        var gRow = gp + (cell * l + position) * j;
                        var dgRow = dg + (cell * l + position) * j;
                        for (var slot = 0; slot < j; slot++)
                        {
                            dgRow[slot] = Dot(delta, vp + (cell * j + slot) * d, d);
                            Axpy(gRow[slot], delta, dv + (cell * j + slot) * d, d);
                        }

                        var row = dx + ((long)user * l + position) * d;
                        for (var e = 0; e < d; e++) row[e] -= delta[e];
                    }
                }
        });

        return (gradG, gradV, gradX);
    }

    /// <summary>y[0..n) += a·x[0..n), one fused multiply-add per element (the same floats in any vector width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Axpy(float a, float* x, float* y, int n)
    {
        var i = 0;
        if (Avx512F.IsSupported)
        {
            var va = Vector512.Create(a);
            for (; i + 16 <= n; i += 16) Avx512F.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }

        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    /// <summary>⟨x, y⟩ over n elements: 16 partial sums by index mod 16 (then reduced), and the tail after.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Dot(float* x, float* y, int n)
    {
        var i = 0;
        var s = 0f;
        if (Avx512F.IsSupported && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc = Avx512F.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), acc);
            s = Vector512.Sum(acc);
        }

        for (; i < n; i++) s = MathF.FusedMultiplyAdd(x[i], y[i], s);
        return s;
    }

    private static unsafe float* Data(Tensor t) => Training.ManagedLogits.Data(t);
}
