using System.Text.Json;
using Re4.Recommenders.Data;

namespace Re4.Cli;

/// <summary>Original ids in the JSON outputs: a numeric id is a JSON number (as it always was), a text id a JSON string.</summary>
internal static class JsonIds
{
    public static void WriteValue(Utf8JsonWriter w, IdMap ids, int index)
    {
        if (ids.IsNumeric) w.WriteNumberValue(ids.GetNumber(index));
        else w.WriteStringValue(ids[index]);
    }

    public static void Write(Utf8JsonWriter w, string property, IdMap ids, int index)
    {
        w.WritePropertyName(property);
        WriteValue(w, ids, index);
    }
}
