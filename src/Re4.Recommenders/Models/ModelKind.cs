namespace Re4.Recommenders.Models;

/// <summary>The multi-interest encoders the library builds by name (the CLI's <c>--model</c>).</summary>
public enum ModelKind
{
    /// <summary>ComiRec-SA: self-attentive extractor (<c>comirec-sa</c>).</summary>
    ComiRecSA,

    /// <summary>ComiRec-DR: dynamic routing with per-position bilinear maps (<c>comirec-dr</c>).</summary>
    ComiRecDR,

    /// <summary>MIND: routing with one shared bilinear map and a relu head (<c>mind</c>).</summary>
    Mind,

    /// <summary>YouTube DNN: mean pooling, one interest (<c>youtube-dnn</c>).</summary>
    YouTubeDnn,

    /// <summary>GRU4Rec: last GRU state, one interest (<c>gru4rec</c>).</summary>
    Gru4Rec,

    /// <summary>An extractor of your own, given to <see cref="MultiInterestModel(ModelConfig, Extractors.IInterestExtractor)"/>
    /// and, when loading, to <see cref="ModelCheckpoint.Load(string, Func{ModelConfig, Extractors.IInterestExtractor}, TorchSharp.torch.Device?)"/>.</summary>
    Custom,
}
