using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>
/// The forward flow: a multi-interest encoder that maps a batch of history embeddings X (<c>[B, L, d]</c>, padding rows
/// exactly 0) and the valid mask m (<c>[B, L]</c>, 1 on real items) to K interest embeddings and the attention that
/// assigns history items to interests. ComiRec-SA, ComiRec-DR, MIND and the single-interest baselines derive from it;
/// the backward flows need nothing else, so they plug onto any extractor (see docs/concepts.md).
/// </summary>
/// <remarks>An extractor is a TorchSharp module, so its parameters are trained and saved with the model that holds it:
/// a derived class creates its submodules and parameters in fields and calls <c>RegisterComponents()</c>. It follows the
/// device of its inputs and creates no tensors on a fixed device. To build one by name (the CLI's <c>--model</c>, a
/// checkpoint), describe it with an <see cref="EncoderDescriptor"/> registered in <see cref="EncoderRegistry"/>.</remarks>
public abstract class InterestExtractor : nn.Module
{
    /// <summary>Creates the module.</summary>
    /// <param name="name">The module's name (TorchSharp's; not part of the saved parameter names).</param>
    protected InterestExtractor(string name)
        : base(name)
    {
    }

    /// <summary>K: interests per user.</summary>
    public abstract int InterestCount { get; }

    /// <summary>d: the embedding size.</summary>
    public abstract int Dimension { get; }

    /// <summary>Encodes a batch.</summary>
    /// <param name="history">X, <c>[B, L, d]</c>. Read it, never change it in place: in training steps it may be a leaf that
    /// requires a gradient (the trainer adds that gradient to the item table itself), which libtorch refuses to modify.</param>
    /// <param name="mask">m, <c>[B, L]</c>, 1 for valid items and 0 for padding (float).</param>
    /// <returns>Tensors outside every dispose scope of the call, owned by the caller.</returns>
    public abstract InterestOutput Extract(Tensor history, Tensor mask);
}
