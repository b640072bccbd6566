using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>
/// The forward flow: a multi-interest encoder that maps a batch of history embeddings X (<c>[B, L, d]</c>, padding rows
/// exactly 0) and the valid mask m (<c>[B, L]</c>, 1 on real items) to K interest embeddings and the attention that
/// assigns history items to interests. ComiRec-SA, ComiRec-DR, MIND and single-interest baselines implement it; the
/// backward flows need nothing else, so they plug onto any implementation.
/// </summary>
/// <remarks>Implementations are TorchSharp modules; they follow the device of their inputs' parameters and create no
/// tensors on a fixed device.</remarks>
public interface IInterestExtractor
{
    /// <summary>K: interests per user.</summary>
    int InterestCount { get; }

    /// <summary>d: the embedding size.</summary>
    int Dimension { get; }

    /// <summary>Encodes a batch.</summary>
    /// <param name="history">X, <c>[B, L, d]</c>.</param>
    /// <param name="mask">m, <c>[B, L]</c>, 1 for valid items and 0 for padding (float).</param>
    InterestOutput Extract(Tensor history, Tensor mask);
}

/// <summary>What an <see cref="IInterestExtractor"/> produces. Owns its tensors.</summary>
public sealed class InterestOutput : IDisposable
{
    /// <summary>Creates an output; <paramref name="retrievalInterests"/> defaults to <paramref name="interests"/>.</summary>
    public InterestOutput(Tensor interests, Tensor attention, Tensor logAttention, Tensor? retrievalInterests = null)
    {
        ArgumentNullException.ThrowIfNull(interests);
        ArgumentNullException.ThrowIfNull(attention);
        ArgumentNullException.ThrowIfNull(logAttention);
        Interests = interests;
        Attention = attention;
        LogAttention = logAttention;
        RetrievalInterests = retrievalInterests ?? interests;
    }

    /// <summary>Z, <c>[B, K, d]</c>: the interest embeddings the backward flows regularise.</summary>
    public Tensor Interests { get; }

    /// <summary>A, <c>[B, K, L]</c>: each row a distribution over the valid history items (0 on padding).</summary>
    public Tensor Attention { get; }

    /// <summary>log A, <c>[B, K, L]</c>, finite (a large negative value on padding), for the re-attend loss.</summary>
    public Tensor LogAttention { get; }

    /// <summary>U, <c>[B, K, d]</c>: the vectors used for the main loss and retrieval (Z unless an output head exists).</summary>
    public Tensor RetrievalInterests { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(RetrievalInterests, Interests)) RetrievalInterests.Dispose();
        Interests.Dispose();
        Attention.Dispose();
        LogAttention.Dispose();
    }
}
