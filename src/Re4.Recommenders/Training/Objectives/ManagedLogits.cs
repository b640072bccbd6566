using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The three products of the logits on tensors' own CPU memory (no copies), over <see cref="LogitsGemm"/>: forward
/// C = U·Eᵀ, and the gradients dU = G·E and dE = Gᵀ·U. <see cref="ManagedSoftmaxCrossEntropy"/>, the full softmax of
/// <see cref="LogitsKernel.Managed"/>, computes with the same kernels item-major (Cᵀ = E·Uᵀ, dU = (Gᵀ)ᵀ·E, dE = Gᵀ·U).
/// </summary>
internal static class ManagedLogits
{
    /// <summary>Whether the managed kernel computes on <paramref name="t"/>: a 2-D CPU float32 tensor of at most 2 GiB (its
    /// memory is reached through a span, whose length is an int), on a machine with AVX-512 (elsewhere libtorch's vectorised
    /// product is faster than the kernel's scalar loop).</summary>
    internal static bool Supports(Tensor t) => t.dim() == 2 && ReachesMemory(t);

    /// <summary>Whether the managed kernels compute on <paramref name="t"/>'s memory, whatever its rank: CPU float32 of at most
    /// 2 GiB, on a machine with AVX-512 (see <see cref="Supports"/>).</summary>
    internal static bool ReachesMemory(Tensor t) =>
        LogitsGemm.Vectorised && t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.numel() <= int.MaxValue / sizeof(float);

    /// <summary>logits[B, N] = U[B, d] · E[N, d]ᵀ into an existing tensor (all contiguous CPU float32), and each column's
    /// maximum into <paramref name="columnMax"/> (<c>[N]</c>) when given.</summary>
    internal static unsafe void Forward(Tensor u, Tensor e, Tensor logits, int threads, float[]? columnMax = null)
    {
        if (columnMax is not null && columnMax.Length != e.shape[0])
            throw new ArgumentException($"columnMax has {columnMax.Length} elements; the logits have {e.shape[0]} columns.", nameof(columnMax));
        fixed (float* max = columnMax)
            LogitsGemm.Forward(Data(u), (int)u.shape[0], (int)u.shape[1], Data(e), (int)e.shape[0], Data(logits), threads, max);
    }

    /// <summary>dU[B, d] = G[B, N] · E[N, d] into an existing tensor (N summed in blocks of <paramref name="block"/>).</summary>
    internal static unsafe void GradInterests(Tensor g, Tensor e, Tensor gradU, int threads, int block = LogitsGemm.ReductionBlock) =>
        LogitsGemm.GradInterests(Data(g), (int)g.shape[0], (int)g.shape[1], Data(e), (int)e.shape[1], Data(gradU), threads, block);

    /// <summary>dE[N, d] = G[B, N]ᵀ · U[B, d] into an existing tensor (B summed in blocks of <paramref name="block"/>).</summary>
    internal static unsafe void GradTable(Tensor g, Tensor u, Tensor gradE, int threads, int block = int.MaxValue) =>
        LogitsGemm.GradTable(Data(g), (int)g.shape[0], (int)g.shape[1], Data(u), (int)u.shape[1], Data(gradE), threads, block);

    /// <summary>dE[N, d] = Pᵀ[N, B] · S[B, d] and dU[B, d] = (Pᵀ)ᵀ · E[N, d] in one pass over Pᵀ (see
    /// <see cref="LogitsGemm.GradientsItemMajor"/>), into existing tensors.</summary>
    internal static unsafe void GradientsItemMajor(Tensor pT, Tensor s, Tensor e, Tensor gradE, Tensor gradU, int threads, Tensor? columnScale = null) =>
        LogitsGemm.GradientsItemMajor(Data(pT), (int)pT.shape[0], (int)pT.shape[1], Data(s), Data(e), (int)e.shape[1], Data(gradE), Data(gradU), threads,
            columnScale is null ? null : Data(columnScale));

    /// <summary>The first float of a contiguous CPU float32 tensor (its storage offset included). The memory stays where it is
    /// while the tensor lives: libtorch's CPU allocator never moves it.</summary>
    internal static unsafe float* Data(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
}
