using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The full-softmax main loss of <see cref="LogitsKernel.Managed"/> in one custom autograd function:
/// mean<sub>i</sub> [log Σ<sub>j</sub> exp(u<sub>i</sub>·e<sub>j</sub>) − u<sub>i</sub>·e<sub>t<sub>i</sub></sub>], what
/// <c>cross_entropy(U·Eᵀ, t)</c> computes, without libtorch's four passes over the <c>[B, N]</c> logits (log-softmax,
/// NLL and both their backwards, each with a tensor of its own).
/// </summary>
/// <remarks>
/// Forward computes the logits with <see cref="LogitsGemm.Forward"/> into one <c>[B, N]</c> buffer and turns each row into
/// its softmax P in place (one pass for the maximum, one for exp and the sum, one to scale), keeping the row's loss. Backward
/// uses softmax − one-hot = P − Y without forming it: with c = ∂L/∂loss / B,
/// dU = c·(P·E − E<sub>t</sub>) and dE = Pᵀ·(c·U) − Σ<sub>i: t<sub>i</sub> = j</sub> c·u<sub>i</sub>, so P stays as forward
/// left it (backward may run twice under <c>retain_graph</c>). Rows are independent and every sum runs in a fixed order, so
/// results do not depend on the thread count. Exact to float rounding against libtorch, not bit-identical (tests compare
/// both with a double-precision reference).
/// </remarks>
internal sealed class ManagedSoftmaxCrossEntropy : autograd.SingleTensorFunction<ManagedSoftmaxCrossEntropy>
{
    /// <inheritdoc />
    public override string Name => nameof(ManagedSoftmaxCrossEntropy);

    /// <summary>The mean softmax cross-entropy of U·Eᵀ against <paramref name="targets"/>, a float32 scalar, with E the rows
    /// <paramref name="skipRows"/>.. of <paramref name="table"/>. The table's gradient covers all of it (zero in the skipped
    /// rows): the full softmax passes the item table and skips its padding row, without a view whose backward would copy the
    /// gradient once more.</summary>
    /// <param name="u">U, <c>[B, d]</c> CPU float32.</param>
    /// <param name="table">The rows of E after <paramref name="skipRows"/> others, <c>[skipRows + N, d]</c> CPU float32.</param>
    /// <param name="targets">Each row's target column of E, <c>[B]</c> int64 in [0, N).</param>
    /// <param name="skipRows">Rows of <paramref name="table"/> before E's first.</param>
    /// <returns>The loss; falls back to libtorch's product and cross-entropy for tensors the managed kernel does not take.</returns>
    public static Tensor Loss(Tensor u, Tensor table, Tensor targets, int skipRows)
    {
        if (skipRows < 0 || skipRows > table.shape[0]) throw new ArgumentOutOfRangeException(nameof(skipRows), skipRows, $"skipRows must be in [0, {table.shape[0]}].");
        var n = table.shape[0] - skipRows;
        if (!ManagedLogits.Supports(u) || !ManagedLogits.Supports(table) || u.shape[0] * n > int.MaxValue / sizeof(float))
            return nn.functional.cross_entropy(u.matmul(table.narrow(0, skipRows, n).t()), targets);
        using var scope = NewDisposeScope();
        return apply(u.contiguous(), table.contiguous(), targets.to(ScalarType.Int64).contiguous(), skipRows).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override unsafe Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var u = (Tensor)vars[0];         // [B, d]
        var table = (Tensor)vars[1];     // [skip + N, d]
        var targets = (Tensor)vars[2];   // [B] int64
        var skip = (int)vars[3];
        int b = checked((int)u.shape[0]), d = checked((int)u.shape[1]), n = checked((int)table.shape[0] - skip);
        if (table.shape[1] != d) throw new ArgumentException($"U is [{b}, {d}] but E is [{n}, {table.shape[1]}]: the dimensions differ.", nameof(vars));
        if (targets.dim() != 1 || targets.shape[0] != b)
            throw new ArgumentException($"The targets must be [{b}], one per row of U; got [{string.Join(", ", targets.shape)}].", nameof(vars));
        var targetIndex = targets.data<long>().ToArray();
        for (var i = 0; i < b; i++)
            if ((ulong)targetIndex[i] >= (ulong)n)
                throw new ArgumentOutOfRangeException(nameof(vars), targetIndex[i], $"Target {i} is {targetIndex[i]}; a target must be a column in [0, {n}).");
        if (b == 0) throw new ArgumentException("U has no rows: the mean loss of an empty batch is undefined.", nameof(vars));

        var probabilities = empty(b, n, dtype: ScalarType.Float32, device: u.device);   // [B, N]: the logits, then each row's softmax
        var threads = torch.get_num_threads();
        LogitsGemm.Forward(Data(u), b, d, Data(table) + (long)skip * d, n, Data(probabilities), threads);
        StepProfiler.Mark(StepPhase.Logits);
        var rowLoss = new float[b];
        SoftmaxRows(probabilities, targetIndex, rowLoss, threads);
        ctx.save_for_backward([u, table, targets, probabilities]);
        ctx.save_data("skip", skip);
        double sum = 0;
        for (var i = 0; i < b; i++) sum += rowLoss[i];   // row order: the same sum for any thread count
        return tensor((float)(sum / b), dtype: ScalarType.Float32, device: u.device);
    }

