using TorchSharp;
using TorchSharp.Modules;
using Re4.Recommenders.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Models;

/// <summary>
/// An item embedding table (ids 1..N, row 0 the all-zero padding) and an <see cref="InterestExtractor"/>: histories of
/// item ids become interests. The output (softmax) embeddings are tied to the input ones, as in ComiRec and Re4.
/// </summary>
public sealed class MultiInterestModel : nn.Module
{
    private readonly Embedding items;               // [N + 1, d], row 0 padding
    private readonly InterestExtractor extractor;   // the field names are the saved weights' names ("items.weight", "extractor.…")

    /// <summary>Builds a model from its configuration: the encoder <see cref="ModelConfig.Encoder"/> names in
    /// <see cref="EncoderRegistry"/>, weights freshly initialised from torch's global generator.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid, or its encoder is not registered (a model of an
    /// extractor instance of your own is built with the other constructor).</exception>
    public MultiInterestModel(ModelConfig config)
        : this(Resolve(config, out var encoder), encoder.Create)
    {
    }

    /// <summary>Builds a model around an extractor instance of your own (see docs/extending.md). The item table is
    /// initialised here from torch's global generator; the extractor's weights are whatever it was created with.</summary>
    /// <param name="config">The architecture; <see cref="ModelConfig.Encoder"/> must be a name the
    /// <see cref="EncoderRegistry"/> does not know, so that a saved checkpoint says it needs your extractor to load (or
    /// register an <see cref="EncoderDescriptor"/> and use the other constructor).</param>
    /// <param name="extractor">Producing <see cref="ModelConfig.Interests"/> interests of size
    /// <see cref="ModelConfig.Dimension"/>; its parameters are trained and saved with the model's. The model owns it.</param>
    public MultiInterestModel(ModelConfig config, InterestExtractor extractor)
        : this(CheckInstance(config, extractor), _ => extractor)
    {
    }

    private MultiInterestModel(ModelConfig config, Func<ModelConfig, InterestExtractor> createExtractor)
        : base(nameof(MultiInterestModel))
    {
        Config = config;
        items = nn.Embedding(config.ItemCount + 1, config.Dimension, padding_idx: 0);
        using (no_grad())
        {
            if (config.ItemInitialization == EmbeddingInitialization.XavierUniform) nn.init.xavier_uniform_(items.weight!);
            else nn.init.normal_(items.weight!, 0, 1);
            items.weight![0].zero_();
        }

        // Built after the item table, so that a seed gives the same weights as it always did.
        extractor = createExtractor(config);
        if (extractor.InterestCount != config.EffectiveInterests || extractor.Dimension != config.Dimension)
            throw new ArgumentException($"Encoder {config.Encoder} gives K = {extractor.InterestCount}, d = {extractor.Dimension}; the configuration says K = {config.EffectiveInterests}, d = {config.Dimension}.", nameof(config));
        if (config.MatrixInitialization == MatrixInitialization.StandardNormal && extractor is IStandardNormalInitializable reference)
            reference.InitializeStandardNormal();   // after the module's own draws: other initialisations keep their seeded weights
        RegisterComponents();
    }

    // Until 0.1 the model held its extractor in a second field, "_extractor", which TorchSharp saved too: weights files of
    // that version store each extractor tensor twice, under "extractor." and "_extractor.". They still load (the copies
    // are skipped); files written now store each tensor once.
    private const string LegacyExtractorPrefix = "_extractor.";

