using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Re4.Recommenders.BackwardFlows;
using Re4.Recommenders.Data;
using Re4.Recommenders.Evaluation;
using Re4.Recommenders.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Re4.Recommenders.Training;

/// <summary>
/// The training loop of a <see cref="MultiInterestModel"/>: batches from a sampler, the loss from an
/// <see cref="ITrainingObjective"/> (by default <see cref="MultiInterestObjective"/>: the main loss and the backward
/// flows), Adam, validation every N steps with early stopping on a validation metric, the best model kept in memory and,
/// when asked, in a run folder (written by the run's checkpointer, with a resume state), and the test users evaluated once
/// at the end with the selected model.
/// </summary>
/// <remarks>
/// Deterministic for a seed on CPU: the weights come from torch's generator seeded here, the batches and negatives from
/// the library's own generators, and a resumed run continues on exactly the batches an uninterrupted one would see.
/// torch's generator is process-wide: code drawing from it on another thread while a trainer is built breaks that.
/// Not thread-safe. Dispose to free the model's and optimizer's native memory.
/// </remarks>
public sealed partial class MultiInterestTrainer : IDisposable
{
    /// <summary>The subfolder of <see cref="TrainerOptions.CheckpointDirectory"/> holding the selected model.</summary>
    public const string ModelFolder = "model";

    /// <summary>The subfolder of <see cref="TrainerOptions.CheckpointDirectory"/> holding the latest state, for resuming.</summary>
    public const string ResumeFolder = "resume";

    /// <summary>The key of <see cref="Exception.Data"/> set on the <see cref="InvalidDataException"/> of <see cref="Resume"/>
    /// when the data given are not those the run was trained on (so that a caller can name its data file).</summary>
    public const string DataMismatchKey = "Re4.DataMismatch";

    private readonly DataSplit _split;
    private readonly EvaluationSet _validation;          // the split's validation users, or the spread of TrainerOptions.ValidationUsers
    private readonly TrainerOptions _options;
    private readonly ILogger _logger;
    private readonly Device _device;
    private readonly MultiInterestModel _model;
    private readonly ITrainingObjective _objective;
    private readonly AdamOptimizer _optimizer;
    private readonly ITrainingSampler _sampler;
    private readonly Re4Random _negativeRandom;
    private readonly NegativeSampler? _negatives;
    private readonly NegativeSampling _softmax;          // TrainerOptions.Negatives with Auto resolved for this catalogue
    private readonly ItemUpdateMode _itemUpdates;        // TrainerOptions.ItemUpdates resolved: Dense or Lazy
    private readonly bool _gatherItemRows;               // lazy steps on the batch's rows only (the default objective's)
    private readonly bool _checkTableGradient;           // the table has no gradient of its own, so one appearing is a flow's
    private readonly HistoryGradientScatter? _historyScatter;   // dense CPU steps: the history gather's gradient added by us
    private readonly RunCheckpointer? _checkpointer;
    private readonly IdMap _originalItemIds;
    private readonly ObjectiveModules _objectiveModules;   // optimised and saved with the model
    private readonly StepLossParts _stepParts = new();
    private readonly List<ValidationRecord> _history = new();
    private readonly Dictionary<string, double> _lossSums = new();

    private Dictionary<string, Tensor>? _best;
    private IReadOnlyDictionary<string, double>? _bestValidation;
    private long _step;
    private long _bestStep;
    private double _bestMetric = double.NegativeInfinity;
    private int _validationsWithoutGain;
    private long _lastValidatedStep = -1;
    private long _stepsSinceValidation;
    private double _trainSeconds;
    private double _trainSecondsAtValidation;   // _trainSeconds when the last validation (or the resumed run) began
    private bool _validationCostWarned;
    private TrainingBatch? _lastBatch;   // what EnsureSane encodes (the samplers make a new batch each step: no copy)
    private double? _firstLoss;
    private bool _explosionWarned;
    private DataFingerprint? _fingerprint;

    /// <summary>Trains a model of the registered <paramref name="encoder"/> (e.g. <see cref="Extractors.ComiRecSaDescriptor.EncoderName"/>)
    /// with K = <paramref name="interests"/> and d = <paramref name="dimension"/> (null: <see cref="ModelConfig"/>'s
    /// defaults), everything else default.</summary>
    public MultiInterestTrainer(DataSplit split, string encoder, int? interests = null, int? dimension = null)
        : this(split, DefaultConfig(split, encoder, interests, dimension))
    {
    }

