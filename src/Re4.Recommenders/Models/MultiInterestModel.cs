using TorchSharp;
using TorchSharp.Modules;
using Re4.Recommenders.Extractors;
using static TorchSharp.torch;

namespace Re4.Recommenders.Models;

/// <summary>
/// An item embedding table (ids 1..N, row 0 the all-zero padding) and an <see cref="IInterestExtractor"/>: histories of
/// item ids become interests. The output (softmax) embeddings are tied to the input ones, as in ComiRec and Re4.
/// </summary>
public sealed class MultiInterestModel : nn.Module
{
    private readonly Embedding items;     // [N + 1, d], row 0 padding
    private readonly nn.Module extractor;
    private readonly IInterestExtractor _extractor;

    /// <summary>Builds a model from its configuration (weights freshly initialised from torch's global generator).</summary>
    /// <exception cref="ArgumentException"><see cref="ModelConfig.Kind"/> is <see cref="ModelKind.Custom"/>, which needs the
    /// extractor itself.</exception>
    public MultiInterestModel(ModelConfig config)
        : this(config, CreateExtractor)
    {
    }

    /// <summary>Builds a model around an extractor of your own (see docs/extending.md). The item table is initialised
    /// here from torch's global generator; the extractor's weights are whatever it was created with.</summary>
    /// <param name="config">The architecture; <see cref="ModelConfig.Kind"/> must be <see cref="ModelKind.Custom"/> so that a
    /// saved checkpoint says it needs your extractor to load.</param>
    /// <param name="extractor">A TorchSharp module (its parameters are trained and saved with the model's) producing
    /// <see cref="ModelConfig.Interests"/> interests of size <see cref="ModelConfig.Dimension"/>. The model owns it.</param>
    public MultiInterestModel(ModelConfig config, IInterestExtractor extractor)
        : this(config, CheckCustom(config, extractor))
    {
    }

    private MultiInterestModel(ModelConfig config, Func<ModelConfig, IInterestExtractor> createExtractor)
        : base(nameof(MultiInterestModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        items = nn.Embedding(config.ItemCount + 1, config.Dimension, padding_idx: 0);
        using (no_grad())
        {
            if (config.ItemInitialization == EmbeddingInitialization.XavierUniform) nn.init.xavier_uniform_(items.weight!);
            else nn.init.normal_(items.weight!, 0, 1);
            items.weight![0].zero_();
        }

        // Built after the item table, so that a seed gives the same weights as it always did.
        _extractor = createExtractor(config);
        extractor = (nn.Module)_extractor;
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>The forward flow.</summary>
    public IInterestExtractor Extractor => _extractor;

    /// <summary>The item embedding table, <c>[N + 1, d]</c> (row 0 zeros).</summary>
    public Tensor ItemEmbeddings => items.weight!;

    /// <summary>Encodes histories of item ids.</summary>
    /// <param name="history">Item ids, <c>[B, L]</c> int64, 0 for padding, each row with at least one item.</param>
    /// <returns>The extractor's output, the history embeddings X <c>[B, L, d]</c> and the mask m <c>[B, L]</c>.</returns>
    public (InterestOutput Output, Tensor History, Tensor Mask) Encode(Tensor history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.dim() != 2) throw new ArgumentException($"history must be [B, L] item ids; got {history.dim()} dimensions.", nameof(history));
        using var scope = NewDisposeScope();
        var mask = history.ne(TorchScalars.Zero).to(ScalarType.Float32);   // [B, L]
        var x = items.forward(history);                      // [B, L, d], padding rows exactly 0 (padding_idx)
        var output = _extractor.Extract(x, mask);
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

    private static Func<ModelConfig, IInterestExtractor> CheckCustom(ModelConfig config, IInterestExtractor extractor)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(extractor);
        if (config.Kind != ModelKind.Custom)
            throw new ArgumentException($"A model with an extractor of your own needs Kind = {nameof(ModelKind.Custom)}, not {config.Kind}, so that its checkpoint is not mistaken for a built-in one.", nameof(config));
        if (extractor is not nn.Module)
            throw new ArgumentException($"{extractor.GetType().Name} must be a TorchSharp module (derive from nn.Module) so that its parameters are trained and saved.", nameof(extractor));
        if (extractor.InterestCount != config.Interests || extractor.Dimension != config.Dimension)
            throw new ArgumentException($"{extractor.GetType().Name} gives K = {extractor.InterestCount}, d = {extractor.Dimension}; the configuration says K = {config.Interests}, d = {config.Dimension}.", nameof(extractor));
        return _ => extractor;
    }

    private static IInterestExtractor CreateExtractor(ModelConfig c) => c.Kind switch
    {
        ModelKind.ComiRecSA => new SelfAttentiveExtractor(new SelfAttentiveOptions
        {
            Dimension = c.Dimension,
            Interests = c.Interests,
            MaxLength = c.MaxLength,
            PositionEmbedding = c.SelfAttentive?.PositionEmbedding ?? true,
            Bias = c.SelfAttentive?.Bias ?? true,
            ValueProjection = c.SelfAttentive?.ValueProjection ?? false,
            OutputHead = c.SelfAttentive?.OutputHead ?? false,
        }),
        ModelKind.ComiRecDR => new DynamicRoutingExtractor(c.Dimension, c.Interests, c.MaxLength),
        ModelKind.Mind => new DynamicRoutingExtractor(DynamicRoutingOptions.Mind(c.Dimension, c.Interests, c.MaxLength)),
        ModelKind.YouTubeDnn => new MeanPoolingExtractor(c.Dimension),
        ModelKind.Gru4Rec => new GruExtractor(c.Dimension),
        ModelKind.Custom => throw new ArgumentException($"Kind = {nameof(ModelKind.Custom)} needs the extractor itself: use new MultiInterestModel(config, extractor), or ModelCheckpoint.Load(directory, config => extractor) for a saved model.", nameof(c)),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "Unknown model kind."),
    };
}
