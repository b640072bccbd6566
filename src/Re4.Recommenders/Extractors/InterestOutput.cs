using static TorchSharp.torch;

namespace Re4.Recommenders.Extractors;

/// <summary>What an <see cref="InterestExtractor"/> produces. Owns its tensors.</summary>
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