    /// <inheritdoc />
    public override unsafe List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var u = saved[0];               // [B, d]
        var table = saved[1];           // [skip + N, d]
        var targets = saved[2];         // [B]
        var probabilities = saved[3];   // [B, N]
        var skip = (int)ctx.get_data("skip");
        int b = checked((int)u.shape[0]), d = checked((int)u.shape[1]), n = checked((int)probabilities.shape[1]);
        var c = grad_output.to(ScalarType.Float32).item<float>() / b;
        var t = targets.data<long>().ToArray();
        var threads = torch.get_num_threads();
        float* e = Data(table) + (long)skip * d;

        // dE = Pᵀ·(c·U), then the one-hot part: row t_i of dE loses c·u_i. The skipped rows' gradient is zero.
        var scaledU = empty(b, d, dtype: ScalarType.Float32, device: u.device);   // [B, d]
        float* su = Data(scaledU), uv = Data(u);
        for (long k = 0, count = (long)b * d; k < count; k++) su[k] = c * uv[k];
        var gradTable = empty(n + skip, d, dtype: ScalarType.Float32, device: u.device);   // [skip + N, d]
        float* de = Data(gradTable), du;
        new Span<float>(de, skip * d).Clear();
        de += (long)skip * d;
        LogitsGemm.GradTable(Data(probabilities), b, n, su, d, de, threads);
        for (var i = 0; i < b; i++)
        {
            var row = de + t[i] * d;
            var from = su + (long)i * d;
            for (var x = 0; x < d; x++) row[x] -= from[x];
        }

        // dU = c·(P·E − e_t).
        var gradU = empty(b, d, dtype: ScalarType.Float32, device: u.device);   // [B, d]
        du = Data(gradU);
        LogitsGemm.GradInterests(Data(probabilities), b, n, e, d, du, threads);
        for (var i = 0; i < b; i++)
        {
            var row = du + (long)i * d;
            var target = e + t[i] * d;
            for (var x = 0; x < d; x++) row[x] = c * (row[x] - target[x]);
        }

