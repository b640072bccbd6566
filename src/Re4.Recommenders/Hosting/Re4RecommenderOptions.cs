using static TorchSharp.torch;

namespace Re4.Recommenders.Hosting;

/// <summary>Options of a <see cref="Re4RecommenderService"/>: which checkpoint to serve and how.</summary>
public sealed class Re4RecommenderOptions
{
    /// <summary>A model folder written by <see cref="Models.ModelCheckpoint.Save(string, Models.MultiInterestModel, Data.IdMap)"/>, or a training run's folder (the
    /// trainer's checkpoint directory) holding one in <c>model/</c>. Required.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Builds the extractor of a model trained around an extractor instance of your own (an encoder name the
    /// <see cref="Extractors.EncoderRegistry"/> does not know) from its saved configuration; not needed for registered
    /// encoders.</summary>
    public Func<Models.ModelConfig, Extractors.InterestExtractor>? CustomExtractor { get; set; }

    /// <summary>Where the encoder runs (CPU when null). CUDA needs the app to reference a CUDA backend of TorchSharp.</summary>
    public Device? Device { get; set; }

    /// <summary>Never recommend an item of the history itself (default true: a served list rarely wants what the user
    /// already has; the evaluation protocol, which does keep them, is configured elsewhere).</summary>
    public bool ExcludeHistory { get; set; } = true;

    /// <summary>The largest <c>top</c> one call may ask for (default 1000). It bounds the memory a single request can make
    /// the service allocate, which matters when <c>top</c> comes from an untrusted caller.</summary>
    public int MaxTop { get; set; } = 1000;

    /// <summary>Checks the options; every message names the option at fault.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentException($"{nameof(Re4RecommenderOptions)}.{nameof(CheckpointPath)} is required: the folder of a trained model (or of its training run).", nameof(CheckpointPath));
        if (MaxTop <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxTop), MaxTop, $"{nameof(Re4RecommenderOptions)}.{nameof(MaxTop)} must be positive.");
    }

    /// <summary>A copy, so that changing the caller's instance after registration changes nothing.</summary>
    internal Re4RecommenderOptions Clone() => (Re4RecommenderOptions)MemberwiseClone();
}
