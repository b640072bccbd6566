using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Re4.Serving;

/// <summary>Reads a JSON array of original item ids given as numbers (<c>[12, 873]</c>, the format before text ids) or
/// strings (<c>["SKU-0001"]</c>), keeping each id's text; writes strings.</summary>
public sealed class OriginalIdsJsonConverter : JsonConverter<string[]>
{
    /// <inheritdoc />
    public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException($"Expected an array of item ids, found {reader.TokenType}.");
        var ids = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ids.Add(reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                // The number's own text: 9000000001 stays exact, as a long would keep it.
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
                _ => throw new JsonException($"Expected an item id (a number or a string), found {reader.TokenType}."),
            });
        }

        return [.. ids];
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartArray();
        foreach (var id in value) writer.WriteStringValue(id);
        writer.WriteEndArray();
    }
}
