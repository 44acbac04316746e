using System.Text.Json.Serialization;

namespace RwxGuard.Admission;

// admission.k8s.io/v1 (and v1beta1, which has the same shape) AdmissionReview, as the API server sends and expects it.
// KubernetesClient has no AdmissionReview types, so these are ours.

public sealed class AdmissionReview
{
    public const string V1 = "admission.k8s.io/v1";
    public const string V1Beta1 = "admission.k8s.io/v1beta1";

    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public AdmissionRequest? Request { get; set; }
    public AdmissionResponse? Response { get; set; }
}

public sealed class GroupVersionKind
{
    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Kind { get; set; }

    public override string ToString() => string.IsNullOrEmpty(Group) ? $"{Version} {Kind}" : $"{Group}/{Version} {Kind}";
}

public sealed class GroupVersionResource
{
    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Resource { get; set; }
}

public sealed class AdmissionRequest
{
    public string? Uid { get; set; }
    public GroupVersionKind? Kind { get; set; }
    public GroupVersionResource? Resource { get; set; }
    public string? SubResource { get; set; }
    public GroupVersionKind? RequestKind { get; set; }
    public GroupVersionResource? RequestResource { get; set; }
    public string? RequestSubResource { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Operation { get; set; }
    /// <summary>Where the object sits in the request body; decoded later with the type its route needs.</summary>
    public RawJson? Object { get; set; }
    public RawJson? OldObject { get; set; }
    public bool? DryRun { get; set; }
}

/// <summary>
/// An object of the request: where it sits in the body (offset and length), and, when its kind came first and is one a
/// route decodes, the object already decoded into that kind's shape in the same pass as the envelope.
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(long Start, long Length, object? Decoded = null);

public sealed class AdmissionResponse
{
    public string Uid { get; set; } = "";
    public bool Allowed { get; set; }
    public ResponseStatus? Status { get; set; }
    /// <summary>base64 of a JSON Patch array; only with <see cref="PatchType"/>.</summary>
    public string? Patch { get; set; }
    public string? PatchType { get; set; }
    public IReadOnlyList<string>? Warnings { get; set; }
    public IReadOnlyDictionary<string, string>? AuditAnnotations { get; set; }
}

/// <summary>metav1.Status as far as the API server reads it from a webhook.</summary>
public sealed class ResponseStatus
{
    public string? Status { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public int Code { get; set; }
}
