using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Re4.Cli;

/// <summary>Source-generated JSON for the CLI's result files: snake_case names, members that are null left out (a
/// member that must be written as null says so itself). Indentation is the writer's: see <see cref="Write{T}"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunMetrics))]
[JsonSerializable(typeof(CompareFile))]
[JsonSerializable(typeof(TuneFile))]
[JsonSerializable(typeof(BenchReport))]
[JsonSerializable(typeof(TrainBenchReport))]
[JsonSerializable(typeof(PgVectorBenchReport))]
[JsonSerializable(typeof(DiagnosticsSummary))]
[JsonSerializable(typeof(double))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> atomically, indented.</summary>
    public static void Write<T>(string path, T value, JsonTypeInfo<T> type) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            JsonSerializer.Serialize(w, value, type);
        });
}
