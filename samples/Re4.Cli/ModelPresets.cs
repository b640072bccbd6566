using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>What <c>--model NAME</c> sets before the individual flags override it.</summary>
/// <param name="Kind">The encoder (a registered descriptor).</param>
/// <param name="Flows">The default of <c>--flows</c>.</param>
/// <param name="SaFlavor">The default of <c>--sa-flavor</c>.</param>
/// <param name="Init">The default of <c>--init</c>.</param>
/// <param name="ReverseHistory">The default of <c>--reverse-history</c>.</param>
/// <param name="TrainSampler">The default of <c>--train-sampler</c>.</param>
/// <param name="Sampler">The default of <c>--sampler</c>.</param>
/// <param name="LearningRate">The default of <c>--lr</c>.</param>
/// <param name="WeightDecay">The default of <c>--weight-decay</c>.</param>
internal sealed record ModelPreset(EncoderDescriptor Kind, string Flows, string SaFlavor, EmbeddingInitialization Init, bool ReverseHistory,
    TrainingSamplerKind TrainSampler, NegativeSampling Sampler, double LearningRate, double WeightDecay)
{
    private static readonly TrainerOptions TrainerDefaults = new();

    /// <summary>The default of <c>--negatives</c>; null for the trainer's rule.</summary>
    public int? NegativeCount { get; init; }

    /// <summary>The default of <c>--hard-negatives</c> (REMI's β); null for none.</summary>
    public double? HardNegativeBeta { get; init; }

    private static readonly ModelConfig ConfigDefaults = new();

    // ComiRec training is the library's defaults: no flows, ComiRec's SA flavour, and the trainer's sampler and optimizer.
    private static readonly ModelPreset ComiRec = new(CliModels.Kinds["comirec-sa"], "none", "comirec", ConfigDefaults.ItemInitialization, ConfigDefaults.ReverseHistory,
        TrainerDefaults.Sampler, TrainerDefaults.Negatives, TrainerDefaults.LearningRate, TrainerDefaults.WeightDecay);

    // What REMI adds to a preset: its flow, its sampler and its β (the reference code's settings).
    private static readonly ModelPreset Remi = ComiRec with
    {
        Flows = RoutingRegularizationFlow.FlowName,
        Sampler = NegativeSampling.Uniform,
        NegativeCount = 1280,
        HardNegativeBeta = new HardNegativeOptions().Beta,
    };

    // Every registered encoder trained as ComiRec does, under its own name; then the Re4 presets.
    public static readonly IReadOnlyDictionary<string, ModelPreset> All = new Dictionary<string, ModelPreset>(
        CliModels.Kinds.Select(k => KeyValuePair.Create(k.Key, ComiRec with { Kind = k.Value })))
    {
        // Re4: the three backward flows with the reference λ, τ and γ on each multi-interest encoder.
        ["re4"] = ComiRec with { Flows = "contrast,attend,construct" },
        ["re4-dr"] = ComiRec with { Kind = CliModels.Kinds["comirec-dr"], Flows = "contrast,attend,construct" },
        ["re4-mind"] = ComiRec with { Kind = CliModels.Kinds["mind"], Flows = "contrast,attend,construct" },
        // The Re4 reference code's whole configuration: its SA flavour (no position embedding, no biases, value
        // projection, tanh head), standard-normal embeddings, every prefix with the most recent item first, 5000 uniform
        // negatives, Adam lr 0.003 with weight decay 1e-6.
        ["re4-reference"] = new(CliModels.Kinds["comirec-sa"], "contrast,attend,construct", "re4", EmbeddingInitialization.StandardNormal, true,
            TrainingSamplerKind.EveryPrefix, NegativeSampling.Uniform, 0.003, 1e-6),
        // REMI (docs/remi.md): routing regularisation and interest-aware hard negatives with the reference code's λ = 100,
        // its 1280 uniform negatives and β = 1; on ComiRec-SA alone and on Re4.
        ["remi"] = ComiRec with { Flows = Remi.Flows, Sampler = Remi.Sampler, NegativeCount = Remi.NegativeCount, HardNegativeBeta = Remi.HardNegativeBeta },
        ["re4-remi"] = ComiRec with { Flows = "contrast,attend,construct," + Remi.Flows, Sampler = Remi.Sampler, NegativeCount = Remi.NegativeCount, HardNegativeBeta = Remi.HardNegativeBeta },
    };

    public static string Names => string.Join('|', All.Keys);

    /// <summary>The preset name <paramref name="text"/> stands for (case-insensitive), or the usage error that names the presets.</summary>
    public static (string? Value, string? Error) ParseName(string text) =>
        All.ContainsKey(text.ToLowerInvariant()) ? (text.ToLowerInvariant(), null) : (null, $"option --model expects one of {Names}, not '{text}'");
}
