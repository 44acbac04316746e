using System.Text.Json;
using System.Text.Json.Serialization;

namespace RwxGuard.Admission;

/// <summary>
/// Records where a JSON value starts and ends instead of decoding it. The reader passed in is the one built over the
/// whole body, so TokenStartIndex and BytesConsumed are offsets into that body.
/// </summary>
public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"expected an object, got {reader.TokenType}");
        var start = reader.TokenStartIndex;
        reader.Skip();
        return new RawJson(start, reader.BytesConsumed - start);
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        throw new NotSupportedException("RawJson is read-only");
}
