using System.Text.Json;
using System.Text.Json.Serialization;
using RwxGuard.Mapping;

namespace RwxGuard.Admission;

/// <summary>
/// Reads <c>object</c> and <c>oldObject</c> in the envelope's own pass over the body. The API server writes an object's
/// <c>kind</c> first, so its shape is known before its content: Deployments, StatefulSets, ReplicaSets, DaemonSets,
/// Scales, claims and HPAs are decoded right there (one scan of a 10 KB Deployment instead of two). Anything else —
/// another kind, <c>kind</c> not first, a value that does not fit the shape — is skipped and only its place recorded;
/// the route then decodes it from there, and reports what does not fit as it always has. The reader passed in is the
/// one built over the whole body, so TokenStartIndex and BytesConsumed are offsets into that body.
/// </summary>
public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"expected an object, got {reader.TokenType}");
        var start = reader.TokenStartIndex;
        if (KindFirst(reader) is { } shape)
        {
            // A copy of the reader: if the object does not fit its shape, the original skips it unharmed.
            var attempt = reader;
            try
            {
                var decoded = shape(ref attempt);
                reader = attempt;
                return new RawJson(start, reader.BytesConsumed - start, decoded);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                // decoded again by the route, which names the field
            }
        }
        reader.Skip();
        return new RawJson(start, reader.BytesConsumed - start);
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        throw new NotSupportedException("RawJson is read-only");

    private delegate object? ShapeReader(ref Utf8JsonReader reader);

    /// <summary>The shape of the object whose first member is <c>"kind": "…"</c>, looked at on a copy of the reader.</summary>
    private static ShapeReader? KindFirst(Utf8JsonReader peek)
    {
        if (!peek.Read() || peek.TokenType != JsonTokenType.PropertyName || !peek.ValueTextEquals("kind"u8)
            || !peek.Read() || peek.TokenType != JsonTokenType.String)
            return null;
        if (peek.ValueTextEquals("Deployment"u8) || peek.ValueTextEquals("StatefulSet"u8) || peek.ValueTextEquals("ReplicaSet"u8)
            || peek.ValueTextEquals("DaemonSet"u8))
            return Workload;
        if (peek.ValueTextEquals("Scale"u8)) return Scale;
        if (peek.ValueTextEquals("PersistentVolumeClaim"u8)) return Claim;
        if (peek.ValueTextEquals("HorizontalPodAutoscaler"u8)) return Autoscaler;
        return null;
    }

    // A converter's Read takes the value where the reader stands, in one pass; JsonSerializer.Deserialize(ref reader)
    // would first skip the whole value to find its end, then read it again.
    private static object? Workload(ref Utf8JsonReader reader) => Read(ref reader, AdmissionJsonContext.Default.WorkloadObject);
    private static object? Scale(ref Utf8JsonReader reader) => Read(ref reader, AdmissionJsonContext.Default.ScaleObject);
    private static object? Claim(ref Utf8JsonReader reader) => Read(ref reader, AdmissionJsonContext.Default.ClaimObject);
    private static object? Autoscaler(ref Utf8JsonReader reader) => Read(ref reader, AdmissionJsonContext.Default.HpaObject);

    private static T? Read<T>(ref Utf8JsonReader reader, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        ((JsonConverter<T>)type.Converter).Read(ref reader, typeof(T), type.Options);
}
