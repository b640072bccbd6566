using System.CommandLine;
using System.Globalization;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Extractors;
using Re4.Recommenders.Models;
using Re4.Recommenders.Training;
using static TorchSharp.torch;

namespace Re4.Cli;

/// <summary>The training options <c>train</c> and <c>compare</c> share. Those a model preset or its recipe sets
/// (<c>--lr</c>, <c>--sampler</c>, <c>--flows</c>, ...) have no parser default: absent, the recipe's (or the preset's)
/// value applies, and the help names the recipes' values. Every other default is the library's (<see cref="TrainerOptions"/>, <see cref="ModelConfig"/>,
/// the flows' option records), read here once.</summary>
internal sealed class TrainFlags
{
    private static readonly string[] FlowNames = ["contrast", "attend", "construct", RoutingRegularizationFlow.FlowName];

    public TrainFlags()
    {
        var trainer = new TrainerOptions();
        var config = new ModelConfig();
        var contrast = new ReContrastOptions();
        var attend = new ReAttendOptions();
        var construct = new ReConstructOptions();
        var routing = new RoutingRegularizationOptions();
        var comiRec = TrainingRecipe.Default;
        var reference = TrainingRecipe.Re4Reference;
        Recipe = CliOptions.Parsed("recipe", "R",
            $"{TrainingRecipe.Names}: the training setup the flags below override (default: the model's, {comiRec.Name} for all but\n" +
            $"re4-reference; comirec = ComiRec's random cut, oldest item first, log-uniform negatives, the defaults before 0.3)", TrainingRecipe.Parse);
        Interests = CliOptions.OptionalInt("interests", "K",
            $"interests per user (default {comiRec.Interests}; re4-reference {reference.Interests}; 1 for youtube-dnn and gru4rec)", min: 1);
        Dimension = CliOptions.Int("dim", "D", "embedding size", config.Dimension, min: 1);
        BatchSize = CliOptions.OptionalInt("batch-size", "B", $"(default {comiRec.BatchSize}; re4-reference {reference.BatchSize})", min: 1);
        LearningRate = CliOptions.OptionalDouble("lr", "X",
            $"Adam learning rate (default {CliOptions.Format(comiRec.LearningRate)}; re4-reference {CliOptions.Format(reference.LearningRate)})");
        WeightDecay = CliOptions.OptionalDouble("weight-decay", "X",
            $"Adam L2 weight decay (default {CliOptions.Format(comiRec.WeightDecay)}; re4-reference {CliOptions.Format(reference.WeightDecay)})");
        Sampler = CliOptions.OptionalChoice("sampler",
            $"negatives of the sampled softmax (default {CliOptions.NameOf(TrainCommand.Samplers, comiRec.Sampler)}; re4-reference {CliOptions.NameOf(TrainCommand.Samplers, reference.Sampler)})",
            TrainCommand.Samplers);
        Sampler.HelpName = "S";
        Sampler.Description = $"{string.Join('|', TrainCommand.Samplers.Keys)}: {Sampler.Description}; auto = full softmax up to\n" +
            $"{trainer.FullSoftmaxItemLimit} items, log-uniform beyond (the choice is logged and written to metrics.json as softmax)";
        Negatives = CliOptions.OptionalInt("negatives", "N", "negatives per batch (default: the trainer's, 10*B for log-uniform, 5000 for uniform)", min: 1);
        ItemUpdates = CliOptions.Choice("item-updates",
            "how Adam updates the item table: auto (lazy above the full-softmax item limit with a sampled softmax,\n" +
            "dense otherwise) | dense (every row every step) | lazy (only the rows the batch used; sampled softmax only)",
            ItemUpdateModes, trainer.ItemUpdates, "U");
        TrainSampler = CliOptions.OptionalChoice("train-sampler",
            $"(default {CliOptions.NameOf(TrainCommand.TrainSamplers, comiRec.TrainSampler)}; comirec {CliOptions.NameOf(TrainCommand.TrainSamplers, TrainingRecipe.ComiRec.TrainSampler)}; re4-reference {CliOptions.NameOf(TrainCommand.TrainSamplers, reference.TrainSampler)})",
            TrainCommand.TrainSamplers);
        TrainSampler.HelpName = "S";
        TrainSampler.Description = $"{string.Join('|', TrainCommand.TrainSamplers.Keys)} {TrainSampler.Description}";
        Flows = CliOptions.Parsed("flows", "F",
            $"backward flows: none or a list of {string.Join(',', FlowNames)} (default {ModelPreset.All["comirec-sa"].Flows}; re4*: {ModelPreset.All["re4"].Flows})", ParseFlowNames);
        LambdaContrast = CliOptions.Double("lambda-contrast", "X", "re-contrast weight", contrast.Weight);
        LambdaAttend = CliOptions.Double("lambda-attend", "X", "re-attend weight", attend.Weight);
        LambdaConstruct = CliOptions.Double("lambda-construct", "X", "re-construct weight", construct.Weight);
        LambdaRouting = CliOptions.Double("lambda-rr", "X", "routing-reg weight (REMI's routing regularisation, docs/remi.md)", routing.Weight);
        HardNegatives = CliOptions.OptionalDouble("hard-negatives", "BETA",
            $"REMI's interest-aware hard negatives with hardness BETA; 0 for none (default 0; remi, re4-remi {CliOptions.Format(ModelPreset.All["remi"].HardNegativeBeta ?? 0)})");
        Tau = CliOptions.Double("tau", "X", "re-contrast temperature", contrast.Temperature, positive: true);
        Threshold = CliOptions.Parsed<double?>("threshold", "T",
            $"positives: adaptive (A > 1/n) or a fixed A > T (default {(contrast.Threshold == PositiveThreshold.Adaptive ? "adaptive" : CliOptions.Format(contrast.FixedThreshold))})",
            ParseThreshold);
        FlowAverage = CliOptions.Choice("flow-average", "all-cells (reference code) | positives", TrainCommand.Averages, contrast.Normalization, "A");
        DetachAttend = CliOptions.Flag("detach-attend", "stop the gradient through the re-attention target");
        FlowScale = CliOptions.Choice("flow-scaling",
            "reference (raw Z, X: the flows' strength follows the embeddings' scale) | normalized (Z, X rescaled to norm sqrt(d)\nfor re-attend and re-construct)",
            FlowScalings, attend.Scaling, "S");
        RoutingAttention = CliOptions.Flag("attend-routing",
            "comirec-dr, mind: give the attention a gradient into the routing (bilinear maps), so re-attend can change it");
        SaFlavor = CliOptions.Parsed<string>("sa-flavor", "F",
            $"comirec (position embedding, biases) | re4 (reference code: value projection, tanh head) (default {comiRec.SaFlavor}; re4-reference {reference.SaFlavor})",
            text => TrainCommand.SaFlavors.TryGetValue(text.ToLowerInvariant(), out var flavor)
                ? (flavor, null)
                : (null, $"option --sa-flavor expects one of {string.Join('|', TrainCommand.SaFlavors.Keys)}, not '{text}'"));
        Init = CliOptions.OptionalChoice("init",
            $"xavier | normal (std 1, the Re4 reference code) (default {CliOptions.NameOf(TrainCommand.Inits, comiRec.Init)}; re4-reference {CliOptions.NameOf(TrainCommand.Inits, reference.Init)})",
            TrainCommand.Inits);
        Init.HelpName = "I";
        ReverseHistory = CliOptions.Flag("reverse-history", "feed histories most recent first (the default since 0.3; same as --history-order most-recent-first)");
        HistoryOrder = CliOptions.OptionalChoice("history-order",
            $"most-recent-first (default) | oldest-first (ComiRec's order; the comirec recipe's)", HistoryOrders);
        HistoryOrder.HelpName = "O";
        MaxSteps = CliOptions.Int("max-steps", "S", string.Empty, checked((int)trainer.MaxSteps), min: 1);
        MaxEpochs = CliOptions.OptionalInt("max-epochs", "E", "stop after E sampler epochs", min: 1);
        MaxMinutes = CliOptions.OptionalDouble("max-minutes", "M", "stop after M minutes of training (not deterministic; prefer --max-steps)");
        EvaluateEvery = CliOptions.Int("eval-every", "N", "validate every N steps", trainer.EvaluateEvery, min: 1);
        Patience = CliOptions.Int("patience", "P", $"stop after P validations without a {trainer.SelectionMetric} gain", trainer.Patience, min: 1);
        ValidationUsers = CliOptions.OptionalInt("valid-users", "N",
            "validate on N of the validation users, spread evenly (default: all); test users are always evaluated in full", min: 1);
        Device = CliOptions.DeviceOption(string.Empty);
        Logits = CliOptions.Choice("logits-kernel",
            "managed (the library's SIMD kernels: full-softmax logits and cross-entropy, forward and backward, one-pass\nAdam and re-construct's weighted error; CPU float32 on AVX-512) | torch (libtorch's operations throughout: bit-identical to runs of earlier\nversions; exact to float rounding against managed)",
            LogitsKernels, trainer.LogitsKernel, "K");
    }

