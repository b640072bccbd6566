using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>What <c>--model NAME</c> sets before the recipe and the individual flags override it.</summary>
/// <param name="Kind">The encoder (a registered descriptor).</param>
/// <param name="Flows">The default of <c>--flows</c>.</param>
/// <param name="Recipe">The default of <c>--recipe</c>: the training setup (<see cref="TrainingRecipe"/>).</param>
internal sealed record ModelPreset(Recommenders.Extractors.EncoderDescriptor Kind, string Flows, TrainingRecipe Recipe)
{
    // A plain encoder: no flows, the default recipe.
    private static readonly ModelPreset ComiRec = new(CliModels.Kinds["comirec-sa"], "none", TrainingRecipe.Default);

    /// <summary>The preset's own softmax, which the recipe's does not replace (REMI's uniform negatives); null for the
    /// recipe's.</summary>
    public NegativeSampling? Sampler { get; init; }

    /// <summary>The default of <c>--negatives</c> with <see cref="Sampler"/>; null for the trainer's rule.</summary>
    public int? NegativeCount { get; init; }

    /// <summary>The default of <c>--hard-negatives</c> (REMI's β); null for none.</summary>
    public double? HardNegativeBeta { get; init; }

    // What REMI adds to a preset: its flow, its sampler and its β (the reference code's settings).
    private static readonly ModelPreset Remi = ComiRec with
    {
        Flows = RoutingRegularizationFlow.FlowName,
        Sampler = NegativeSampling.Uniform,
        NegativeCount = 1280,
        HardNegativeBeta = new HardNegativeOptions().Beta,
    };

    // Every registered encoder under its own name; then the Re4 presets.
    public static readonly IReadOnlyDictionary<string, ModelPreset> All = new Dictionary<string, ModelPreset>(
        CliModels.Kinds.Select(k => KeyValuePair.Create(k.Key, ComiRec with { Kind = k.Value })))
    {
        // Re4: the three backward flows with the reference λ, τ and γ on each multi-interest encoder.
        ["re4"] = ComiRec with { Flows = "contrast,attend,construct" },
        ["re4-dr"] = ComiRec with { Kind = CliModels.Kinds["comirec-dr"], Flows = "contrast,attend,construct" },
        ["re4-mind"] = ComiRec with { Kind = CliModels.Kinds["mind"], Flows = "contrast,attend,construct" },
        // The Re4 reference code's whole configuration (TrainingRecipe.Re4Reference) with its three flows.
        ["re4-reference"] = ComiRec with { Flows = "contrast,attend,construct", Recipe = TrainingRecipe.Re4Reference },
        // REMI (docs/remi.md): routing regularisation and interest-aware hard negatives with the reference code's λ = 100,
        // its 1280 uniform negatives and β = 1; on ComiRec-SA alone and on Re4.
        ["remi"] = Remi,
        ["re4-remi"] = Remi with { Flows = "contrast,attend,construct," + Remi.Flows },
    };

    public static string Names => string.Join('|', All.Keys);

    /// <summary>The preset name <paramref name="text"/> stands for (case-insensitive), or the usage error that names the presets.</summary>
    public static (string? Value, string? Error) ParseName(string text) =>
        All.ContainsKey(text.ToLowerInvariant()) ? (text.ToLowerInvariant(), null) : (null, $"option --model expects one of {Names}, not '{text}'");
}
