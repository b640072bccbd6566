using System.Text.Json.Serialization;

namespace Re4.Recommenders.Extractors;

/// <summary>Options of <see cref="DynamicRoutingExtractor"/>. Defaults are ComiRec-DR; <see cref="Mind"/> gives MIND.</summary>
public sealed record DynamicRoutingOptions
{
    /// <summary>d (default 64).</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>K (default 4).</summary>
    public int Interests { get; init; } = 4;

    /// <summary>L: one bilinear map per position (ComiRec-DR) needs the longest history (default 20).</summary>
    public int MaxLength { get; init; } = 20;

    /// <summary>Routing iterations (default 3).</summary>
    public int Iterations { get; init; } = 3;

    /// <summary>One bilinear map shared by every position and interest (MIND) instead of one per position and interest
    /// (ComiRec-DR). A shared map makes every interest identical unless routing starts from random logits, so this also
    /// starts the routing logits from a standard normal draw (no gradient), as ComiRec's MIND does.</summary>
    public bool SharedBilinearMap { get; init; }

    /// <summary>Retrieval vectors U = relu(Linear(V)) (MIND) instead of U = V.</summary>
    public bool ReluHead { get; init; }

    /// <summary>Give the attention A (what re-attend, re-contrast and re-construct read) a gradient into the routing: the
    /// final coupling's logits are recomputed as b₀ + Σ<sub>i</sub> ⟨ê, v<sub>i</sub>⟩ with the gradient through ê (the
    /// routing's own v<sub>i</sub> stay as they are), so re-attend's −Σ R·log A reaches the bilinear maps and the item
    /// embeddings. Same values, same interests; only the gradient differs. Default false: A from the routing logits
    /// without gradient (as before 0.3), so re-attend reaches only the interests, through its target R, and nothing
    /// with a detached target.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]   // off: a checkpoint is written as before the option existed
    public bool AttentionGradient { get; init; }

    /// <summary>MIND: a shared bilinear map, random initial routing logits and a relu head.</summary>
    public static DynamicRoutingOptions Mind(int dimension = 64, int interests = 4, int maxLength = 20) => new()
    {
        Dimension = dimension,
        Interests = interests,
        MaxLength = maxLength,
        SharedBilinearMap = true,
        ReluHead = true,
    };

    internal void Validate()
    {
        OptionChecks.Positive(Dimension, nameof(Dimension));
        OptionChecks.Positive(Interests, nameof(Interests));
        OptionChecks.Positive(MaxLength, nameof(MaxLength));
        OptionChecks.Positive(Iterations, nameof(Iterations));
    }
}
