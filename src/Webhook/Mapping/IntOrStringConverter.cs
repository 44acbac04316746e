using System.Text.Json;
using System.Text.Json.Serialization;

namespace RwxGuard.Mapping;

/// <summary>Kubernetes IntOrString ("25%" or 1), kept as its string form.</summary>
public sealed class IntOrStringConverter : JsonConverter<string?>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => reader.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new JsonException($"expected an integer or a string, got {reader.TokenType}"),
        };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);
}