    /// <summary>Loads weights saved by <c>save</c> (this version's layout or 0.1's, whose extractor tensors appear twice),
    /// checking that every tensor of the model is in the file and nothing else is.</summary>
    /// <exception cref="InvalidDataException">The file holds other tensors than the model's.</exception>
    /// <exception cref="EndOfStreamException">The file is truncated.</exception>
    internal void LoadWeights(string path)
    {
        var names = state_dict().Keys.ToList();
        long stored;
        using (var reader = new BinaryReader(File.OpenRead(path)))
        {
            stored = reader.Read7BitEncodedInt64();   // TorchSharp's save starts with the entry count
        }

        if (stored == names.Count)
        {
            load(path);
            return;
        }

        var legacy = names.Where(n => n.StartsWith("extractor.", StringComparison.Ordinal)).Select(n => "_" + n).ToList();
        if (stored != names.Count + legacy.Count)
            throw new InvalidDataException($"{path} holds {stored} tensors; a {Config.Encoder} model of this configuration has {names.Count}.");
        var loaded = new Dictionary<string, bool>();
        load(path, strict: false, skip: legacy, loadedParameters: loaded);
        var missing = names.Where(n => !loaded.GetValueOrDefault(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path} lacks the model's tensors {string.Join(", ", missing)}.");
    }

    /// <summary>The architecture, with the encoder's options resolved (see <see cref="EncoderDescriptor.ResolveOptions"/>).</summary>
    public ModelConfig Config { get; }

    /// <summary>The forward flow.</summary>
    public InterestExtractor Extractor => extractor;

    /// <summary>The item embedding table, <c>[N + 1, d]</c> (row 0 zeros).</summary>
    public Tensor ItemEmbeddings => items.weight!;

    /// <summary>Encodes histories of item ids.</summary>
    /// <param name="history">Item ids, <c>[B, L]</c> int64, 0 for padding, each row with at least one item.</param>
    /// <returns>The extractor's output, the history embeddings X <c>[B, L, d]</c> and the mask m <c>[B, L]</c>.</returns>
    public (InterestOutput Output, Tensor History, Tensor Mask) Encode(Tensor history) => Encode(history, null);

    /// <summary>Encodes histories whose ids index <paramref name="itemRows"/> instead of the item table: the trainer's lazy
    /// steps gather the rows a batch uses into a small table of their own, so that backward never touches the others.</summary>
    /// <param name="history">Ids into <paramref name="itemRows"/>, <c>[B, L]</c> int64, 0 for padding.</param>
    /// <param name="itemRows">A table <c>[U + 1, d]</c> whose row 0 is the padding (the item table's row 0), or null for
    /// the model's own.</param>
    internal (InterestOutput Output, Tensor History, Tensor Mask) Encode(Tensor history, Tensor? itemRows) => Encode(history, itemRows, historyAsLeaf: false);

    /// <param name="history">Ids into <paramref name="itemRows"/> or the item table, <c>[B, L]</c> int64, 0 for padding.</param>
    /// <param name="itemRows">See <see cref="Encode(Tensor, Tensor?)"/>.</param>
    /// <param name="historyAsLeaf">Whether X is gathered outside the graph and enters it as a leaf of its own that requires a
    /// gradient: backward then leaves dX in X's <c>.grad</c> and nothing reaches the table through the gather, so the
    /// caller adds dX to the table's gradient itself (the trainer's <see cref="Training.HistoryGradientScatter"/>).</param>
    internal (InterestOutput Output, Tensor History, Tensor Mask) Encode(Tensor history, Tensor? itemRows, bool historyAsLeaf)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.dim() != 2) throw new ArgumentException($"history must be [B, L] item ids; got {history.dim()} dimensions.", nameof(history));
        using var scope = NewDisposeScope();
        var mask = history.ne(TorchScalars.Zero).to(ScalarType.Float32);   // [B, L]
        // [B, L, d], padding rows the table's row 0, zeros as initialised (padding_idx, or row 0 of itemRows)
        Tensor x;
        using (var gather = historyAsLeaf ? no_grad() : null)
        {
            x = itemRows is null
                ? items.forward(history)
                : itemRows.index_select(0, history.reshape(-1)).view(history.shape[0], history.shape[1], itemRows.shape[1]);
        }
        if (historyAsLeaf) x.requires_grad_(true);
        Training.StepProfiler.Mark(Training.StepPhase.EmbeddingGather);
        var output = extractor.Extract(x, mask);
        Training.StepProfiler.Mark(Training.StepPhase.Extractor);
        output.Interests.MoveToOuterDisposeScope();
        output.Attention.MoveToOuterDisposeScope();
        output.LogAttention.MoveToOuterDisposeScope();
        // U is often Z itself: moving it twice would push it past the caller's scope and leak it.
        if (!ReferenceEquals(output.RetrievalInterests, output.Interests)) output.RetrievalInterests.MoveToOuterDisposeScope();
        return (output, x.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>Item ids of a batch of histories as the model takes them, row-major <c>[B, L]</c> with L the longest
    /// history (at most the model's L: longer ones keep their most recent items), left-aligned, 0 for padding, most
    /// recent first when <see cref="ModelConfig.ReverseHistory"/>.</summary>
    /// <exception cref="ArgumentException">A history is empty or holds an id outside 1..N.</exception>
    internal long[] HistoryIds(Data.HistoryBatch histories, out int length)
    {
        var config = Config;
        var l = length = Math.Min(config.MaxLength, Math.Max(1, histories.MaxLength));
        var ids = new long[histories.Count * l];
        for (var b = 0; b < histories.Count; b++)
        {
            var h = histories[b];
            if (h.IsEmpty) throw new ArgumentException($"History {b} is empty: a multi-interest model needs at least one item.", nameof(histories));
            h = h[Math.Max(0, h.Length - l)..];
            for (var i = 0; i < h.Length; i++)
            {
                var item = h[config.ReverseHistory ? h.Length - 1 - i : i];
                if ((uint)(item - 1) >= (uint)config.ItemCount)
                    throw new ArgumentOutOfRangeException(nameof(histories), item, $"Item id {item} in history {b} is outside 1..{config.ItemCount}.");
                ids[b * l + i] = item;
            }
        }

        return ids;
    }

    /// <summary>The validated configuration with its encoder's options resolved, and the encoder.</summary>
    private static ModelConfig Resolve(ModelConfig config, out EncoderDescriptor encoder)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (!EncoderRegistry.TryGet(config.Encoder, out var registered))
            throw new ArgumentException($"No encoder is registered as '{config.Encoder}': register its {nameof(EncoderDescriptor)} with {nameof(EncoderRegistry)}.{nameof(EncoderRegistry.Register)}, or build the model around an extractor instance with new {nameof(MultiInterestModel)}(config, extractor).", nameof(config));
        encoder = registered;
        return config with { EncoderOptions = registered.ResolveOptions(config) };
    }

    private static ModelConfig CheckInstance(ModelConfig config, InterestExtractor extractor)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(extractor);
        config.Validate();
        if (EncoderRegistry.TryGet(config.Encoder, out _))
            throw new ArgumentException($"Encoder = {config.Encoder} is a registered encoder; a model around an extractor instance of your own needs a name the registry does not know, so that its checkpoint is not mistaken for a {config.Encoder} one.", nameof(config));
        return config;
    }
}
