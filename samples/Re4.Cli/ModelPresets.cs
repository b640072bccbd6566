namespace Re4.Cli;

/// <summary>What <c>--model NAME</c> sets before the recipe and the individual flags override it.</summary>
/// <param name="Kind">The encoder (a registered descriptor).</param>
/// <param name="Flows">The default of <c>--flows</c>.</param>
/// <param name="Recipe">The default of <c>--recipe</c>: the training setup (<see cref="TrainingRecipe"/>).</param>
internal sealed record ModelPreset(Recommenders.Extractors.EncoderDescriptor Kind, string Flows, TrainingRecipe Recipe)
{
    // A plain encoder: no flows, the default recipe.
    private static readonly ModelPreset ComiRec = new(CliModels.Kinds["comirec-sa"], "none", TrainingRecipe.Default);

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
    };

    public static string Names => string.Join('|', All.Keys);

    /// <summary>The preset name <paramref name="text"/> stands for (case-insensitive), or the usage error that names the presets.</summary>
    public static (string? Value, string? Error) ParseName(string text) =>
        All.ContainsKey(text.ToLowerInvariant()) ? (text.ToLowerInvariant(), null) : (null, $"option --model expects one of {Names}, not '{text}'");
}