    /// <summary>The names of <c>--logits-kernel</c>.</summary>
    internal static readonly IReadOnlyDictionary<string, LogitsKernel> LogitsKernels = new Dictionary<string, LogitsKernel>
    {
        ["torch"] = LogitsKernel.Torch,
        ["managed"] = LogitsKernel.Managed,
    };

    /// <summary><c>--logits-kernel</c>.</summary>
    public Option<LogitsKernel> Logits { get; }

    /// <summary>The names of <c>--history-order</c>.</summary>
    internal static readonly IReadOnlyDictionary<string, HistoryOrder> HistoryOrders = new Dictionary<string, HistoryOrder>
    {
        ["most-recent-first"] = Cli.HistoryOrder.MostRecentFirst,
        ["oldest-first"] = Cli.HistoryOrder.OldestFirst,
    };

    public Option<TrainingRecipe?> Recipe { get; }

    public Option<int?> Interests { get; }

    public Option<int> Dimension { get; }

    public Option<int?> BatchSize { get; }

    public Option<double?> LearningRate { get; }

    public Option<double?> WeightDecay { get; }

    public Option<NegativeSampling?> Sampler { get; }

    public Option<int?> Negatives { get; }

    public Option<TrainingSamplerKind?> TrainSampler { get; }

    /// <summary>The names of <c>--item-updates</c>.</summary>
    internal static readonly IReadOnlyDictionary<string, ItemUpdateMode> ItemUpdateModes = new Dictionary<string, ItemUpdateMode>
    {
        ["auto"] = ItemUpdateMode.Auto,
        ["dense"] = ItemUpdateMode.Dense,
        ["lazy"] = ItemUpdateMode.Lazy,
    };

