using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Re4.Recommenders.Training;

/// <summary>The three products of the logits, split over threads; all pointers are to contiguous row-major float32.</summary>
internal static unsafe partial class LogitsGemm
{
    /// <summary>Logits C[B, N] = U[B, d] · E[N, d]ᵀ. Each thread packs 64 items at a time dimension-major into a buffer of
    /// its own (d × 64 floats, in L1) and runs every row of U over it, so E is read once and C written once. With
    /// <paramref name="columnMax"/>, also each column's maximum over the B rows (<c>[N]</c>), taken from each tile while
    /// it is still in L1 (a softmax down the columns then skips a pass over C).</summary>
    public static void Forward(float* u, int b, int d, float* e, int n, float* c, int threads, float* columnMax = null)
    {
        if (!Vectorised)
        {
            for (var i = 0; i < b; i++)
                for (var j = 0; j < n; j++) c[(long)i * n + j] = Dot(u + (long)i * d, e + (long)j * d, d);
            if (columnMax is not null)
                for (var j = 0; j < n; j++)
                {
                    var max = float.NegativeInfinity;
                    for (var i = 0; i < b; i++) max = MathF.Max(max, c[(long)i * n + j]);
                    columnMax[j] = max;
                }

            return;
        }

        var chunks = (n + TileColumns - 1) / TileColumns;
        if (threads > 1 && chunks < 2 * threads && b >= 2 * threads * TileRows)
        {
            // Few columns (the item-major logits' B users): the threads split the rows instead, each packing the few
            // columns itself, so no thread idles for want of a column chunk. Every output's sum is the same either way.
            var parts = Math.Min(threads, b / TileRows);
            // Each part's column maxima, combined after (a maximum is the same in any order).
            var partMax = columnMax is null ? null : (float*)NativeMemory.Alloc((nuint)((long)parts * n * sizeof(float)));   // [parts, N]
            try
            {
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
                {
                    int first = (int)((long)part * b / parts), last = (int)((long)(part + 1) * b / parts);
                    Forward(u + (long)first * d, last - first, d, e, n, c + (long)first * n, 1, partMax is null ? null : partMax + (long)part * n);
                });
                if (partMax is not null)
                    for (var j = 0; j < n; j++)
                    {
                        var max = partMax[j];
                        for (var part = 1; part < parts; part++) max = MathF.Max(max, partMax[(long)part * n + j]);
                        columnMax[j] = max;
                    }
            }
            finally
            {
                if (partMax is not null) NativeMemory.Free(partMax);
            }

            return;
        }

