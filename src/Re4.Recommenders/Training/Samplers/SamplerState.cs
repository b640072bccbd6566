namespace Re4.Recommenders.Training;

/// <summary>A training sampler's position, as stored in a resume state (JSON). Each sampler reads the fields it uses.</summary>
internal sealed record SamplerState
{
    /// <summary>Batches drawn so far (random cut: its epoch count derives from it).</summary>
    public long Batches { get; init; }

    /// <summary>Every-prefix: the next example of the shuffled order.</summary>
    public int Position { get; init; }

    /// <summary>Every-prefix: completed passes.</summary>
    public int Epoch { get; init; }

    /// <summary>Random cut: its generator's state.</summary>
    public SubtractiveRandomState? Random { get; init; }
}