    public Option<ItemUpdateMode> ItemUpdates { get; }

    public Option<string[]?> Flows { get; }

    public Option<double> LambdaContrast { get; }

    public Option<double> LambdaAttend { get; }

    public Option<double> LambdaConstruct { get; }

    public Option<double> LambdaRouting { get; }

    public Option<double?> HardNegatives { get; }

    public Option<double> Tau { get; }

    public Option<double?> Threshold { get; }

    public Option<FlowNormalization> FlowAverage { get; }

    public Option<bool> DetachAttend { get; }

    /// <summary>The names of <c>--flow-scaling</c>.</summary>
    internal static readonly IReadOnlyDictionary<string, FlowScaling> FlowScalings = new Dictionary<string, FlowScaling>
    {
        ["reference"] = FlowScaling.Reference,
        ["normalized"] = FlowScaling.Normalized,
    };

    public Option<FlowScaling> FlowScale { get; }

    public Option<bool> RoutingAttention { get; }

    public Option<string?> SaFlavor { get; }

    public Option<EmbeddingInitialization?> Init { get; }

    public Option<bool> ReverseHistory { get; }

    public Option<HistoryOrder?> HistoryOrder { get; }

    public Option<int> MaxSteps { get; }

    public Option<int?> MaxEpochs { get; }

    public Option<double?> MaxMinutes { get; }

    public Option<int> EvaluateEvery { get; }

    public Option<int> Patience { get; }

    public Option<int?> ValidationUsers { get; }

    public Option<Device> Device { get; }

    /// <summary>The options in help order (after <c>--model</c> or <c>--models</c>).</summary>
    public Option[] All =>
    [
        Recipe, Interests, Dimension, BatchSize, LearningRate, WeightDecay, Sampler, Negatives, ItemUpdates, TrainSampler, Flows, LambdaContrast, LambdaAttend,
        LambdaConstruct, LambdaRouting, HardNegatives, Tau, Threshold, FlowAverage, DetachAttend, FlowScale, RoutingAttention, SaFlavor, Init, ReverseHistory, HistoryOrder, MaxSteps, MaxEpochs, MaxMinutes,
        EvaluateEvery, Patience, ValidationUsers, Device, Logits,
    ];

