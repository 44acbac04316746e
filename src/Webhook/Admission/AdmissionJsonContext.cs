using System.Text.Json.Serialization;
using RwxGuard.Mapping;

namespace RwxGuard.Admission;

/// <summary>
/// Source-generated JSON for everything on the admission path. WhenWritingNull is set explicitly: without it the
/// response carries "patchType": null, which the API server rejects on a validating webhook.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    MaxDepth = 64)]
[JsonSerializable(typeof(AdmissionReview))]
[JsonSerializable(typeof(WorkloadObject))]
[JsonSerializable(typeof(ScaleObject))]
[JsonSerializable(typeof(ClaimObject))]
[JsonSerializable(typeof(HpaObject))]
[JsonSerializable(typeof(IReadOnlyList<JsonPatchOperationWire>))]
public sealed partial class AdmissionJsonContext : JsonSerializerContext;

/// <summary>RFC 6902 operation as written on the wire.</summary>
public sealed class JsonPatchOperationWire
{
    public required string Op { get; init; }
    public required string Path { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public System.Text.Json.Nodes.JsonNode? Value { get; init; }
}
