using System.Text.Json.Serialization;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Evaluation;

namespace Re4.Recommenders.Training;

/// <summary>Options of the multi-interest trainer. Since 0.3 the defaults are the recipe measured best on validation users
/// (docs/reproduction.md): every prefix of every training user (<see cref="TrainingSamplerKind.EveryPrefix"/>) and the
/// softmax chosen by catalogue size (<see cref="NegativeSampling.Auto"/>); with <see cref="Models.ModelConfig.ReverseHistory"/>
/// (most recent item first, also the default) that is the library's default recipe. <see cref="ComiRec"/> gives ComiRec's
/// reference setup (Cen et al., KDD 2020, and its code), the defaults before 0.3. Each default is declared once, as the
/// property's initialiser, so <c>new TrainerOptions()</c> is the way to read them. Serialisable with System.Text.Json (a
/// run's resume state stores them); what is not data is not serialised.</summary>
public sealed class TrainerOptions
{
    /// <summary>B (default 128).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Adam's learning rate (default 0.001; ComiRec-DR used 0.005, Re4 0.003).</summary>
    public double LearningRate { get; set; } = 0.001;

    /// <summary>Adam's L2 weight decay (default 0; Re4 reference 1e-6).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Softmax approximation (default <see cref="NegativeSampling.Auto"/>: full softmax up to
    /// <see cref="FullSoftmaxItemLimit"/> items, log-uniform beyond; before 0.3 log-uniform, ComiRec's).</summary>
    public NegativeSampling Negatives { get; set; } = NegativeSampling.Auto;

    /// <summary>The largest catalogue <see cref="NegativeSampling.Auto"/> trains with a full softmax (default 50,000
    /// items: at batch 128 the logits of one step are 128 × 50,001 floats, about 24 MiB, and a step costs about as much as
    /// 40 sampled steps of 10·B negatives, which the better gradient repays on the catalogues measured, Beauty's 12,101
    /// and Sports' 18,357 items).</summary>
    public int FullSoftmaxItemLimit { get; set; } = DefaultFullSoftmaxItemLimit;

    /// <summary>The default of <see cref="FullSoftmaxItemLimit"/>.</summary>
    public const int DefaultFullSoftmaxItemLimit = 50_000;

    /// <summary>How Adam updates the item embedding table (default <see cref="ItemUpdateMode.Auto"/>: row-sparse
    /// <see cref="ItemUpdateMode.Lazy"/> updates at catalogue scale, dense below; <see cref="ResolveItemUpdates"/>).</summary>
    public ItemUpdateMode ItemUpdates { get; set; } = ItemUpdateMode.Auto;

    /// <summary>Negatives per batch; null means 10·B for log-uniform and 5000 for uniform.</summary>
    public int? NegativeCount { get; set; }

    /// <summary>The training sampler (default every prefix, the Re4 reference code's; before 0.3 ComiRec's random cut).</summary>
    public TrainingSamplerKind Sampler { get; set; } = TrainingSamplerKind.EveryPrefix;

    /// <summary>Stop after this many steps (default 1,000,000, ComiRec's cap).</summary>
    public long MaxSteps { get; set; } = 1_000_000;

    /// <summary>Stop after this many epochs (sampler epochs); null for no limit.</summary>
    public int? MaxEpochs { get; set; }

    /// <summary>Stop after this much training time; null for no limit. Not deterministic: prefer steps for experiments.</summary>
    public TimeSpan? MaxDuration { get; set; }

    /// <summary>Validate every N steps (default 1000).</summary>
    public int EvaluateEvery { get; set; } = 1000;

    /// <summary>Stop after this many validations without a gain in <see cref="SelectionMetric"/> (default 50, ComiRec).</summary>
    public int Patience { get; set; } = 50;

    /// <summary>The validation metric that selects the checkpoint (default <c>recall@50</c>).</summary>
    public string SelectionMetric { get; set; } = "recall@50";

    /// <summary>The seed of the weights, the sampler and the negatives (default 2022).</summary>
    public int Seed { get; set; } = 2022;

    /// <summary>Validate on this many of the validation users instead of all of them (default null: all, ComiRec's protocol).
    /// The users are spread evenly through the validation set, the same ones for every run on a split, whatever its
    /// seed. At catalogue scale an exact validation of every user costs far more than the steps between two validations
    /// (docs/benchmarks.md, "Catalogue scale"); a sample of n users estimates the full set's recall with a standard error
    /// that shrinks as 1/√n. Test users are always evaluated in full.</summary>
    public int? ValidationUsers { get; set; }

    /// <summary>Validation users per batch (default 256).</summary>
    public int EvaluationBatchSize { get; set; } = 256;

    /// <summary>Filter history items from the candidates during evaluation (default false, as ComiRec).</summary>
    public bool ExcludeHistory { get; set; }

