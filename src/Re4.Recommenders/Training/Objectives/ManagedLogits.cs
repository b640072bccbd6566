using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The logits U·Eᵀ as a custom autograd function over <see cref="LogitsGemm"/>: forward C = U·Eᵀ, backward dU = G·E and
/// dE = Gᵀ·U, computed on the tensors' own CPU memory (no copies) with the thread budget libtorch has
/// (<c>torch.get_num_threads()</c>). <see cref="Product"/> falls back to libtorch's matmul for anything but contiguous-able
/// CPU float32 tensors.
/// </summary>
/// <remarks>The training step uses its three products through <see cref="ManagedSoftmaxCrossEntropy"/> (the full softmax);
/// the product as a function of its own serves tests of those products' gradients and custom objectives. TorchSharp
/// requires a public parameterless constructor and instantiates the function itself.</remarks>
internal sealed class ManagedLogits : autograd.SingleTensorFunction<ManagedLogits>
{
    /// <inheritdoc />
    public override string Name => nameof(ManagedLogits);

    /// <summary>U·Eᵀ, <c>[B, d]</c> × <c>[N, d]</c> → <c>[B, N]</c>, by <paramref name="kernel"/>.</summary>
    public static Tensor Product(Tensor u, Tensor e, LogitsKernel kernel)
    {
        if (kernel != LogitsKernel.Managed || !Supports(u) || !Supports(e) || u.shape[0] * e.shape[0] > int.MaxValue / sizeof(float))
            return u.matmul(e.t());
        using var scope = NewDisposeScope();
        return apply(u.contiguous(), e.contiguous()).MoveToOuterDisposeScope();
    }

    /// <summary>Whether the managed kernel computes on <paramref name="t"/>: a 2-D CPU float32 tensor of at most 2 GiB (its
    /// memory is reached through a span, whose length is an int), on a machine with AVX-512 (elsewhere libtorch's vectorised
    /// product is faster than the kernel's scalar loop).</summary>
    internal static bool Supports(Tensor t) =>
        LogitsGemm.Vectorised && t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.dim() == 2 && t.numel() <= int.MaxValue / sizeof(float);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var u = (Tensor)vars[0];   // [B, d], contiguous
        var e = (Tensor)vars[1];   // [N, d], contiguous
        int b = checked((int)u.shape[0]), d = checked((int)u.shape[1]), n = checked((int)e.shape[0]);
        if (e.shape[1] != d) throw new ArgumentException($"U is [{b}, {d}] but E is [{n}, {e.shape[1]}]: the dimensions differ.", nameof(vars));
        ctx.save_for_backward([u, e]);
        var logits = empty(b, n, dtype: ScalarType.Float32, device: u.device);   // [B, N]
        Forward(u, e, logits, torch.get_num_threads());
        return logits;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var u = saved[0];                          // [B, d]
        var e = saved[1];                          // [N, d]
        var g = grad_output.contiguous();          // [B, N]
        int b = checked((int)u.shape[0]), d = checked((int)u.shape[1]), n = checked((int)e.shape[0]);
        var gradU = empty(b, d, dtype: ScalarType.Float32, device: u.device);   // [B, d]
        var gradE = empty(n, d, dtype: ScalarType.Float32, device: u.device);   // [N, d]
        var threads = torch.get_num_threads();
        GradInterests(g, e, gradU, threads);
        GradTable(g, u, gradE, threads);

        // The caller's scope (the step's, around backward()) owns the gradients once libtorch has taken its references.
        return [gradU.MoveToOuterDisposeScope(), gradE.MoveToOuterDisposeScope()];
    }

    /// <summary>logits[B, N] = U[B, d] · E[N, d]ᵀ into an existing tensor (all contiguous CPU float32).</summary>
    internal static unsafe void Forward(Tensor u, Tensor e, Tensor logits, int threads) =>
        LogitsGemm.Forward(Data(u), (int)u.shape[0], (int)u.shape[1], Data(e), (int)e.shape[0], Data(logits), threads);

    /// <summary>dU[B, d] = G[B, N] · E[N, d] into an existing tensor.</summary>
    internal static unsafe void GradInterests(Tensor g, Tensor e, Tensor gradU, int threads) =>
        LogitsGemm.GradInterests(Data(g), (int)g.shape[0], (int)g.shape[1], Data(e), (int)e.shape[1], Data(gradU), threads);

    /// <summary>dE[N, d] = G[B, N]ᵀ · U[B, d] into an existing tensor.</summary>
    internal static unsafe void GradTable(Tensor g, Tensor u, Tensor gradE, int threads) =>
        LogitsGemm.GradTable(Data(g), (int)g.shape[0], (int)g.shape[1], Data(u), (int)u.shape[1], Data(gradE), threads);

    /// <summary>The first float of a contiguous CPU float32 tensor (its storage offset included). The memory stays where it is
    /// while the tensor lives: libtorch's CPU allocator never moves it.</summary>
    internal static unsafe float* Data(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
}