    private static ModelConfig DefaultConfig(DataSplit split, string encoder, int? interests, int? dimension)
    {
        ArgumentNullException.ThrowIfNull(split);
        var defaults = new ModelConfig();
        return new ModelConfig
        {
            Encoder = encoder,
            ItemCount = split.Dataset.ItemCount,
            Interests = interests ?? defaults.Interests,
            Dimension = dimension ?? defaults.Dimension,
            MaxLength = split.MaxLength,
        };
    }

    /// <summary>Trains a model of the given architecture on <paramref name="split"/>.</summary>
    /// <param name="split">Training sequences, validation and test users.</param>
    /// <param name="config">The architecture; its item count must be the data set's and its L at least the split's.</param>
    /// <param name="options">Training options (validated here); null for the defaults.</param>
    /// <param name="logger">Where progress is logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null). CUDA needs the app to reference a CUDA backend of TorchSharp.</param>
    public MultiInterestTrainer(DataSplit split, ModelConfig config, TrainerOptions? options = null, ILogger? logger = null, Device? device = null)
        : this(split, null, config, null, options, logger, device)
    {
    }

    /// <summary>Trains a model you built, e.g. around an extractor of your own (see docs/extending.md). The trainer takes
    /// ownership of it (disposes it). Seed torch's generator before building the model if its initial weights should be
    /// reproducible: the trainer seeds it with <see cref="TrainerOptions.Seed"/> only for what it creates itself.</summary>
    /// <param name="split">Training sequences, validation and test users.</param>
    /// <param name="model">The model; its item count must be the data set's and its L at least the split's.</param>
    /// <param name="options">Training options (validated here); null for the defaults.</param>
    /// <param name="logger">Where progress is logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null); the model is moved there.</param>
    /// <remarks><see cref="Resume"/> rebuilds models from their configuration, so it cannot resume a run of a
    /// model built around an extractor instance whose encoder is not registered.</remarks>
    public MultiInterestTrainer(DataSplit split, MultiInterestModel model, TrainerOptions? options = null, ILogger? logger = null, Device? device = null)
        : this(split, model ?? throw new ArgumentNullException(nameof(model)), model.Config, null, options, logger, device)
    {
    }

    /// <summary>Trains a model you built with an objective of your own, e.g. <see cref="MultiInterestObjective"/> wrapped to
    /// add a term (docs/extending.md, section 4). The trainer takes ownership of the model and of the objective's
    /// modules (disposes them).</summary>
    /// <param name="split">Training sequences, validation and test users.</param>
    /// <param name="model">The model; its item count must be the data set's and its L at least the split's.</param>
    /// <param name="objective">What to minimise. It replaces the default objective, so <paramref name="options"/> must not
    /// name backward flows (<see cref="TrainerOptions.BackwardFlows"/>, <see cref="TrainerOptions.CustomFlows"/>): build
    /// them into the objective.</param>
    /// <param name="options">Training options (validated here); null for the defaults.</param>
    /// <param name="logger">Where progress is logged; null for none.</param>
    /// <param name="device">Where to train (CPU when null); the model and the objective's modules are moved there.</param>
    public MultiInterestTrainer(DataSplit split, MultiInterestModel model, ITrainingObjective objective, TrainerOptions? options = null, ILogger? logger = null,
        Device? device = null)
        : this(split, model ?? throw new ArgumentNullException(nameof(model)), model.Config,
            _ => objective ?? throw new ArgumentNullException(nameof(objective)), options, logger, device)
    {
    }

    private MultiInterestTrainer(DataSplit split, MultiInterestModel? model, ModelConfig config, Func<ModelConfig, ITrainingObjective>? objective,
        TrainerOptions? options, ILogger? logger, Device? device)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(config);
        options ??= new TrainerOptions();
        options.Validate();
        config.Validate();
        if (config.ItemCount != split.Dataset.ItemCount)
            throw new ArgumentException($"The model has {config.ItemCount} items; the data set has {split.Dataset.ItemCount}.", nameof(config));
        if (config.MaxLength < split.MaxLength)
            throw new ArgumentException($"The model takes histories of at most {config.MaxLength} items; the split gives {split.MaxLength}.", nameof(config));
        if (objective is not null && (!options.BackwardFlows.IsEmpty || options.CustomFlows.Count > 0 || options.HardNegatives is not null))
            throw new ArgumentException("With an objective of your own, build the backward flows and hard negatives into it: the options' BackwardFlows, CustomFlows and HardNegatives are the default objective's.", nameof(options));
        _split = split;
        _validation = split.Valid.Spread(options.ResolveValidationUsers(split.Valid.Count));
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _device = device ?? CPU;
        _originalItemIds = split.Dataset.ItemIds;

