using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Re4.Recommenders.Training;

/// <summary>
/// The managed kernels behind <see cref="LogitsKernel.Managed"/>: row-major float32 products of the three shapes of the
/// logits, U·Eᵀ forward, G·E and Gᵀ·U backward, on raw memory. One AVX-512 micro-kernel does all three: a tile of
/// <see cref="TileRows"/> output rows × <see cref="TileColumns"/> columns held in 24 registers, C[m, j] = Σ<sub>k</sub> A(m, k)·Bm[k, j]
/// with A read by broadcast through two strides (so Gᵀ needs no transpose) and Bm a row-major panel whose rows are read as
/// four 512-bit vectors. Machines without AVX-512 run a plain scalar loop (same results to float rounding).
/// </summary>
/// <remarks>Every output's sum runs in a fixed order that does not depend on the number of threads, so results are
/// reproducible run to run.</remarks>
internal static unsafe partial class LogitsGemm
{
    /// <summary>Output rows of a micro-tile.</summary>
    internal const int TileRows = 6;

    /// <summary>Output columns of a micro-tile: four vectors of 16 floats.</summary>
    internal const int TileColumns = 64;

    /// <summary>Items of the table per block of the G·E product: 512 rows × d = 64 is 128 KiB, which stays in the per-core
    /// L2 cache while every row tile of G passes over it.</summary>
    internal const int ReductionBlock = 512;