    /// <summary>The flag each library option comes from, to name it in a usage error.</summary>
    private static readonly IReadOnlyDictionary<string, string> FlagOf = new Dictionary<string, string>
    {
        [nameof(TrainerOptions.BatchSize)] = "--batch-size",
        [nameof(TrainerOptions.LearningRate)] = "--lr",
        [nameof(TrainerOptions.WeightDecay)] = "--weight-decay",
        [nameof(TrainerOptions.NegativeCount)] = "--negatives",
        [nameof(TrainerOptions.MaxSteps)] = "--max-steps",
        [nameof(TrainerOptions.MaxEpochs)] = "--max-epochs",
        [nameof(TrainerOptions.MaxDuration)] = "--max-minutes",
        [nameof(TrainerOptions.EvaluateEvery)] = "--eval-every",
        [nameof(TrainerOptions.Patience)] = "--patience",
        [nameof(TrainerOptions.ValidationUsers)] = "--valid-users",
        ["Contrast.Weight"] = "--lambda-contrast",
        ["Contrast.Temperature"] = "--tau",
        ["Contrast.FixedThreshold"] = "--threshold",
        ["Attend.Weight"] = "--lambda-attend",
        ["Construct.Weight"] = "--lambda-construct",
        ["Construct.FixedThreshold"] = "--threshold",
        ["Routing.Weight"] = "--lambda-rr",
        ["HardNegatives.Beta"] = "--hard-negatives",
        [nameof(ModelConfig.Dimension)] = "--dim",
        [nameof(ModelConfig.Interests)] = "--interests",
        [nameof(ModelConfig.MaxLength)] = "--max-len",
    };

    /// <summary>What is wrong with these options for <paramref name="modelName"/> (options that do not combine, or a
    /// value the library would refuse), or null. The library's own checks (<see cref="TrainerOptions.Validate"/>,
    /// <see cref="ModelConfig.Validate"/>) decide, before any data is read, so that a bad value is a usage error.</summary>
    public string? Problem(ParseResult parse, string modelName)
    {
        var preset = ModelPreset.All[modelName];
        // A recipe's flavour applies to the self-attentive encoder only; a flavour given for another encoder is an error.
        if (preset.Kind.OptionsType != typeof(SelfAttentiveOptions) && parse.GetValue(SaFlavor) is { } saFlavor && saFlavor != "comirec")
            return $"option --sa-flavor applies to the self-attentive encoder, not to {modelName}";
        if (parse.GetResult(ReverseHistory) is { Implicit: false } && parse.GetValue(ReverseHistory) && parse.GetValue(HistoryOrder) == Cli.HistoryOrder.OldestFirst)
            return "options --reverse-history and --history-order oldest-first contradict each other";
        if (parse.GetValue(RoutingAttention) && preset.Kind.OptionsType != typeof(DynamicRoutingOptions))
            return $"option --attend-routing applies to the routing encoders (comirec-dr, mind), not to {modelName}";
        // TimeSpan holds about 15 million years of minutes; more would throw while reading the options.
        if (parse.GetValue(MaxMinutes) is { } minutes && (minutes <= 0 || minutes > TimeSpan.MaxValue.TotalMinutes / 2))
            return string.Create(CultureInfo.InvariantCulture, $"option --max-minutes must be positive and at most {TimeSpan.MaxValue.TotalMinutes / 2:0e0}, not {CliOptions.Format(minutes)}");

        var spec = Read(parse, modelName, seed: 0);
        try
        {
            spec.Options.Validate();
            // The item count is the data's, not known yet: any positive one checks the flags' bounds.
            new ModelConfig { Encoder = preset.Kind.Name, ItemCount = 1, Dimension = spec.Dimension, Interests = spec.Interests }.Validate();
        }
        catch (ArgumentException e)
        {
            var flag = e.ParamName is { } name && FlagOf.TryGetValue(name, out var f) ? f : null;
            var reason = e.Message.Split('\n')[0].Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal).TrimEnd('.');
            var value = e is ArgumentOutOfRangeException { ActualValue: { } actual }
                ? $", not {(actual is double number ? CliOptions.Format(number) : Convert.ToString(actual, CultureInfo.InvariantCulture))}"
                : string.Empty;
            return flag is null ? $"{reason}{value}" : $"option {flag}: {reason}{value}";
        }

