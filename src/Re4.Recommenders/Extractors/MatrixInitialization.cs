namespace Re4.Recommenders.Extractors;

/// <summary>How the extractor's and the re-construct generator's weight matrices are initialised (the item table has
/// <see cref="EmbeddingInitialization"/>).</summary>
public enum MatrixInitialization
{
    /// <summary>Whatever each module is created with: TorchSharp's default for linear layers (Kaiming uniform), ComiRec's
    /// standard normal for ComiRec-DR's bilinear maps. Every preset but <c>re4-reference</c> uses it.</summary>
    Default,

    /// <summary>The Re4 reference code's standard normal (std 1) for the matrices it declares as raw parameters: the
    /// self-attentive scorer's two layers and value projection, and the re-construct generator's slot attention and value
    /// map (docs/reproduction.md, "re4-reference", maps the reference's names to ours; the mapping is inferred). With
    /// standard-normal items the attention starts close to one-hot instead of close to uniform.</summary>
    StandardNormal,
}