    /// <summary>Cutoffs evaluated (default 20 and 50).</summary>
    public IReadOnlyList<int> Cutoffs { get; set; } = new[] { 20, 50 };

    /// <summary>Re4's backward flows added to the main loss (default none: plain ComiRec training).</summary>
    public BackwardFlowOptions BackwardFlows { get; set; } = new();

    /// <summary>REMI's interest-aware hard negatives in the main loss (docs/remi.md, "IHN"); null (the default) for the plain
    /// softmax.</summary>
    public HardNegativeOptions? HardNegatives { get; set; }

    /// <summary>Further flows of your own, each with its weight λ. A flow that is a TorchSharp module has its parameters
    /// optimised with the model. They are not recorded in the resume state: pass them again to
    /// <see cref="MultiInterestTrainer.Resume"/>. Not serialised.</summary>
    [JsonIgnore]
    public IReadOnlyList<WeightedBackwardFlow> CustomFlows { get; set; } = Array.Empty<WeightedBackwardFlow>();

    /// <summary>Where the best model and the resume state are written at each validation; null keeps them in memory only.
    /// Not serialised (a run folder does not record where it lies).</summary>
    [JsonIgnore]
    public string? CheckpointDirectory { get; set; }

    /// <summary>Which code computes the main loss's logits U·Eᵀ and their gradients, and Adam's update (default
    /// <see cref="LogitsKernel.Managed"/>: the library's SIMD kernels, with the full softmax's cross-entropy fused in, Adam
    /// in one pass and re-construct's weighted error in one function, for CPU float32 tensors on AVX-512 machines; others fall back to libtorch). <see cref="LogitsKernel.Torch"/>
    /// is libtorch's operations throughout, the arithmetic of earlier builds bit for bit; the two are exact to float rounding
    /// against each other but not bit-identical. A resumed run keeps the kernel it started with.</summary>
    public LogitsKernel LogitsKernel { get; set; } = LogitsKernel.Managed;

    /// <summary>Whether dense CPU steps of the default objective add the history gather's gradient to the item table in the
    /// trainer (<see cref="HistoryGradientScatter"/>, the default) rather than through libtorch's embedding backward. The
    /// same floats either way; tests switch it off to compare.</summary>
    [JsonIgnore]
    internal bool TrainerAddsHistoryGradient { get; set; } = true;

    /// <summary>The largest <see cref="PrefetchBatches"/>.</summary>
    public const int MaxPrefetchBatches = 16;

    /// <summary>Batches drawn ahead on a thread of their own while the current step trains (default 2; 0 draws each batch on
    /// the training thread between steps). The batches and their order are the same either way, so seeded results do not
    /// depend on it. Not serialised (it does not define a run).</summary>
    /// <remarks>At most <see cref="MaxPrefetchBatches"/>: each queued batch holds B·L ids.</remarks>
    [JsonIgnore]
    public int PrefetchBatches { get; set; } = 2;
    /// <summary>ComiRec's reference training setup, the defaults before 0.3: the random-cut sampler and 10·B log-uniform
    /// negatives with the logQ correction (pair it with <see cref="Models.ModelConfig.ReverseHistory"/> false, oldest item
    /// first). Every other option is the default.</summary>
    public static TrainerOptions ComiRec() => new() { Sampler = TrainingSamplerKind.RandomCut, Negatives = NegativeSampling.LogUniform };

    /// <summary>The softmax a catalogue of <paramref name="itemCount"/> items is trained with: <see cref="Negatives"/>
    /// itself unless it is <see cref="NegativeSampling.Auto"/>, which resolves to <see cref="NegativeSampling.Full"/> up to
    /// <see cref="FullSoftmaxItemLimit"/> items and to <see cref="NegativeSampling.LogUniform"/> beyond.</summary>
    public NegativeSampling ResolveNegatives(int itemCount) => Negatives != NegativeSampling.Auto
        ? Negatives
        : itemCount <= FullSoftmaxItemLimit ? NegativeSampling.Full : NegativeSampling.LogUniform;

    /// <summary>How a catalogue of <paramref name="itemCount"/> items has its item table updated: always
    /// <see cref="ItemUpdateMode.Dense"/> with a full softmax (<see cref="ResolveNegatives"/>; every row has a gradient);
    /// otherwise <see cref="ItemUpdates"/> itself unless it is <see cref="ItemUpdateMode.Auto"/>, which resolves to
    /// <see cref="ItemUpdateMode.Lazy"/> above <see cref="FullSoftmaxItemLimit"/> items and to
    /// <see cref="ItemUpdateMode.Dense"/> up to it.</summary>
    public ItemUpdateMode ResolveItemUpdates(int itemCount)
    {
        if (ResolveNegatives(itemCount) == NegativeSampling.Full) return ItemUpdateMode.Dense;
        if (ItemUpdates != ItemUpdateMode.Auto) return ItemUpdates;
        return itemCount > FullSoftmaxItemLimit ? ItemUpdateMode.Lazy : ItemUpdateMode.Dense;
    }

