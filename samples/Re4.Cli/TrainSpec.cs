using Re4.Recommenders.Data;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>A training run as the <c>train</c> flags describe it (the model preset, then every flag over it), parsed once
/// per model and seed so that <c>compare</c> applies the same flags to every run.</summary>
/// <param name="ModelName">The --model name (a preset of <see cref="ModelPreset.All"/>).</param>
/// <param name="Preset">What the name sets.</param>
/// <param name="Recipe">The training recipe (the preset's, or <c>--recipe</c>'s).</param>
/// <param name="Interests">K.</param>
/// <param name="Dimension">d.</param>
/// <param name="SaFlavor">comirec or re4.</param>
/// <param name="Init">The item embedding initialisation.</param>
/// <param name="ReverseHistory">Whether histories are fed most recent first.</param>
/// <param name="Options">The trainer's options (seeded).</param>
/// <param name="MaxStepsGiven">Whether --max-steps was given (a resumed run keeps its saved limit otherwise).</param>
/// <param name="Device">Where to train.</param>
internal sealed record TrainSpec(string ModelName, ModelPreset Preset, TrainingRecipe Recipe, int Interests, int Dimension, string SaFlavor, EmbeddingInitialization Init,
    bool ReverseHistory, TrainerOptions Options, bool MaxStepsGiven, TorchSharp.torch.Device Device)
{
    /// <summary>--attend-routing: the routing encoders' <see cref="DynamicRoutingOptions.AttentionGradient"/>.</summary>
    public bool AttentionGradient { get; init; }

    /// <summary>The architecture for <paramref name="dataset"/>.</summary>
    public ModelConfig Config(SequenceDataset dataset, int maxLength) => new()
    {
        Label = ModelName.StartsWith("re4", StringComparison.Ordinal) || ModelName.StartsWith("remi", StringComparison.Ordinal) ? ModelName : null,
        Encoder = Preset.Kind.Name,
        ItemCount = dataset.ItemCount,
        Dimension = Dimension,
        Interests = Interests,
        MaxLength = maxLength,
        ReverseHistory = ReverseHistory,
        ItemInitialization = Init,
        MatrixInitialization = Recipe.Matrices,
        EncoderOptions = SaFlavor == "re4" ? SelfAttentiveOptions.Re4Reference()
            : AttentionGradient ? RoutingOptions() with { AttentionGradient = true }
            : null,
    };

    // The preset's routing flavour (MIND or ComiRec-DR), as its descriptor defaults it; TrainFlags refuses other encoders.
    private DynamicRoutingOptions RoutingOptions() => ((EncoderDescriptor<DynamicRoutingOptions>)Preset.Kind).CreateDefaultOptions();
}
