using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;

namespace Re4.Cli;

/// <summary>What <c>--recipe NAME</c> sets: the training setup under the model (sampler, history order, softmax,
/// optimiser, batch, K, initialisation). A model preset names its recipe; <c>--recipe</c> replaces it and every flag
/// overrides the recipe.</summary>
/// <param name="Name">The --recipe name.</param>
/// <param name="TrainSampler">The default of <c>--train-sampler</c>.</param>
/// <param name="ReverseHistory">The default of <c>--history-order</c> (true: most recent item first).</param>
/// <param name="Sampler">The default of <c>--sampler</c>.</param>
/// <param name="NegativeCount">The default of <c>--negatives</c> (null: the trainer's rule).</param>
/// <param name="LearningRate">The default of <c>--lr</c>.</param>
/// <param name="WeightDecay">The default of <c>--weight-decay</c>.</param>
/// <param name="BatchSize">The default of <c>--batch-size</c>.</param>
/// <param name="Interests">The default of <c>--interests</c>.</param>
/// <param name="Init">The default of <c>--init</c>.</param>
/// <param name="Matrices">The initialisation of the extractor's and generator's matrices (no flag).</param>
/// <param name="SaFlavor">The default of <c>--sa-flavor</c> for the self-attentive encoder (other encoders ignore it).</param>
internal sealed record TrainingRecipe(string Name, TrainingSamplerKind TrainSampler, bool ReverseHistory, NegativeSampling Sampler, int? NegativeCount,
    double LearningRate, double WeightDecay, int BatchSize, int Interests, EmbeddingInitialization Init, MatrixInitialization Matrices, string SaFlavor)
{
    private static readonly TrainerOptions TrainerDefaults = new();

    private static readonly ModelConfig ConfigDefaults = new();

    /// <summary>The library's defaults (since 0.3): every prefix, most recent item first, the softmax chosen by catalogue
    /// size (full up to <see cref="TrainerOptions.FullSoftmaxItemLimit"/> items, log-uniform beyond).</summary>
    public static readonly TrainingRecipe Default = new("default", TrainerDefaults.Sampler, ConfigDefaults.ReverseHistory, TrainerDefaults.Negatives, null,
        TrainerDefaults.LearningRate, TrainerDefaults.WeightDecay, TrainerDefaults.BatchSize, ConfigDefaults.Interests, ConfigDefaults.ItemInitialization,
        ConfigDefaults.MatrixInitialization, "comirec");

    /// <summary>ComiRec's reference setup, the defaults before 0.3: random cut, oldest item first, 10·B log-uniform negatives.</summary>
    public static readonly TrainingRecipe ComiRec = Default with
    {
        Name = "comirec",
        TrainSampler = TrainerOptions.ComiRec().Sampler,
        ReverseHistory = false,
        Sampler = TrainerOptions.ComiRec().Negatives,
    };

    /// <summary>The Re4 reference code's setup (Amazon Books): K 8, batch 1024, Adam lr 0.003 with weight decay 1e-6, 5000
    /// uniform negatives, every prefix with the most recent item first, its SA flavour (no position embedding, no biases,
    /// value projection, tanh head) and standard-normal items and matrices.</summary>
    public static readonly TrainingRecipe Re4Reference = new("re4-reference", TrainingSamplerKind.EveryPrefix, true, NegativeSampling.Uniform, 5000,
        0.003, 1e-6, 1024, 8, EmbeddingInitialization.StandardNormal, MatrixInitialization.StandardNormal, "re4");

    /// <summary>The recipes by name.</summary>
    public static readonly IReadOnlyDictionary<string, TrainingRecipe> All = new[] { Default, ComiRec, Re4Reference }.ToDictionary(r => r.Name);

    public static string Names => string.Join('|', All.Keys);

    /// <summary>The recipe <paramref name="text"/> names (case-insensitive), or the usage error that lists them.</summary>
    public static (TrainingRecipe? Value, string? Error) Parse(string text) =>
        All.TryGetValue(text.ToLowerInvariant(), out var recipe) ? (recipe, null) : (null, $"option --recipe expects one of {Names}, not '{text}'");
}