        // The order of what draws from torch's generator is part of a seeded run: the model, then the objective's modules.
        manual_seed(options.Seed);
        _model = model ?? new MultiInterestModel(config);
        _objective = objective is null ? new MultiInterestObjective(config, options.BackwardFlows, options.CustomFlows, options.HardNegatives) : objective(config);
        _objectiveModules = new ObjectiveModules(_objective.Modules);
        _model.to(_device);
        _model.train();
        _objectiveModules.to(_device);
        _objectiveModules.train();
        // The library's Adam, not TorchSharp's: TorchSharp 0.107's step() hands libtorch Scalars that a GC can free mid-call.
        // Lazy: the item table is updated row-sparse, only the rows each batch used (TrainerOptions.ItemUpdates).
        _itemUpdates = options.ResolveItemUpdates(config.ItemCount);
        // Lazy is never resolved for a full softmax (every row has a gradient), whose loss indexes the whole table.
        _gatherItemRows = _itemUpdates == ItemUpdateMode.Lazy && objective is null;
        using (NewDisposeScope())
        {
            _checkTableGradient = _gatherItemRows && _model.ItemEmbeddings.grad is null;   // a model trained before may have one
            // Dense steps of the default objective on the CPU add the history's gradient to the table themselves (the same
            // floats as libtorch's embedding backward, without its passes over the whole table); LogitsKernel.Torch keeps
            // libtorch's own path throughout.
            var table = _model.ItemEmbeddings;
            if (options.TrainerAddsHistoryGradient && _itemUpdates == ItemUpdateMode.Dense && objective is null && options.LogitsKernel == LogitsKernel.Managed
                && table.requires_grad && HistoryGradientScatter.Supports(table))
                _historyScatter = new HistoryGradientScatter(table.shape[0]);
        }
        _optimizer = new AdamOptimizer(_model.parameters().Concat(_objectiveModules.parameters()), options.LearningRate, weightDecay: options.WeightDecay,
            rowSparseIndex: _itemUpdates == ItemUpdateMode.Lazy ? ItemTableIndex(_model) : -1)
        {
            // LogitsKernel.Torch is libtorch's arithmetic throughout the step, so earlier builds' seeded runs stay reachable.
            UseKernel = options.LogitsKernel == LogitsKernel.Managed,
        };
        ITrainingSampler sampler = options.Sampler == TrainingSamplerKind.RandomCut
            ? new RandomCutSampler(split, options.BatchSize, options.Seed, reverseHistory: config.ReverseHistory)
            : new EveryPrefixSampler(split, options.BatchSize, options.Seed, reverseHistory: config.ReverseHistory);
        _sampler = options.PrefetchBatches > 0 ? new PrefetchingSampler(sampler, options.PrefetchBatches) : sampler;
        _negativeRandom = new Re4Random(options.Seed ^ 0x5EED_0F_4E6L);
        _softmax = options.ResolveNegatives(config.ItemCount);   // Auto: full softmax up to the item limit, log-uniform beyond
        if (_softmax != NegativeSampling.Full)
            _negatives = new NegativeSampler(_softmax, config.ItemCount, options.ResolvedNegativeCount, _negativeRandom);
        if (options.CheckpointDirectory is { } dir) _checkpointer = new RunCheckpointer(dir);
    }

    /// <summary>Whether this trainer's steps add the history's gradient to the table themselves (see
    /// <see cref="HistoryGradientScatter"/>).</summary>
    internal bool AddsHistoryGradient => _historyScatter is not null;

    /// <summary>The model being trained (after <see cref="Fit"/>: the selected one).</summary>
    public MultiInterestModel Model => _model;

    /// <summary>What the trainer minimises.</summary>
    public ITrainingObjective Objective => _objective;

    /// <summary>The backward flows added to the main loss, with their weights (the objective's).</summary>
    public IReadOnlyList<WeightedBackwardFlow> Flows => _objective.Flows;

    /// <summary>The softmax this run trains with: <see cref="TrainerOptions.Negatives"/>, with
    /// <see cref="NegativeSampling.Auto"/> resolved for the catalogue (<see cref="TrainerOptions.ResolveNegatives"/>).</summary>
    public NegativeSampling Softmax => _softmax;

    /// <summary>How this run updates the item table: <see cref="TrainerOptions.ItemUpdates"/> resolved for the catalogue
    /// (<see cref="TrainerOptions.ResolveItemUpdates"/>), never <see cref="ItemUpdateMode.Auto"/>.</summary>
    public ItemUpdateMode ItemUpdates => _itemUpdates;

    /// <summary>How many validation users each validation evaluates: all of the split's, or
    /// <see cref="TrainerOptions.ValidationUsers"/> of them when that is fewer.</summary>
    public int ValidationUserCount => _validation.Count;

    /// <summary>Whether Adam runs its one-pass kernel (<see cref="LogitsKernel.Managed"/>) rather than libtorch's operations.</summary>
    internal bool OptimizerUsesKernel => _optimizer.UseKernel;

    /// <summary>Steps taken so far.</summary>
    public long Step => _step;

    /// <summary>Runs the loop until a stop condition, then restores the best model and evaluates the test users.</summary>
    /// <exception cref="TrainingDivergedException">A loss became NaN or infinite, or the weights after an update did (or
    /// give non-finite scores). Checked before every validation, so nothing diverged is ever kept, snapshotted or saved;
    /// the message names the last good checkpoint.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between steps (the last checkpoint, if any, is intact).</exception>
    public TrainingResult Fit(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        StopReason reason;
        var clock = new Stopwatch();
        var parts = new Dictionary<string, double>();
        if (_logger.IsEnabled(LogLevel.Information))
        {
            TrainerLog.TrainingStarted(_logger, _model.Config.Encoder, _model.Config.EffectiveInterests, _model.Config.Dimension, _split.TrainCount, _model.Config.ItemCount,
                _options.BatchSize, _options.LearningRate, SoftmaxDescription(),
                string.Join(", ", Flows.Select(f => $"{f.Flow.Name} x{f.Weight}")), _device.ToString());
            if (_validation != _split.Valid) TrainerLog.ValidationSample(_logger, _validation.Count, _split.Valid.Count);
        }
        while (true)
        {
            if (StoppedEarly) { reason = StopReason.EarlyStopping; break; }
            if (_step >= _options.MaxSteps) { reason = StopReason.MaxSteps; break; }
            if (_options.MaxEpochs is { } epochs && _sampler.Epoch >= epochs) { reason = StopReason.MaxEpochs; break; }
            if (_options.MaxDuration is { } limit && _trainSeconds >= limit.TotalSeconds) { reason = StopReason.MaxDuration; break; }
            cancellationToken.ThrowIfCancellationRequested();

            var loss = NextStep(clock, parts);

            var validated = _step % _options.EvaluateEvery == 0;
            if (validated) Validate();
            progress?.Report(new TrainingProgress(_step, _options.MaxSteps, _sampler.Epoch, loss, new Dictionary<string, double>(parts),
                SamplesPerSecond, _history.Count > 0 ? _history[^1].Metrics : null, _bestStep, validated));
            if (validated && _validationsWithoutGain >= _options.Patience) { reason = StopReason.EarlyStopping; break; }
        }

        if (_lastValidatedStep != _step) Validate();
        TrainerLog.TrainingStopped(_logger, reason.ToIdentifier(), _step, _options.SelectionMetric, _bestMetric, _bestStep);
        RestoreBest();
        var test = _split.Test.Count > 0 ? Evaluate(_split.Test) : null;
        return new TrainingResult(_step, _bestStep, reason, _trainSeconds, SamplesPerSecond, _bestValidation!, test?.Metrics, _history.ToArray());
    }

    /// <summary>Whether the run already stopped early (a resumed one): its last validation was a scheduled one and spent
    /// the patience, which ends the loop there. The validation after the last step of a run stopped by a limit is not
    /// scheduled: its count does not end a resumed run (uninterrupted, the run would not have validated there).</summary>
    private bool StoppedEarly =>
        _validationsWithoutGain >= _options.Patience && _step > 0 && _lastValidatedStep == _step && _step % _options.EvaluateEvery == 0;

    /// <summary>The softmax for the start line; an automatic choice says why it was made.</summary>
    private string SoftmaxDescription()
    {
        var kind = _softmax == NegativeSampling.Full ? "full softmax" : $"{_options.ResolvedNegativeCount} {_softmax}";
        if (_options.Negatives != NegativeSampling.Auto) return kind;
        var rule = _softmax == NegativeSampling.Full ? "≤" : ">";
        return string.Create(CultureInfo.InvariantCulture, $"{kind} (auto: {_model.Config.ItemCount} items {rule} {_options.FullSoftmaxItemLimit})");
    }

    /// <summary>Evaluates the current model on a set of users.</summary>
    public EvaluationResult Evaluate(EvaluationSet users, bool keepRecommendations = false)
    {
        ArgumentNullException.ThrowIfNull(users);
        using var recommender = new MultiInterestRecommender(_model, _model.Config.Encoder);
        return RetrievalEvaluator.Evaluate(recommender, users, new EvaluationOptions
        {
            Cutoffs = _options.Cutoffs,
            BatchSize = _options.EvaluationBatchSize,
            ExcludeHistory = _options.ExcludeHistory,
            KeepRecommendations = keepRecommendations,
        });
    }

    /// <summary>Draws the next batch, trains on it and does the step's bookkeeping (the loop's body, less validation).
    /// The training time excludes the draw, as it always has.</summary>
    private double NextStep(Stopwatch clock, Dictionary<string, double> parts)
    {
        var batch = _sampler.Next();
        StepProfiler.Mark(StepPhase.Sampling);
        clock.Restart();
        double loss;
        try
        {
            loss = TrainStep(batch, parts);
        }
        catch (TrainingDivergedException e)
        {
            throw Diverged(e.Step, e.Part, e.Value, $"the {e.Part} loss is {e.Value.ToString(CultureInfo.InvariantCulture)}");
        }

        _trainSeconds += clock.Elapsed.TotalSeconds;
        _step++;
        WarnIfExploding(loss);
        _stepsSinceValidation++;
        foreach (var (name, value) in parts) _lossSums[name] = _lossSums.GetValueOrDefault(name) + value;
        return loss;
    }

    private double SamplesPerSecond => _trainSeconds > 0 ? _step * (double)_options.BatchSize / _trainSeconds : 0;

    /// <summary>One step: draw the batch's negatives, encode it, ask the objective for the loss, take Adam's step.</summary>
    private double TrainStep(TrainingBatch batch, Dictionary<string, double> parts)
    {
        using var scope = NewDisposeScope();
        var historyIds = Array.ConvertAll(batch.Histories, x => (long)x);
        var targetIds = Array.ConvertAll(batch.Targets, x => (long)x);
        // The negatives come from the trainer's own generator, not torch's: drawing them before encoding changes no draw.
        Tensor? logQ = null, targetLogQ = null;
        long[]? negativeIds = null;
        if (_negatives is not null)
        {
            var (ids, negativeLogQ, targetsLogQ) = _negatives.Sample(batch.Targets);
            negativeIds = ids;
            logQ = negativeLogQ is null ? null : tensor(negativeLogQ, device: _device);                                            // [S]
            targetLogQ = targetsLogQ is null ? null : tensor(targetsLogQ, device: _device);                                        // [B]
        }

        // Lazy steps of the default objective run on the rows the batch uses, gathered into a leaf table of their own,
        // with the ids renumbered into it: backward then never builds the [N + 1, d] gradient of the whole table.
        var rows = _gatherItemRows ? StepItemRows.Gather(_model.ItemEmbeddings, historyIds, targetIds, negativeIds, _device) : null;
        var histories = tensor(historyIds, [batch.Size, batch.MaxLength], device: _device);                                        // [B, L]
        var targets = tensor(targetIds, device: _device);                                                                          // [B]
        var negatives = negativeIds is null ? null : tensor(negativeIds, device: _device);                                         // [S]
        StepProfiler.Mark(StepPhase.Batch);
        // Checked each step: a table frozen after construction (requires_grad off) must get no gradient, as through the gather.
        var scatter = _historyScatter is not null && _model.ItemEmbeddings.requires_grad ? _historyScatter : null;
        var (output, x, mask) = _model.Encode(histories, rows?.Table, historyAsLeaf: scatter is not null);

        _stepParts.Begin(_step + 1);
        var context = new TrainingStepContext(_model, output, x, mask, targets, negatives, logQ, targetLogQ, rows?.Table) { LogitsKernel = _options.LogitsKernel };
        var total = _objective.ComputeLoss(context, _stepParts);
        var totalValue = _stepParts.AddTotal(total);
        parts.Clear();
        foreach (var (name, value) in _stepParts.Values) parts[name] = value;
        StepProfiler.Mark(StepPhase.Objective);
        // The table's gradient is dropped rather than zeroed: backward then hands the logits' fresh dE over as the gradient
        // (no fill, no add of the whole table), and the history's rows are added to it below. Every step's loss reads the
        // table, so Adam still updates it each step as with a zeroed gradient.
        if (scatter is not null) _model.ItemEmbeddings.grad = null;
        _optimizer.ZeroGrad();
        total.backward();
        if (scatter is not null) AddHistoryGradient(scatter, historyIds, x);
        StepProfiler.Mark(StepPhase.Backward);
        if (rows is not null)
        {
            // Only the gathered rows are updated: a gradient that reached the table itself (a flow holding the model) would
            // be dropped without a word.
            if (_checkTableGradient && _model.ItemEmbeddings.grad is not null)
                throw new InvalidOperationException("A lazy step's loss reached the item table itself: with ItemUpdates = Lazy the default objective trains the rows the batch gathered, so a backward flow must read item embeddings from its context (BackwardFlowContext.History), not from the model. Use ItemUpdateMode.Dense for such a flow.");
            _optimizer.StepRows(rows.Ids, rows.Leaf.grad);
        }
        else _optimizer.Step(_itemUpdates == ItemUpdateMode.Lazy ? UsedItemRows(historyIds, targetIds, negativeIds) : null);
        StepProfiler.Mark(StepPhase.Optimizer);
        _lastBatch = batch;
        return totalValue;
    }

    /// <summary>Adds dX, which backward left in the history leaf, to the item table's gradient (see
    /// <see cref="HistoryGradientScatter"/>).</summary>
    private void AddHistoryGradient(HistoryGradientScatter scatter, long[] historyIds, Tensor x)
    {
        var historyGradient = x.grad;
        if (historyGradient is null) return;               // nothing in the loss read the history
        var table = _model.ItemEmbeddings;
        var gradient = table.grad;
        if (gradient is null)
        {
            // Only the history reached the table this step: its gradient starts at zero, as libtorch's embedding backward's.
            using (no_grad()) table.grad = zeros_like(table);
            gradient = table.grad!;
        }
        scatter.Add(gradient, historyIds, historyGradient.contiguous());
    }

    /// <summary>A finite loss far above the first one means the run is blowing up (e.g. a learning rate of 1e15 gives
    /// losses of 1e32 before any NaN): warned once per validation window, since nothing stops it yet.</summary>
    private void WarnIfExploding(double loss)
    {
        const double Factor = 1000;
        _firstLoss ??= Math.Max(Math.Abs(loss), 1);
        if (_explosionWarned || !(Math.Abs(loss) > Factor * _firstLoss.Value)) return;
        _explosionWarned = true;
        TrainerLog.LossExploding(_logger, _step, loss, Factor, _firstLoss.Value);
    }

    /// <summary>
    /// The divergence check of the weights, run before each validation (so before every snapshot and save) rather than
    /// after each step: a step's loss is already checked (it is computed anyway), so weights that an update ruined are
    /// caught by the next step's loss or, at the latest, here, before anything is kept; the per-step cost is nil. Two
    /// checks: every parameter of the model and the objective is finite (one fused reduction), and the last batch's
    /// retrieval interests and the item embeddings have finite norms whose product is a finite float, which bounds every
    /// score ⟨u_k, e_i⟩ (weights of 1e20 are finite, yet every score is infinite and every ranking arbitrary).
    /// </summary>
    private void EnsureSane()
    {
        var bad = WeightChecks.FirstNonFinite(_model) ?? WeightChecks.FirstNonFinite(_objectiveModules);
        if (bad is not null) throw Diverged(_step, "weights", double.NaN, $"the weight '{bad}' is NaN or infinite after the update");
        if (_lastBatch is not { } batch) return;
        double interestNorm, itemNorm;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        using (var rng = get_rng_state())
        {
            // The probe must not shift a seeded run: MIND draws its routing start from torch's generator.
            var wasTraining = _model.training;
            _model.eval();
            try
            {
                var histories = tensor(Array.ConvertAll(batch.Histories, x => (long)x), [batch.Size, batch.MaxLength], device: _device);   // [B, L]
                var (output, _, _) = _model.Encode(histories);
                interestNorm = output.RetrievalInterests.norm(-1).max().cpu().item<float>();      // over [B, K]
                itemNorm = _model.ItemEmbeddings.norm(1).max().cpu().item<float>();               // over [N + 1]
            }
            finally
            {
                _model.train(wasTraining);
                set_rng_state(rng);
            }
        }

        var bound = interestNorm * itemNorm;
        if (!double.IsFinite(bound) || bound > float.MaxValue)
        {
            throw Diverged(_step, "scores", bound,
                string.Create(CultureInfo.InvariantCulture, $"the weights after the update give non-finite scores (largest interest norm {interestNorm:G3}, largest item embedding norm {itemNorm:G3})"));
        }
    }

    /// <summary>The divergence exception, naming the last good checkpoint: the selected model of the best validated step
    /// (in the run folder when there is one) and the resume state of the last validation.</summary>
    private TrainingDivergedException Diverged(long step, string part, double value, string reason)
    {
        string lastGood;
        long? goodStep = _bestValidation is not null ? _bestStep : null;
        string? folder = null;
        if (_checkpointer is null)
        {
            lastGood = goodStep is { } b
                ? $"Nothing was saved (no checkpoint directory); the best model validated before was that of step {b}."
                : "Nothing was saved (no checkpoint directory, no validation yet).";
        }
        else if (goodStep is { } b)
        {
            folder = Path.Combine(_checkpointer.Directory, ModelFolder);
            lastGood = $"The last good checkpoint is the model of step {b} in {folder}; {Path.Combine(_checkpointer.Directory, ResumeFolder)} resumes from step {_lastValidatedStep}. Nothing after step {_lastValidatedStep} was saved.";
        }
        else
        {
            lastGood = $"No checkpoint was saved: the run diverged before its first validation ({_checkpointer.Directory} holds no model of it).";
        }

        return new TrainingDivergedException(step, part, value, reason, goodStep, folder, lastGood);
    }

    /// <summary>Validation sets above this many users whose validation costs more than
    /// <see cref="ValidationCostFactor"/> times the steps before it get a one-time warning suggesting a sample of this size.</summary>
    internal const int SuggestedValidationUsers = 10_000;

    /// <summary>How many times the training time since the last validation a scheduled validation may take before the
    /// warning.</summary>
    internal const double ValidationCostFactor = 5;

    private void Validate()
    {
        EnsureSane();
        _explosionWarned = false;
        var stepsSeconds = _trainSeconds - _trainSecondsAtValidation;
        var validationClock = Stopwatch.StartNew();
        var result = Evaluate(_validation);
        var validationSeconds = validationClock.Elapsed.TotalSeconds;
        _trainSecondsAtValidation = _trainSeconds;
        // Once per run, and only at a scheduled validation (the one after a run's last step may follow few steps).
        if (!_validationCostWarned && _validation.Count > SuggestedValidationUsers && _step % _options.EvaluateEvery == 0
            && validationSeconds > ValidationCostFactor * stepsSeconds)
        {
            _validationCostWarned = true;
            TrainerLog.ValidationCostly(_logger, _validation.Count, validationSeconds, stepsSeconds, _stepsSinceValidation, SuggestedValidationUsers);
        }

        var metric = result[_options.SelectionMetric];
        var lossParts = _lossSums.ToDictionary(p => p.Key, p => p.Value / Math.Max(1, _stepsSinceValidation));
        var meanLoss = lossParts.GetValueOrDefault(StepLossParts.Total);
        _history.Add(new ValidationRecord(_step, meanLoss, lossParts, result.Metrics));
        _lossSums.Clear();
        _stepsSinceValidation = 0;
        _lastValidatedStep = _step;
        var improved = metric > _bestMetric;
        if (improved)
        {
            _bestMetric = metric;
            _bestStep = _step;
            _bestValidation = result.Metrics;
            _validationsWithoutGain = 0;
            Snapshot();
        }
        else
        {
            _validationsWithoutGain++;
        }

        TrainerLog.Validated(_logger, _step, meanLoss, _options.SelectionMetric, metric, improved ? " *" : string.Empty, _bestMetric, _bestStep, SamplesPerSecond);
        if (_checkpointer is not null)
        {
            if (improved) _checkpointer.SaveModel(_model, _originalItemIds);
            _checkpointer.SaveResume(_model, _objectiveModules, _optimizer, CaptureState());
        }
    }

    private ResumeState CaptureState() => new()
    {
        Step = _step,
        BestStep = _bestStep,
        BestMetric = _bestMetric,
        ValidationsWithoutGain = _validationsWithoutGain,
        TrainSeconds = _trainSeconds,
        NegativeRandom = _negativeRandom.State.Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray(),
        Sampler = _sampler.State,
        Config = _model.Config,
        Options = _options,
        History = _history.ToList(),
        Data = _fingerprint ??= DataFingerprint.Of(_split),
    };

    private void Snapshot()
    {
        DisposeBest();
        using var noGrad = no_grad();
        _best = ModuleState.Clone(_model);
    }

    private void RestoreBest()
    {
        if (_best is null) return;
        using var noGrad = no_grad();
        _model.load_state_dict(_best);
    }

    private void DisposeBest()
    {
        if (_best is null) return;
        foreach (var t in _best.Values) t.Dispose();
        _best = null;
    }

    /// <summary>The architecture and options the run in <paramref name="checkpointDirectory"/> was started with, read from
    /// its resume state without building anything: to check, before any training, that resuming it continues the
    /// intended run. Like <see cref="Resume"/>, it first repairs what an interrupted save left in the directory, so it
    /// must not run while another process is still training there.</summary>
    /// <param name="checkpointDirectory">A run's checkpoint directory.</param>
    /// <param name="split">When given, the run's data are checked against it as <see cref="Resume"/> checks them.</param>
    /// <exception cref="InvalidDataException">No resume state, a damaged one, or (with <paramref name="split"/>) one trained
    /// on other data (as for <see cref="Resume"/>).</exception>
    public static (ModelConfig Config, TrainerOptions Options) ReadResumeDefinition(string checkpointDirectory, DataSplit? split = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDirectory);
        var (_, state) = ReadCheckedState(checkpointDirectory, split);
        return (state.Config!, state.Options!);
    }

    /// <summary>The run's resume state, read and checked (and its data against <paramref name="split"/> when given).</summary>
    private static (RunCheckpointer Checkpointer, ResumeState State) ReadCheckedState(string checkpointDirectory, DataSplit? split)
    {
        var checkpointer = new RunCheckpointer(checkpointDirectory);
        var state = checkpointer.ReadState();
        if (split is not null) checkpointer.CheckData(state, split);
        return (checkpointer, state);
    }

    /// <summary>Whether <paramref name="checkpointDirectory"/> holds a run's resume state, after repairing what an
    /// interrupted save left there (a resume state moved aside by a crash between its two renames counts).</summary>
    /// <param name="checkpointDirectory">A run's checkpoint directory (it need not exist).</param>
    public static bool HasResumeState(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDirectory);
        var resume = Path.Combine(checkpointDirectory, ResumeFolder);
        AtomicDirectoryWriter.Recover(resume);
        return File.Exists(Path.Combine(resume, RunCheckpointer.StateFile));
    }

    /// <summary>Resumes a run from <paramref name="checkpointDirectory"/> (a <see cref="TrainerOptions.CheckpointDirectory"/> written
    /// by an earlier run): weights, Adam's state, the random generators, the sampler position, the best model and the
    /// early-stopping counters, so that training continues exactly as if never interrupted. The cost does not depend on
    /// the step reached: the samplers' states are stored, not replayed.</summary>
    /// <param name="checkpointDirectory">The earlier run's checkpoint directory.</param>
    /// <param name="split">The same split the run used (same data, protocol and seed).</param>
    /// <param name="maxSteps">A new step limit (e.g. to train longer); null keeps the saved one.</param>
    /// <param name="logger">Where progress is logged.</param>
    /// <param name="device">Where to continue.</param>
    /// <param name="customFlows">The run's custom flows, if it had any (they are not saved in the state).</param>
    /// <param name="objective">Builds the run's objective of your own from the model configuration, if it had one
    /// (objectives are not saved in the state; their modules' weights are).</param>
    /// <exception cref="InvalidDataException">The directory holds no resume state, a damaged or truncated one (its manifest's
    /// checksums differ, a file is short), one from an earlier format that cannot be resumed, or one trained on other data
    /// than <paramref name="split"/>'s (with <see cref="DataMismatchKey"/> in its <see cref="Exception.Data"/>). The message
    /// names the file. Leftovers of a save interrupted by a crash are recovered first.</exception>
    public static MultiInterestTrainer Resume(string checkpointDirectory, DataSplit split, long? maxSteps = null, ILogger? logger = null, Device? device = null,
        IReadOnlyList<WeightedBackwardFlow>? customFlows = null, Func<ModelConfig, ITrainingObjective>? objective = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDirectory);
        ArgumentNullException.ThrowIfNull(split);
        var (checkpointer, state) = ReadCheckedState(checkpointDirectory, split);
        var options = state.Options!;
        options.CheckpointDirectory = checkpointDirectory;
        if (maxSteps is { } m) options.MaxSteps = m;
        if (customFlows is not null) options.CustomFlows = customFlows;
        var trainer = new MultiInterestTrainer(split, null, state.Config!, objective, options, logger, device);
        trainer.LoadResumeState(checkpointer, state);
        return trainer;
    }

    private void LoadResumeState(RunCheckpointer checkpointer, ResumeState state)
    {
        checkpointer.LoadResume(_model, _objectiveModules, _optimizer);
        _negativeRandom.State = state.NegativeRandom!.Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        _sampler.State = state.Sampler!;
        _step = state.Step;
        _bestStep = state.BestStep;
        _bestMetric = state.BestMetric;
        _validationsWithoutGain = state.ValidationsWithoutGain;
        _trainSeconds = state.TrainSeconds;
        _trainSecondsAtValidation = state.TrainSeconds;
        _lastValidatedStep = state.Step;
        _history.AddRange(state.History ?? []);
        _bestValidation = _history.FirstOrDefault(h => h.Step == _bestStep)?.Metrics;
        if (checkpointer.LoadSelectedState(_model.Config, _device) is { } best)
        {
            DisposeBest();
            _best = best;
        }

        // Last: building the selected model above draws initial weights from torch's generator.
        checkpointer.LoadTorchRandom();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        DisposeBest();
        (_sampler as IDisposable)?.Dispose();
        _objectiveModules.Dispose();
        _optimizer.Dispose();
        _model.Dispose();
    }
}