        return null;
    }

    /// <summary>The run <paramref name="modelName"/>'s preset and these options describe, trained with <paramref name="seed"/>.</summary>
    public TrainSpec Read(ParseResult parse, string modelName, int seed)
    {
        var preset = ModelPreset.All[modelName];
        var recipe = parse.GetValue(Recipe) ?? preset.Recipe;
        var negatives = parse.GetValue(Sampler) ?? preset.Sampler ?? recipe.Sampler;
        var options = new TrainerOptions
        {
            BatchSize = parse.GetValue(BatchSize) ?? recipe.BatchSize,
            LearningRate = parse.GetValue(LearningRate) ?? recipe.LearningRate,
            WeightDecay = parse.GetValue(WeightDecay) ?? recipe.WeightDecay,
            Negatives = negatives,
            // The recipe's count goes with the recipe's sampler: another --sampler gets the trainer's rule for its kind.
            NegativeCount = parse.GetValue(Negatives) ?? (negatives == preset.Sampler ? preset.NegativeCount : negatives == recipe.Sampler ? recipe.NegativeCount : null),
            Sampler = parse.GetValue(TrainSampler) ?? recipe.TrainSampler,
            ItemUpdates = parse.GetValue(ItemUpdates),
            MaxSteps = parse.GetValue(MaxSteps),
            MaxEpochs = parse.GetValue(MaxEpochs),
            MaxDuration = parse.GetValue(MaxMinutes) is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            EvaluateEvery = parse.GetValue(EvaluateEvery),
            Patience = parse.GetValue(Patience),
            ValidationUsers = parse.GetValue(ValidationUsers),
            Seed = seed,
            Cutoffs = EvaluateCommand.Cutoffs,
            BackwardFlows = ReadFlows(parse, preset),
            HardNegatives = (parse.GetValue(HardNegatives) ?? preset.HardNegativeBeta) is { } beta and not 0 ? new HardNegativeOptions { Beta = beta } : null,
            LogitsKernel = parse.GetValue(Logits),
        };
        var reverse = parse.GetValue(ReverseHistory) || (parse.GetValue(HistoryOrder) is { } order ? order == Cli.HistoryOrder.MostRecentFirst : recipe.ReverseHistory);
        var saFlavor = parse.GetValue(SaFlavor) ?? (preset.Kind.OptionsType == typeof(SelfAttentiveOptions) ? recipe.SaFlavor : "comirec");
        return new TrainSpec(modelName, preset, recipe, parse.GetValue(Interests) ?? recipe.Interests, parse.GetValue(Dimension), saFlavor,
            parse.GetValue(Init) ?? recipe.Init, reverse, options, parse.GetResult(MaxSteps) is { Implicit: false }, parse.GetValue(Device)!)
        {
            AttentionGradient = parse.GetValue(RoutingAttention),
        };
    }

    private BackwardFlowOptions ReadFlows(ParseResult parse, ModelPreset preset)
    {
        var names = CliOptions.GivenValue(parse, Flows) ?? ParseFlowNames(preset.Flows).Value!;
        var threshold = parse.GetValue(Threshold);
        var kind = threshold is null ? PositiveThreshold.Adaptive : PositiveThreshold.Fixed;
        // Ignored under the adaptive threshold; the library's default keeps the options what they were before.
        var fixedThreshold = threshold ?? new ReContrastOptions().FixedThreshold;
        var average = parse.GetValue(FlowAverage);
        var scaling = parse.GetValue(FlowScale);
        return new BackwardFlowOptions
        {
            Contrast = names.Contains("contrast")
                ? new ReContrastOptions { Weight = parse.GetValue(LambdaContrast), Temperature = parse.GetValue(Tau), Threshold = kind, FixedThreshold = fixedThreshold, Normalization = average }
                : null,
            Attend = names.Contains("attend") ? new ReAttendOptions { Weight = parse.GetValue(LambdaAttend), DetachTarget = parse.GetValue(DetachAttend), Scaling = scaling } : null,
            Construct = names.Contains("construct")
                ? new ReConstructOptions { Weight = parse.GetValue(LambdaConstruct), Threshold = kind, FixedThreshold = fixedThreshold, Normalization = average, Scaling = scaling }
                : null,
            Routing = names.Contains(RoutingRegularizationFlow.FlowName) ? new RoutingRegularizationOptions { Weight = parse.GetValue(LambdaRouting) } : null,
        };
    }

    private static (string[]? Value, string? Error) ParseFlowNames(string text)
    {
        var lower = text.ToLowerInvariant();
        var names = lower == "none" ? [] : lower.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var wrong = names.FirstOrDefault(n => !FlowNames.Contains(n));
        return wrong is null
            ? (names, null)
            : (null, $"option --flows expects none or a comma-separated list of {string.Join(", ", FlowNames)}; '{wrong}' is none of them");
    }

    private static (double? Value, string? Error) ParseThreshold(string text)
    {
        if (text == "adaptive") return (null, null);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t is >= 0 and < 1
            ? (t, null)
            : (null, $"option --threshold expects adaptive or a number in [0, 1), not '{text}'");
    }
}