    /// <summary>Whether the vector kernel runs here.</summary>
    internal static bool Vectorised => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>One micro-tile: C[r, 0..cols) (=, or += when <paramref name="accumulate"/>) Σ<sub>kk &lt; k</sub>
    /// a[r·sam + kk·sak] · b[kk·ldb + 0..64) for r &lt; rows. Bm must be readable 64 floats wide; rows past
    /// <paramref name="rows"/> repeat the last row and are not stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile(float* a, long sam, long sak, int rows, float* b, long ldb, int k, float* c, long ldc, int cols, bool accumulate)
    {
        var a0 = a + Math.Min(0, rows - 1) * sam;
        var a1 = a + Math.Min(1, rows - 1) * sam;
        var a2 = a + Math.Min(2, rows - 1) * sam;
        var a3 = a + Math.Min(3, rows - 1) * sam;
        var a4 = a + Math.Min(4, rows - 1) * sam;
        var a5 = a + Math.Min(5, rows - 1) * sam;
        Vector512<float> c00 = default;
        Vector512<float> c01 = default;
        Vector512<float> c02 = default;
        Vector512<float> c03 = default;
        Vector512<float> c10 = default;
        Vector512<float> c11 = default;
        Vector512<float> c12 = default;
        Vector512<float> c13 = default;
        Vector512<float> c20 = default;
        Vector512<float> c21 = default;
        Vector512<float> c22 = default;
        Vector512<float> c23 = default;
        Vector512<float> c30 = default;
        Vector512<float> c31 = default;
        Vector512<float> c32 = default;
        Vector512<float> c33 = default;
        Vector512<float> c40 = default;
        Vector512<float> c41 = default;
        Vector512<float> c42 = default;
        Vector512<float> c43 = default;
        Vector512<float> c50 = default;
        Vector512<float> c51 = default;
        Vector512<float> c52 = default;
        Vector512<float> c53 = default;
        var bk = b;
        for (var kk = 0; kk < k; kk++, bk += ldb)
        {
            var b0 = Vector512.Load(bk + 0);
            var b1 = Vector512.Load(bk + 16);
            var b2 = Vector512.Load(bk + 32);
            var b3 = Vector512.Load(bk + 48);
            var x0 = Vector512.Create(a0[kk * sak]);
            c00 = Avx512F.FusedMultiplyAdd(x0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x0, b1, c01);
            c02 = Avx512F.FusedMultiplyAdd(x0, b2, c02);
            c03 = Avx512F.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[kk * sak]);
            c10 = Avx512F.FusedMultiplyAdd(x1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x1, b1, c11);
            c12 = Avx512F.FusedMultiplyAdd(x1, b2, c12);
            c13 = Avx512F.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a2[kk * sak]);
            c20 = Avx512F.FusedMultiplyAdd(x2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x2, b1, c21);
            c22 = Avx512F.FusedMultiplyAdd(x2, b2, c22);
            c23 = Avx512F.FusedMultiplyAdd(x2, b3, c23);
            var x3 = Vector512.Create(a3[kk * sak]);
            c30 = Avx512F.FusedMultiplyAdd(x3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x3, b1, c31);
            c32 = Avx512F.FusedMultiplyAdd(x3, b2, c32);
            c33 = Avx512F.FusedMultiplyAdd(x3, b3, c33);
            var x4 = Vector512.Create(a4[kk * sak]);
            c40 = Avx512F.FusedMultiplyAdd(x4, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(x4, b1, c41);
            c42 = Avx512F.FusedMultiplyAdd(x4, b2, c42);
            c43 = Avx512F.FusedMultiplyAdd(x4, b3, c43);
            var x5 = Vector512.Create(a5[kk * sak]);
            c50 = Avx512F.FusedMultiplyAdd(x5, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(x5, b1, c51);
            c52 = Avx512F.FusedMultiplyAdd(x5, b2, c52);
            c53 = Avx512F.FusedMultiplyAdd(x5, b3, c53);
        }

        // No call may follow the loop while the accumulators are live: every vector register is caller-saved, and the JIT
        // would then spill each accumulator at every FMA of the loop.
        if (rows == TileRows && cols == TileColumns && !accumulate)
        {
            c00.Store(c + 0 * ldc + 0);
            c01.Store(c + 0 * ldc + 16);
            c02.Store(c + 0 * ldc + 32);
            c03.Store(c + 0 * ldc + 48);
            c10.Store(c + 1 * ldc + 0);
            c11.Store(c + 1 * ldc + 16);
            c12.Store(c + 1 * ldc + 32);
            c13.Store(c + 1 * ldc + 48);
            c20.Store(c + 2 * ldc + 0);
            c21.Store(c + 2 * ldc + 16);
            c22.Store(c + 2 * ldc + 32);
            c23.Store(c + 2 * ldc + 48);
            c30.Store(c + 3 * ldc + 0);
            c31.Store(c + 3 * ldc + 16);
            c32.Store(c + 3 * ldc + 32);
            c33.Store(c + 3 * ldc + 48);
            c40.Store(c + 4 * ldc + 0);
            c41.Store(c + 4 * ldc + 16);
            c42.Store(c + 4 * ldc + 32);
            c43.Store(c + 4 * ldc + 48);
            c50.Store(c + 5 * ldc + 0);
            c51.Store(c + 5 * ldc + 16);
            c52.Store(c + 5 * ldc + 32);
            c53.Store(c + 5 * ldc + 48);
            return;
        }

        var tile = stackalloc float[TileRows * TileColumns];   // [6, 64]
        c00.Store(tile + 0);
        c01.Store(tile + 16);
        c02.Store(tile + 32);
        c03.Store(tile + 48);
        c10.Store(tile + 64);
        c11.Store(tile + 80);
        c12.Store(tile + 96);
        c13.Store(tile + 112);
        c20.Store(tile + 128);
        c21.Store(tile + 144);
        c22.Store(tile + 160);
        c23.Store(tile + 176);
        c30.Store(tile + 192);
        c31.Store(tile + 208);
        c32.Store(tile + 224);
        c33.Store(tile + 240);
        c40.Store(tile + 256);
        c41.Store(tile + 272);
        c42.Store(tile + 288);
        c43.Store(tile + 304);
        c50.Store(tile + 320);
        c51.Store(tile + 336);
        c52.Store(tile + 352);
        c53.Store(tile + 368);
        for (var r = 0; r < rows; r++)
        {
            var row = c + r * ldc;
            var from = tile + r * TileColumns;
            if (accumulate)
                for (var j = 0; j < cols; j++) row[j] += from[j];
            else
                for (var j = 0; j < cols; j++) row[j] = from[j];
        }
    }
}