        // The caller's scope (the step's, around backward()) owns the gradients once libtorch has taken its references.
        return [gradU.MoveToOuterDisposeScope(), gradTable.MoveToOuterDisposeScope(), null!, null!];
    }

    /// <summary>Each row of <paramref name="logits"/> (<c>[rows, n]</c>, contiguous CPU float32) becomes its softmax in place,
    /// and <paramref name="rowLoss"/>[i] = logsumexp(row) − row[target[i]] (read before the row is overwritten).</summary>
    internal static unsafe void SoftmaxRows(Tensor logits, long[] target, float[] rowLoss, int threads)
    {
        int rows = checked((int)logits.shape[0]), n = checked((int)logits.shape[1]);
        var p = Data(logits);
        var tasks = Math.Clamp(threads, 1, rows);
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
        {
            for (int i = (int)((long)task * rows / tasks), last = (int)((long)(task + 1) * rows / tasks); i < last; i++)
                rowLoss[i] = SoftmaxRow(p + (long)i * n, n, target[i]);
        });
    }

    /// <summary>One row: its softmax in place; returns logsumexp − row[target].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float SoftmaxRow(float* row, int n, long target)
    {
        var logit = row[target];
        var max = float.NegativeInfinity;
        var j = 0;
        if (Vectorised && n >= 16)
        {
            var m = Vector512.Create(float.NegativeInfinity);
            // The maximum may skip a NaN (Avx512F.Max returns its second operand when either is NaN); the exp pass below
            // does not: exp(NaN − max) is NaN, so the row's sum and loss are NaN.
            for (; j <= n - 16; j += 16) m = Avx512F.Max(m, Vector512.Load(row + j));
            for (var k = 0; k < 16; k++) max = MathF.Max(max, m.GetElement(k));
        }

        // MathF.Max returns NaN when either side is NaN.
        for (; j < n; j++) max = MathF.Max(max, row[j]);

        // exp(x − max), summed; the sum is a vector of 16 partial sums, then the tail, in a fixed order.
        var sum = 0f;
        j = 0;
        if (Vectorised && n >= 16)
        {
            var shift = Vector512.Create(max);
            var s = Vector512<float>.Zero;
            for (; j <= n - 16; j += 16)
            {
                var x = Exp(Vector512.Load(row + j) - shift);
                x.Store(row + j);
                s += x;
            }

            sum = Vector512.Sum(s);
        }

        for (; j < n; j++)
        {
            var x = MathF.Exp(row[j] - max);
            row[j] = x;
            sum += x;
        }

        var inverse = 1f / sum;
        j = 0;
        if (Vectorised)
        {
            var scale = Vector512.Create(inverse);
            for (; j <= n - 16; j += 16) (Vector512.Load(row + j) * scale).Store(row + j);
        }

        for (; j < n; j++) row[j] *= inverse;
        return max + MathF.Log(sum) - logit;
    }

    private static bool Vectorised => LogitsGemm.Vectorised;

    /// <summary>e<sup>x</sup> for 16 floats, to about one ulp: x = k·ln 2 + r with |r| ≤ ln 2 / 2, e<sup>r</sup> by its Taylor
    /// polynomial to r⁷ (truncation error about 7·10⁻⁹ relative, a tenth of an ulp), times 2<sup>k</sup> built in the exponent bits. Inputs below −87.3
    /// (where 2<sup>k</sup> leaves float's normal range) give 0; NaN gives NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        var tooSmall = Avx512F.CompareLessThan(x, Vector512.Create(-87.3f));
        var k = Avx512F.RoundScale(x * Vector512.Create(1.44269504f), 0x08);   // round to nearest, no exceptions
        // r = x − k·ln 2 with ln 2 split in two so the product is exact to float's precision.
        var r = Avx512F.FusedMultiplyAdd(k, Vector512.Create(-0.693145752f), x);
        r = Avx512F.FusedMultiplyAdd(k, Vector512.Create(-1.42860677e-6f), r);
        var p = Vector512.Create(1f / 5040);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 720));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512<float>.One);
        // 2^k: k + 127 in the exponent field (k is at most 128 for finite x this far, and clamped so the bits stay valid).
        var exponent = Avx512F.ConvertToVector512Int32(Avx512F.Min(Avx512F.Max(k, Vector512.Create(-126f)), Vector512.Create(127f)));
        var scale = Avx512F.ShiftLeftLogical(exponent + Vector512.Create(127), 23).AsSingle();
        var result = p * scale;
        return Vector512.ConditionalSelect(tooSmall.AsSingle(), Vector512<float>.Zero, result);
    }

    private static unsafe float* Data(Tensor t) => ManagedLogits.Data(t);
}
