namespace Re4.Recommenders.Training;

/// <summary>Which training sampler the trainer uses.</summary>
public enum TrainingSamplerKind
{
    /// <summary>ComiRec's random user and random cut per example (<see cref="RandomCutSampler"/>).</summary>
    RandomCut,

    /// <summary>Every prefix of every training user, shuffled once (<see cref="EveryPrefixSampler"/>; Re4 reference).</summary>
    EveryPrefix,
}
