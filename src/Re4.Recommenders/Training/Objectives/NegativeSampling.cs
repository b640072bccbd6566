namespace Re4.Recommenders.Training;

/// <summary>How the main loss's softmax is approximated (docs/concepts.md, "Main loss").</summary>
public enum NegativeSampling
{
    /// <summary>Re4 reference code: negatives drawn uniformly without replacement, excluding the batch's targets, no
    /// correction (default count 5000).</summary>
    Uniform,

    /// <summary>ComiRec: negatives from a log-uniform (Zipfian) sampler over ids ordered by decreasing frequency, i.e. a
    /// popularity sampler, drawn without replacement, with the logQ correction and accidental hits removed (default
    /// count 10·B), as TensorFlow's sampled softmax does.</summary>
    LogUniform,

    /// <summary>A full softmax over every item: exact, and affordable for small catalogues.</summary>
    Full,

    /// <summary>Chosen by catalogue size (the default since 0.3): <see cref="Full"/> while the catalogue has at most
    /// <see cref="TrainerOptions.FullSoftmaxItemLimit"/> items, <see cref="LogUniform"/> (with the logQ correction)
    /// beyond. <see cref="TrainerOptions.ResolveNegatives"/> says which a catalogue gets; the trainer logs it.</summary>
    Auto,
}
