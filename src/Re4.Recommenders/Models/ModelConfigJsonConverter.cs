using System.Text.Json;
using System.Text.Json.Serialization;
using Re4.Recommenders.Extractors;

namespace Re4.Recommenders.Models;

/// <summary>
/// Reads and writes a <see cref="ModelConfig"/> with its encoder options typed by the encoder's registered descriptor
/// (<c>encoder_options</c>). Also the compatibility reader of configurations written before the encoder registry: those
/// named the encoder <c>kind</c> (the old enum's names are the registry's names) and kept the self-attentive switches in
/// a <c>self_attentive</c> object (absent: ComiRec's defaults); both read to the same network as before.
/// </summary>
internal sealed class ModelConfigJsonConverter : JsonConverter<ModelConfig>
{
    public override ModelConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var stored = JsonSerializer.Deserialize<StoredConfig>(ref reader, options) ?? throw new JsonException("A model configuration cannot be null.");
        var defaults = new ModelConfig();
        var encoder = stored.Encoder ?? stored.Kind ?? defaults.Encoder;
        return new ModelConfig
        {
            Label = stored.Label,
            Encoder = encoder,
            ItemCount = stored.ItemCount ?? defaults.ItemCount,
            Dimension = stored.Dimension ?? defaults.Dimension,
            Interests = stored.Interests ?? defaults.Interests,
            MaxLength = stored.MaxLength ?? defaults.MaxLength,
            // A file without the field predates the switch, when histories were always oldest first (not today's default).
            ReverseHistory = stored.ReverseHistory ?? false,
            ItemInitialization = stored.ItemInitialization ?? defaults.ItemInitialization,
            MatrixInitialization = stored.MatrixInitialization ?? MatrixInitialization.Default,
            EncoderOptions = ReadOptions(encoder, stored, options),
        };
    }

    public override void Write(Utf8JsonWriter writer, ModelConfig value, JsonSerializerOptions options)
    {
        var stored = new StoredConfig
        {
            Label = value.Label,
            Encoder = value.Encoder,
            ItemCount = value.ItemCount,
            Dimension = value.Dimension,
            Interests = value.Interests,
            MaxLength = value.MaxLength,
            ReverseHistory = value.ReverseHistory,
            ItemInitialization = value.ItemInitialization,
            // Written only when not the default, so that every other model's file stays byte for byte what it was.
            MatrixInitialization = value.MatrixInitialization == MatrixInitialization.Default ? null : value.MatrixInitialization,
            EncoderOptions = value.EncoderOptions,   // declared object: written with its runtime type's properties
        };
        JsonSerializer.Serialize(writer, stored, options);
    }

    private static object? ReadOptions(string encoder, StoredConfig stored, JsonSerializerOptions options)
    {
        if (stored.EncoderOptions is JsonElement { ValueKind: not JsonValueKind.Null } raw)
        {
            // An encoder the registry does not know (an extractor instance of your own) gets the raw JSON to read itself.
            return EncoderRegistry.TryGet(encoder, out var descriptor) && descriptor.OptionsType is { } type
                ? raw.Deserialize(type, options)
                : raw.Clone();
        }

        if (stored.SelfAttentive is { } flavour)
        {
            var comiRec = new SelfAttentiveOptions();
            return comiRec with
            {
                PositionEmbedding = flavour.PositionEmbedding ?? comiRec.PositionEmbedding,
                Bias = flavour.Bias ?? comiRec.Bias,
                ValueProjection = flavour.ValueProjection ?? comiRec.ValueProjection,
                OutputHead = flavour.OutputHead ?? comiRec.OutputHead,
            };
        }

        return null;
    }

    /// <summary>The JSON shape; every value nullable so that ModelConfig's own defaults fill what a file leaves out.</summary>
    private sealed class StoredConfig
    {
        public string? Label { get; set; }

        public string? Encoder { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Kind { get; set; }

        public int? ItemCount { get; set; }

        public int? Dimension { get; set; }

        public int? Interests { get; set; }

        public int? MaxLength { get; set; }

        public bool? ReverseHistory { get; set; }

        [JsonConverter(typeof(JsonStringEnumConverter<EmbeddingInitialization>))]
        public EmbeddingInitialization? ItemInitialization { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        [JsonConverter(typeof(JsonStringEnumConverter<MatrixInitialization>))]
        public MatrixInitialization? MatrixInitialization { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public object? EncoderOptions { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public LegacySelfAttentive? SelfAttentive { get; set; }
    }

    /// <summary>The self-attentive switches as format 1 stored them.</summary>
    private sealed class LegacySelfAttentive
    {
        public bool? PositionEmbedding { get; set; }

        public bool? Bias { get; set; }

        public bool? ValueProjection { get; set; }

        public bool? OutputHead { get; set; }
    }
}