        var tasks = Math.Min(chunks, 4 * threads);
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
        {
            var packed = (float*)NativeMemory.AlignedAlloc((nuint)(d * TileColumns * sizeof(float)), 64);   // [d, 64]
            try
            {
                for (long chunk = (long)task * chunks / tasks, end = (long)(task + 1) * chunks / tasks; chunk < end; chunk++)
                {
                    var n0 = (int)chunk * TileColumns;
                    var w = Math.Min(TileColumns, n - n0);
                    for (var j = 0; j < w; j++)
                    {
                        var row = e + (long)(n0 + j) * d;
                        for (var x = 0; x < d; x++) packed[x * TileColumns + j] = row[x];
                    }

                    // Items past N are zeros: their columns are computed and dropped.
                    for (var j = w; j < TileColumns; j++)
                        for (var x = 0; x < d; x++) packed[x * TileColumns + j] = 0f;
                    if (columnMax is not null) new Span<float>(columnMax + n0, w).Fill(float.NegativeInfinity);
                    for (var m0 = 0; m0 < b; m0 += TileRows)
                    {
                        var rows = Math.Min(TileRows, b - m0);
                        Tile(u + (long)m0 * d, d, 1, rows, packed, TileColumns, d, c + (long)m0 * n + n0, n, w, accumulate: false);
                        if (columnMax is not null) ColumnMax(c + (long)m0 * n + n0, n, rows, w, columnMax + n0);
                    }
                }
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }
        });
    }

    /// <summary>dU[B, d] = G[B, N] · E[N, d]: threads take row tiles of G; E passes in blocks of <paramref name="block"/>
    /// items (<see cref="ReductionBlock"/> unless given), each block's sum added to dU in item order.</summary>
    public static void GradInterests(float* g, int b, int n, float* e, int d, float* du, int threads, int block = ReductionBlock)
    {
        if (!Vectorised)
        {
            for (var i = 0; i < b; i++)
                for (var x = 0; x < d; x++)
                {
                    var s = 0f;
                    for (var j = 0; j < n; j++) s = MathF.FusedMultiplyAdd(g[(long)i * n + j], e[(long)j * d + x], s);
                    du[(long)i * d + x] = s;
                }

            return;
        }

        var bm = Panel(e, n, d, out var ldb);
        try
        {
            var tiles = (b + TileRows - 1) / TileRows;
            var tasks = Math.Min(tiles, threads);
            var panel = bm;
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
            {
                int first = task * tiles / tasks, last = (task + 1) * tiles / tasks;
                for (var k0 = 0; k0 < n; k0 += block)
                {
                    var kw = Math.Min(block, n - k0);
                    for (var tile = first; tile < last; tile++)
                    {
                        var m0 = tile * TileRows;
                        for (var c0 = 0; c0 < d; c0 += TileColumns)
                            Tile(g + (long)m0 * n + k0, n, 1, Math.Min(TileRows, b - m0), panel + (long)k0 * ldb + c0, ldb, kw,
                                du + (long)m0 * d + c0, d, Math.Min(TileColumns, d - c0), accumulate: k0 > 0);
                    }
                }
            });
        }
        finally
        {
            if (bm != e) NativeMemory.AlignedFree(bm);
        }
    }

    /// <summary>dE[N, d] = G[B, N]ᵀ · U[B, d]: threads take ranges of item tiles; Gᵀ is read through strides. The B rows are
    /// summed in one pass (U, B × d, stays in L1), or in blocks of <paramref name="block"/> rows, each block's sum added in
    /// row order (a long B, whose block of U then stays in L2 while every tile passes over it).</summary>
    public static void GradTable(float* g, int b, int n, float* u, int d, float* de, int threads, int block = int.MaxValue)
    {
        if (!Vectorised)
        {
            for (var j = 0; j < n; j++)
                for (var x = 0; x < d; x++)
                {
                    var s = 0f;
                    for (var i = 0; i < b; i++) s = MathF.FusedMultiplyAdd(g[(long)i * n + j], u[(long)i * d + x], s);
                    de[(long)j * d + x] = s;
                }

            return;
        }

        var bm = Panel(u, b, d, out var ldb);
        try
        {
            var tiles = (n + TileRows - 1) / TileRows;
            var tasks = Math.Min(tiles, 4 * threads);
            var panel = bm;
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
            {
                long first = (long)task * tiles / tasks, last = (long)(task + 1) * tiles / tasks;
                for (var k0 = 0; k0 < b; k0 += block)
                {
                    var kw = Math.Min(block, b - k0);
                    for (var tile = first; tile < last; tile++)
                    {
                        var m0 = (int)tile * TileRows;
                        for (var c0 = 0; c0 < d; c0 += TileColumns)
                            Tile(g + (long)k0 * n + m0, 1, n, Math.Min(TileRows, n - m0), panel + (long)k0 * ldb + c0, ldb, kw,
                                de + (long)m0 * d + c0, d, Math.Min(TileColumns, d - c0), accumulate: k0 > 0);
                    }
                }
            });
        }
        finally
        {
            if (bm != u) NativeMemory.AlignedFree(bm);
        }
    }

    /// <summary>The most floats the block sums of <see cref="GradientsItemMajor"/> may take on several threads (16 MiB); beyond
    /// it the two products run one after the other.</summary>
    internal const long MaxBlockSums = 4L << 20;

    /// <summary>Both gradients of the item-major logits from Pᵀ <c>[N, B]</c> in one pass over it: dE[N, d] = Pᵀ·S (S
    /// <c>[B, d]</c>, the B users summed in one pass) and dU[B, d] = (Pᵀ)ᵀ·E (the items summed in blocks of
    /// <see cref="ReductionBlock"/>, each block's sum added in item order). The same floats as
    /// <see cref="GradInterests"/>(block: int.MaxValue) and <see cref="GradTable"/>(block: ReductionBlock), but each block of
    /// Pᵀ is read from memory once, for both, while it is in the cache.</summary>
    /// <remarks>On several threads each takes a range of blocks; its block sums of dU go to buffers of their own and are
    /// added in block order at the end, the order of one thread. With <c>columnScale</c> (<c>[B]</c>), Pᵀ holds each column
    /// before its factor: column i is multiplied through by columnScale[i] in place first, block by block as the pass reaches
    /// it (the softmax's division by Σ, left for here so the buffer is not swept once more).</remarks>
    public static void GradientsItemMajor(float* pT, int n, int b, float* s, float* e, int d, float* de, float* du, int threads, float* columnScale = null)
    {
        var blocks = (n + ReductionBlock - 1) / ReductionBlock;
        var tasks = Math.Min(blocks, Math.Max(1, threads));
        if (!Vectorised || (tasks > 1 && (long)blocks * b * d > MaxBlockSums))
        {
            // One thread sweeps the factors here: this fallback is for very wide batches (more than 16 MiB of block sums)
            // or machines without AVX-512, where the products dominate.
            if (columnScale is not null) ScaleColumns(pT, n, b, columnScale);
            GradInterests(pT, n, b, s, d, de, threads, block: int.MaxValue);
            GradTable(pT, n, b, e, d, du, threads, block: ReductionBlock);
            return;
        }

        var sm = Panel(s, b, d, out var lds);
        var em = Panel(e, n, d, out var lde);
        // [blocks, B, d]: block k's sum of dU when several threads share the blocks.
        var sums = tasks > 1 ? (float*)NativeMemory.AlignedAlloc((nuint)((long)blocks * b * d * sizeof(float)), 64) : null;
        try
        {
            float* sPanel = sm, ePanel = em, blockSums = sums;
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, task =>
            {
                int first = (int)((long)task * blocks / tasks), last = (int)((long)(task + 1) * blocks / tasks);
                for (var block = first; block < last; block++)
                {
                    int k0 = block * ReductionBlock, kw = Math.Min(ReductionBlock, n - k0);
                    if (columnScale is not null) ScaleColumns(pT + (long)k0 * b, kw, b, columnScale);
                    // dE's rows of this block's items (a row's sum does not depend on the tile it is computed in).
                    for (var m0 = k0; m0 < k0 + kw; m0 += TileRows)
                        for (var c0 = 0; c0 < d; c0 += TileColumns)
                            Tile(pT + (long)m0 * b, b, 1, Math.Min(TileRows, k0 + kw - m0), sPanel + c0, lds, b,
                                de + (long)m0 * d + c0, d, Math.Min(TileColumns, d - c0), accumulate: false);

                    // dU: this block's sum, added to the earlier blocks' in place on one thread, kept apart on several.
                    var target = blockSums is null ? du : blockSums + (long)block * b * d;
                    var accumulate = blockSums is null && block > 0;
                    for (var m0 = 0; m0 < b; m0 += TileRows)
                        for (var c0 = 0; c0 < d; c0 += TileColumns)
                            Tile(pT + (long)k0 * b + m0, 1, b, Math.Min(TileRows, b - m0), ePanel + (long)k0 * lde + c0, lde, kw,
                                target + (long)m0 * d + c0, d, Math.Min(TileColumns, d - c0), accumulate);
                }
            });

            if (sums is not null)
            {
                var count = (long)b * d;
                new ReadOnlySpan<float>(sums, (int)count).CopyTo(new Span<float>(du, (int)count));
                for (var block = 1; block < blocks; block++)
                {
                    var from = sums + block * count;
                    for (long i = 0; i < count; i++) du[i] += from[i];
                }
            }
        }
        finally
        {
            if (sums is not null) NativeMemory.AlignedFree(sums);
            if (sm != s) NativeMemory.AlignedFree(sm);
            if (em != e) NativeMemory.AlignedFree(em);
        }
    }

    /// <summary>m[r, c] *= scale[c] over <paramref name="rows"/> rows of <paramref name="columns"/> (one rounding each, so the
    /// same floats in any vector width).</summary>
    private static void ScaleColumns(float* m, int rows, int columns, float* scale)
    {
        var whole = Vector512.IsHardwareAccelerated ? columns - columns % 16 : 0;
        for (long r = 0; r < rows; r++)
        {
            var row = m + r * columns;
            var c = 0;
            for (; c < whole; c += 16) (Vector512.Load(row + c) * Vector512.Load(scale + c)).Store(row + c);
            for (; c < columns; c++) row[c] *= scale[c];
        }
    }

    /// <summary>max[j] = max(max[j], C[r, j]) over a tile's <paramref name="rows"/> rows and <paramref name="cols"/> columns.
    /// The vector maximum may skip a NaN (Avx512F.Max returns its second operand when either is NaN); a softmax over the
    /// column is NaN all the same, since exp(NaN − max) is NaN.</summary>
    private static void ColumnMax(float* c, long ldc, int rows, int cols, float* max)
    {
        if (cols == TileColumns)
        {
            for (var k = 0; k < TileColumns; k += 16)
            {
                var m = Vector512.Load(max + k);
                for (var r = 0; r < rows; r++) m = Avx512F.Max(m, Vector512.Load(c + r * ldc + k));
                m.Store(max + k);
            }

            return;
        }

        for (var r = 0; r < rows; r++)
            for (var j = 0; j < cols; j++) max[j] = MathF.Max(max[j], c[r * ldc + j]);
    }

    /// <summary>The matrix itself when d is a multiple of 64 (every row can be read as whole vectors); otherwise a copy whose
    /// rows are padded with zeros to the next multiple of 64, which the caller frees.</summary>
    private static float* Panel(float* source, int rows, int d, out int stride)
    {
        stride = d;
        if (d % TileColumns == 0) return source;
        stride = (d + TileColumns - 1) / TileColumns * TileColumns;
        var padded = (float*)NativeMemory.AlignedAlloc((nuint)((long)rows * stride * sizeof(float)), 64);
        for (long i = 0; i < rows; i++)
        {
            new ReadOnlySpan<float>(source + i * d, d).CopyTo(new Span<float>(padded + i * stride, d));
            new Span<float>(padded + i * stride + d, stride - d).Clear();
        }

        return padded;
    }

    private static float Dot(float* a, float* b, int d)
    {
        var s = 0f;
        for (var x = 0; x < d; x++) s = MathF.FusedMultiplyAdd(a[x], b[x], s);
        return s;
    }
}