    /// <summary>How many of <paramref name="validationUsers"/> validation users each validation evaluates:
    /// <see cref="ValidationUsers"/> when it is fewer, all of them otherwise.</summary>
    public int ResolveValidationUsers(int validationUsers) => Math.Min(ValidationUsers ?? validationUsers, validationUsers);

    /// <summary>The documented rule for a null <see cref="NegativeCount"/>: 10·B log-uniform (ComiRec), 5000 uniform (Re4 code).</summary>
    internal int ResolvedNegativeCount => NegativeCount ?? (Negatives == NegativeSampling.Uniform ? 5000 : 10 * BatchSize);

    /// <summary>Checks every option against the trainer's rules (the trainer's constructors call it; a front end such as
    /// the command line calls it before loading any data, so that a bad option fails at once).</summary>
    /// <exception cref="ArgumentException">An option is out of range; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public void Validate()
    {
        OptionChecks.Positive(BatchSize, nameof(BatchSize));
        OptionChecks.PositiveFactor(LearningRate, nameof(LearningRate));
        OptionChecks.NonNegativeFinite(WeightDecay, nameof(WeightDecay));
        if (!Enum.IsDefined(Negatives)) throw new ArgumentOutOfRangeException(nameof(Negatives), Negatives, "Unknown softmax approximation.");
        OptionChecks.Positive(FullSoftmaxItemLimit, nameof(FullSoftmaxItemLimit));
        if (!Enum.IsDefined(ItemUpdates)) throw new ArgumentOutOfRangeException(nameof(ItemUpdates), ItemUpdates, "Unknown item update mode.");
        if (NegativeCount is { } n && n <= 0) throw new ArgumentOutOfRangeException(nameof(NegativeCount), n, "NegativeCount must be positive.");
        if (MaxSteps <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be positive.");
        if (MaxEpochs is { } e && e <= 0) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), e, "MaxEpochs must be positive.");
        if (MaxDuration is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxDuration), t, "MaxDuration must be positive.");
        OptionChecks.Positive(EvaluateEvery, nameof(EvaluateEvery));
        OptionChecks.Positive(Patience, nameof(Patience));
        if (ValidationUsers is { } users && users <= 0)
            throw new ArgumentOutOfRangeException(nameof(ValidationUsers), users, "ValidationUsers must be positive (null validates every user).");
        OptionChecks.Positive(EvaluationBatchSize, nameof(EvaluationBatchSize));
        if (PrefetchBatches is < 0 or > MaxPrefetchBatches)
            throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), PrefetchBatches, $"PrefetchBatches must be in [0, {MaxPrefetchBatches}].");
        if (!Enum.IsDefined(LogitsKernel)) throw new ArgumentOutOfRangeException(nameof(LogitsKernel), LogitsKernel, "Unknown logits kernel.");
        if (Cutoffs is null || Cutoffs.Count == 0 || Cutoffs.Any(c => c <= 0)) throw new ArgumentException("Cutoffs must be positive and not empty.", nameof(Cutoffs));
        if (BackwardFlows is null) throw new ArgumentNullException(nameof(BackwardFlows));
        BackwardFlows.Validate();
        if (HardNegatives is not null)
        {
            try
            {
                HardNegatives.Validate();
            }
            catch (ArgumentOutOfRangeException problem)
            {
                throw new ArgumentOutOfRangeException($"{nameof(HardNegatives)}.{problem.ParamName}", problem.ActualValue, $"{nameof(HardNegatives)}.{OptionChecks.Reason(problem)}");
            }
        }

        ValidateCustomFlows(CustomFlows, nameof(CustomFlows));

        var known = Cutoffs.SelectMany(MetricNames.All).ToHashSet();
        if (!known.Contains(SelectionMetric))
            throw new ArgumentException($"SelectionMetric '{SelectionMetric}' is not computed; choose one of {string.Join(", ", known)}.", nameof(SelectionMetric));
    }

    internal static void ValidateCustomFlows(IReadOnlyList<WeightedBackwardFlow> flows, string parameterName)
    {
        if (flows is null) throw new ArgumentNullException(parameterName);
        foreach (var f in flows)
        {
            if (f?.Flow is null) throw new ArgumentException("A custom flow is null.", parameterName);
            if (!(f.Weight >= 0) || double.IsInfinity(f.Weight)) throw new ArgumentOutOfRangeException(parameterName, f.Weight, $"The weight of flow '{f.Flow.Name}' must be a non-negative finite number.");
        }
    }
}
