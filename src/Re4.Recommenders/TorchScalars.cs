using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders;

/// <summary>
/// Scalars the library hands to TorchSharp, kept alive for the whole process. TorchSharp 0.107 frees a Scalar's native
/// value in its finalizer, and an implicitly converted one (<c>clamp_min(1)</c>, <c>t * 0.5</c>, even <c>a + b</c>,
/// whose alpha = 1 TorchSharp converts itself) is unreachable as soon as its handle is read: a GC during the native call
/// can free it while libtorch still reads it. Static fields are never collected. Each keeps the CLR type the implicit
/// conversion had (int, float), so dtype promotion is what it was.
/// </summary>
internal static class TorchScalars
{
    /// <summary>0 as an int (comparisons with the mask, zero fills).</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1 as an int (clamps of counts, id offsets, the alpha of <c>add</c>).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>1 as a float (<c>1f / t</c> is <c>t.reciprocal() * 1f</c>).</summary>
    public static readonly Scalar OneSingle = 1f.ToScalar();

    /// <summary>2 as an int, the exponent of <c>square()</c>.</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary>−1 as an int (padding interests of retrieval results).</summary>
    public static readonly Scalar MinusOne = (-1).ToScalar();

    /// <summary>−∞ as a float (scores of excluded items and unfilled retrieval slots).</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary><see cref="Extractors.MaskedAttention.MaskValue"/> as a float, for <c>masked_fill</c>.</summary>
    public static readonly Scalar MaskValue = Extractors.MaskedAttention.MaskValue.ToScalar();
}

/// <summary>Tensor arithmetic that passes only kept-alive Scalars (see <see cref="TorchScalars"/>).</summary>
internal static class TorchScalarOps
{
    /// <summary><c>a + b</c> with an alpha that outlives the call (TorchSharp's <c>+</c> converts alpha = 1 itself).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, TorchScalars.One);

    /// <summary><c>a + s</c> with an alpha that outlives the call; <paramref name="s"/> must be owned by the caller.</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, TorchScalars.One);

    /// <summary><c>t.square()</c> with a kept-alive exponent (TorchSharp's square() is <c>pow(2)</c> with a temporary).</summary>
    public static Tensor Squared(this Tensor t) => t.pow(TorchScalars.Two);
}
