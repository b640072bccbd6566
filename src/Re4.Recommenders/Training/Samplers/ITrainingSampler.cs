namespace Re4.Recommenders.Training;

/// <summary>Turns the training sequences of a <see cref="Data.DataSplit"/> into batches of (history, next item).</summary>
/// <remarks>Not thread-safe: a sampler holds its random state. Deterministic for a seed.</remarks>
internal interface ITrainingSampler
{
    /// <summary>Completed passes over the training data (every-prefix), or batches / batches-per-epoch (random cut).</summary>
    int Epoch { get; }

    /// <summary>The next batch.</summary>
    TrainingBatch Next();

    /// <summary>Where the sampler stands: reading it and setting it on a sampler built with the same split, batch size
    /// and seed continues the same batch sequence. Its size does not grow with the batches drawn, so resuming costs the
    /// same at any step.</summary>
    SamplerState State { get; set; }
}
