namespace Re4.Recommenders.Extractors;

/// <summary>How item embeddings and the extractors' own tables are initialised.</summary>
public enum EmbeddingInitialization
{
    /// <summary>Glorot/Xavier uniform, the TensorFlow default ComiRec's reference code gets.</summary>
    XavierUniform,

    /// <summary>Standard normal (std 1), PyTorch's <c>nn.Embedding</c> default, which the Re4 reference code gets.</summary>
    StandardNormal,
}
