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
/// Forward computes the logits item-major, Cᵀ = E·Uᵀ with <see cref="LogitsGemm.Forward"/>, into one <c>[N, B]</c> buffer
/// and turns each user's column into its exponentials in place (the maximum taken by the product from each tile, then one
/// pass for exp and the sum), keeping the user's loss and 1/Σ; backward multiplies each block of the buffer by 1/Σ as it
/// reaches it, which makes it P. The same bits as the row-major <c>[B, N]</c> layout
/// of earlier builds, which packed a transposed copy of the whole table each step (docs/benchmarks.md, "Item-major
/// logits", for the measurement). Backward
/// uses softmax − one-hot = P − Y without forming it: with c = ∂L/∂loss / B,
/// dU = c·(P·E − E<sub>t</sub>) and dE = Pᵀ·(c·U) − Σ<sub>i: t<sub>i</sub> = j</sub> c·u<sub>i</sub>; the division by Σ is
/// applied once, so a second backward under <c>retain_graph</c> reads P as the first left it. Users are independent and every sum runs in a fixed order, so
/// results do not depend on the thread count. Exact to float rounding against libtorch, not bit-identical (tests compare
/// both with a double-precision reference). A leaf table's gradient is accumulated by backward itself, as autograd would
/// (set when there is none, added in place otherwise), since a returned dE would be copied whole.
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
        {
            // The same error as the managed path for a bad target on the CPU (libtorch's own is an ExternalException); on
            // another device reading the targets back would stall every step.
            if (targets.device_type == DeviceType.CPU && targets.dim() == 1)
                CheckTargets(targets.to(ScalarType.Int64).data<long>().ToArray(), n);
            using var fallback = NewDisposeScope();
            var logits = u.matmul(table.narrow(0, skipRows, n).t());   // [B, N]
            StepProfiler.Mark(StepPhase.Logits);   // as the managed forward marks it: the step's phases are the same on every machine
            return nn.functional.cross_entropy(logits, targets).MoveToOuterDisposeScope();
        }

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
        CheckTargets(targetIndex, n);
        if (b == 0) throw new ArgumentException("U has no rows: the mean loss of an empty batch is undefined.", nameof(vars));

        // Item-major: (U·Eᵀ)ᵀ = E·Uᵀ, the same products summed in the same order, but the packed panel is U's few rows
        // rather than a transposed copy of the whole table, and each tile writes 6 whole rows of 64 users.
        var probabilities = empty(n, b, dtype: ScalarType.Float32, device: u.device);   // Pᵀ [N, B]: the logits, then each user's exponentials
        var threads = torch.get_num_threads();
        var columnMax = new float[b];   // each user's largest logit, taken by the product as it goes
        fixed (float* max = columnMax)
            LogitsGemm.Forward(Data(table) + (long)skip * d, n, d, Data(u), b, Data(probabilities), threads, max);
        StepProfiler.Mark(StepPhase.Logits);
        var rowLoss = new float[b];
        var inverse = new float[b];   // 1/Σ per user: backward divides each block of Pᵀ through as it reads it
        SoftmaxColumns(probabilities, columnMax, targetIndex, rowLoss, threads, inverse);
        ctx.save_for_backward([u, table, targets, probabilities]);
        ctx.save_data("skip", skip);
        ctx.save_data("inverse", new PendingScale(inverse));
        double sum = 0;
        for (var i = 0; i < b; i++) sum += rowLoss[i];   // row order: the same sum for any thread count
        return tensor((float)(sum / b), dtype: ScalarType.Float32, device: u.device);
    }

    /// <summary>The softmax's factors 1/Σ that backward still has to apply to the saved Pᵀ: handed out once, since applying
    /// them changes Pᵀ in place.</summary>
    private sealed class PendingScale(float[] inverse)
    {
        private float[]? _inverse = inverse;

        internal float[]? Take() => Interlocked.Exchange(ref _inverse, null);
    }

    /// <summary>Throws for a target outside the N columns, naming it.</summary>
    private static void CheckTargets(long[] targets, long n)
    {
        for (var i = 0; i < targets.Length; i++)
            if ((ulong)targets[i] >= (ulong)n)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], $"Target {i} is {targets[i]}; a target must be a column in [0, {n}).");
    }

    /// <inheritdoc />
    public override unsafe List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var u = saved[0];               // [B, d]
        var table = saved[1];           // [skip + N, d]
        var targets = saved[2];         // [B]
        var probabilities = saved[3];   // Pᵀ [N, B], each column's exponentials, not yet times its 1/Σ
        var skip = (int)ctx.get_data("skip");
        int b = checked((int)u.shape[0]), d = checked((int)u.shape[1]), n = checked((int)probabilities.shape[0]);
        var c = grad_output.to(ScalarType.Float32).item<float>() / b;
        var t = targets.data<long>().ToArray();
        var threads = torch.get_num_threads();
        float* e = Data(table) + (long)skip * d;

        // dE = Pᵀ·(c·U), then the one-hot part: row t_i of dE loses c·u_i. The skipped rows' gradient is zero. dU = c·(P·E − e_t)
        // below; its product P·E comes from the same pass over Pᵀ.
        var scaledU = empty(b, d, dtype: ScalarType.Float32, device: u.device);   // [B, d]
        float* su = Data(scaledU), uv = Data(u);
        for (long k = 0, count = (long)b * d; k < count; k++) su[k] = c * uv[k];
        var gradTable = empty(n + skip, d, dtype: ScalarType.Float32, device: u.device);   // [skip + N, d]
        float* de = Data(gradTable), du;
        new Span<float>(de, skip * d).Clear();
        de += (long)skip * d;
        var gradU = empty(b, d, dtype: ScalarType.Float32, device: u.device);   // [B, d]
        du = Data(gradU);
        // Pᵀ·(c·U) with the B users summed in one pass, and (Pᵀ)ᵀ·E with the items summed in blocks of ReductionBlock, as the
        // row-major products summed them; one pass over Pᵀ for both.
        // [B]; null when an earlier backward of this graph (retain_graph) has already multiplied Pᵀ through. Taken only
        // now, after every allocation that could throw, so a failed backward leaves the factors for a retry.
        var inverse = ((PendingScale)ctx.get_data("inverse")).Take();
        fixed (float* scale = inverse)   // a null array pins as a null pointer: nothing to scale
            LogitsGemm.GradientsItemMajor(Data(probabilities), n, b, su, e, d, de, du, threads, scale);
        for (var i = 0; i < b; i++)
        {
            var row = de + t[i] * d;
            var from = su + (long)i * d;
            for (var x = 0; x < d; x++) row[x] -= from[x];
        }

        // dU = c·(P·E − e_t).
        for (var i = 0; i < b; i++)
        {
            var row = du + (long)i * d;
            var target = e + t[i] * d;
            for (var x = 0; x < d; x++) row[x] = c * (row[x] - target[x]);
        }

        if (table.is_leaf && table.requires_grad)
        {
            // Accumulated here rather than returned: a returned tensor still has this function's handle on it, so autograd
            // would copy all of it into the table's gradient. The same floats: libtorch's accumulation takes the gradient
            // as it is when there is none yet, and adds it in place to one that exists.
            using (no_grad())
            {
                if (table.grad is { } existing) existing.add_(gradTable, TorchScalars.One);
                else table.grad = gradTable;
            }

            return [gradU.MoveToOuterDisposeScope(), null!, null!, null!];
        }

        // The caller's scope (the step's, around backward()) owns the gradients once libtorch has taken its references.
        return [gradU.MoveToOuterDisposeScope(), gradTable.MoveToOuterDisposeScope(), null!, null!];
    }

    /// <summary>Each column of <paramref name="logitsT"/> (<c>[n, columns]</c>, contiguous CPU float32: column i holds user i's
    /// logits, whose maximum is <paramref name="columnMax"/>[i]) becomes its softmax in place, and
    /// <paramref name="columnLoss"/>[i] = logsumexp − logitsT[target[i], i]. Each
    /// element gets exactly the arithmetic of the row-major softmax of earlier builds on the transposed row, in the same order (the sum's 16
    /// partial sums by item index mod 16, then the tail), so both layouts give the same bits; 16 users run side by side in a
    /// vector.</summary>
    /// <remarks>Without <c>inverse</c> each column is multiplied through by 1/Σ here. With it each column is left as its
    /// exponentials and its factor 1/Σ goes to inverse[i], for the caller to apply where it next reads the column (the
    /// backward pass, block by block while each block is in the cache): the same product, one pass over the buffer fewer.</remarks>
    internal static unsafe void SoftmaxColumns(Tensor logitsT, float[] columnMax, long[] target, float[] columnLoss, int threads, float[]? inverse = null)
    {
        if (inverse is not null && inverse.Length != logitsT.shape[1])
            throw new ArgumentException($"inverse has {inverse.Length} elements; the logits have {logitsT.shape[1]} columns.", nameof(inverse));
        int n = checked((int)logitsT.shape[0]), columns = checked((int)logitsT.shape[1]);
        var p = Data(logitsT);
        var whole = Vectorised ? columns / Lanes : 0;   // groups of 16 columns that run as vectors
        var tasks = Math.Clamp(Math.Min(threads, whole), 1, int.MaxValue);
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
        {
            // Each task sweeps its range of groups row by row, at most GroupsPerSweep at a time.
            for (int group = (int)((long)task * whole / tasks), last = (int)((long)(task + 1) * whole / tasks); group < last; group += GroupsPerSweep)
                SoftmaxColumnGroups(p, n, columns, group * Lanes, Math.Min(GroupsPerSweep, last - group), columnMax, target, columnLoss, inverse);
        });

        for (var i = whole * Lanes; i < columns; i++)
        {
            columnLoss[i] = SoftmaxColumn(p + i, n, columns, columnMax[i], target[i], out var factor, normalise: inverse is null);
            if (inverse is not null) inverse[i] = factor;
        }
    }

    private const int Lanes = 16;

    /// <summary>Groups of 16 columns per sweep over the rows: their maxima and 16 partial sums each
    /// (16 · 16 · 16 floats, 16 KiB) stay in L1.</summary>
    private const int GroupsPerSweep = 16;

    /// <summary><paramref name="groups"/> groups of 16 adjacent columns from <paramref name="first"/>, swept row by row so
    /// the rows' segments are read in memory order; column c of a group is lane c of its vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SoftmaxColumnGroups(float* p, int n, int stride, int first, int groups, float[] columnMax, long[] target, float[] columnLoss, float[]? inverseOut)
    {
        var width = groups * Lanes;
        p += first;
        var logit = stackalloc float[width];
        for (var c = 0; c < width; c++) logit[c] = p[target[first + c] * stride + c];
        var max = stackalloc float[width];
        columnMax.AsSpan(first, width).CopyTo(new Span<float>(max, width));

        // As the row-major softmax: the vector exp and 16 partial sums for j below n16 (partial j mod 16), MathF.Exp for the tail.
        var n16 = n >= Lanes ? n - n % Lanes : 0;
        var partial = stackalloc float[Lanes * width];   // [j mod 16, column]
        new Span<float>(partial, Lanes * width).Clear();
        for (var j = 0; j < n16; j++)
        {
            var row = p + (long)j * stride;
            var acc = partial + (j & (Lanes - 1)) * width;
            for (var g = 0; g < width; g += Lanes)
            {
                var x = Exp(Vector512.Load(row + g) - Vector512.Load(max + g));
                x.Store(row + g);
                (Vector512.Load(acc + g) + x).Store(acc + g);
            }
        }

        var lanes = stackalloc float[Lanes];
        var sums = stackalloc float[width];
        for (var c = 0; c < width; c++)
        {
            for (var k = 0; k < Lanes; k++) lanes[k] = partial[k * width + c];
            sums[c] = n16 > 0 ? Vector512.Sum(Vector512.Load(lanes)) : 0f;
        }

        for (var j = n16; j < n; j++)
        {
            var row = p + (long)j * stride;
            for (var c = 0; c < width; c++)
            {
                var x = MathF.Exp(row[c] - max[c]);
                row[c] = x;
                sums[c] += x;
            }
        }

        var inverse = stackalloc float[width];
        for (var c = 0; c < width; c++) inverse[c] = 1f / sums[c];
        if (inverseOut is not null) new ReadOnlySpan<float>(inverse, width).CopyTo(inverseOut.AsSpan(first, width));
        else
            for (var j = 0; j < n; j++)
            {
                var row = p + (long)j * stride;
                for (var g = 0; g < width; g += Lanes) (Vector512.Load(row + g) * Vector512.Load(inverse + g)).Store(row + g);
            }

        for (var c = 0; c < width; c++) columnLoss[first + c] = max[c] + MathF.Log(sums[c]) - logit[c];
    }

    /// <summary>One column, strided, with the row-major softmax's arithmetic element by element (the vector exp through one
    /// lane): the columns past the last whole group of 16.</summary>
    private static unsafe float SoftmaxColumn(float* p, int n, int stride, float max, long target, out float inverse, bool normalise)
    {
        var logit = p[target * stride];
        var n16 = Vectorised && n >= Lanes ? n - n % Lanes : 0;
        var partial = stackalloc float[Lanes];
        for (var j = 0; j < n16; j++)
        {
            var x = Exp(Vector512.Create(p[(long)j * stride] - max)).GetElement(0);
            p[(long)j * stride] = x;
            partial[j & (Lanes - 1)] += x;
        }

        var sum = n16 > 0 ? Vector512.Sum(Vector512.Load(partial)) : 0f;
        for (var j = n16; j < n; j++)
        {
            var x = MathF.Exp(p[(long)j * stride] - max);
            p[(long)j * stride] = x;
            sum += x;
        }

        inverse = 1f / sum;
        if (normalise)
            for (var j = 0; j < n; j++) p[(long)j * stride] *= inverse;
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
