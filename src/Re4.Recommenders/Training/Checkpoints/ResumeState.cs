using Re4.Recommenders.Models;

namespace Re4.Recommenders.Training;

/// <summary>The JSON part of a run's resume state (<c>resume/trainer.json</c>): counters, the library generators'
/// states, the history and what the run was built from. The tensors lie beside it in binary files.</summary>
internal sealed class ResumeState
{
    public long Step { get; set; }

    public long BestStep { get; set; }

    public double BestMetric { get; set; }

    public int ValidationsWithoutGain { get; set; }

    public double TrainSeconds { get; set; }

    /// <summary>The negative sampler's xoshiro256 words, as decimal strings (JSON numbers lose 64-bit precision in
    /// many readers).</summary>
    public string[]? NegativeRandom { get; set; }

    /// <summary>The training sampler's position; absent in folders written before it was stored.</summary>
    public SamplerState? Sampler { get; set; }

    public ModelConfig? Config { get; set; }

    public TrainerOptions? Options { get; set; }

    public List<ValidationRecord>? History { get; set; }

    /// <summary>The data the run was trained on; absent in folders written before 0.2 (not checked then).</summary>
    public DataFingerprint? Data { get; set; }
}
