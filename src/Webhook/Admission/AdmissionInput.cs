using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RwxGuard.Mapping;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Admission;

/// <summary>The request's object does not fit the request (wrong kind, wrong shape): an error for the sender.</summary>
public sealed class BadObjectException(string message) : Exception(message);

/// <summary>What a request is about, decided from its resource (GVR) and subresource.</summary>
public enum RouteKind
{
    Other,
    Workload,
    Scale,
    Autoscaler,
    Claim,
}

public readonly record struct AdmissionRoute(RouteKind Kind, WorkloadKind Workload = default)
{
    public static AdmissionRoute Of(AdmissionRequest request)
    {
        var resource = request.Resource!;
        var sub = request.SubResource ?? "";
        WorkloadKind? workload = resource.Resource switch
        {
            "deployments" => WorkloadKind.Deployment,
            "statefulsets" => WorkloadKind.StatefulSet,
            "replicasets" => WorkloadKind.ReplicaSet,
            "daemonsets" => WorkloadKind.DaemonSet,
            _ => null,
        };
        return (resource.Group, workload, sub) switch
        {
            ("apps", { } kind, "") => new(RouteKind.Workload, kind),
            // DaemonSets have no scale subresource: such a request is not one rwx-guard registered for.
            ("apps", { } kind, "scale") when kind != WorkloadKind.DaemonSet => new(RouteKind.Scale, kind),
            ("autoscaling", _, "") when resource.Resource == "horizontalpodautoscalers" => new(RouteKind.Autoscaler),
            ("" or null, _, "") when resource.Resource == "persistentvolumeclaims" => new(RouteKind.Claim),
            _ => new(RouteKind.Other),
        };
    }

    /// <summary>Low-cardinality label for metrics and logs.</summary>
    public string Label => Kind switch
    {
        RouteKind.Workload => Workload.ToString(),
        RouteKind.Scale => "Scale",
        RouteKind.Autoscaler => "HorizontalPodAutoscaler",
        RouteKind.Claim => "PersistentVolumeClaim",
        _ => "other",
    };
}

/// <summary>One decoded request plus lazy, typed access to its objects (decoded only by the route that needs them).</summary>
public sealed class AdmissionInput(AdmissionRequest request, ReadOnlySequence<byte> body)
{
    public AdmissionRequest Request { get; } = request;
    public AdmissionRoute Route { get; } = AdmissionRoute.Of(request);
    public string Operation => Request.Operation!;
    public bool IsCreateOrUpdate => Operation is "CREATE" or "UPDATE";

    public WorkloadInfo Workload(bool old) =>
        ShapeMapping.ToWorkload(Route.Workload,
            Decode(old, AdmissionJsonContext.Default.WorkloadObject, Route.Workload.ToString(), o => o.Kind), Request.Namespace, Request.Name);

    public ScaleInfo Scale(bool old) =>
        ShapeMapping.ToScale(Route.Workload,
            Decode(old, AdmissionJsonContext.Default.ScaleObject, "Scale", o => o.Kind), Request.Namespace, Request.Name);

    public HpaInfo Autoscaler(bool old) =>
        ShapeMapping.ToHpa(
            Decode(old, AdmissionJsonContext.Default.HpaObject, "HorizontalPodAutoscaler", o => o.Kind), Request.Namespace, Request.Name);

    public ClaimInfo Claim(bool old) =>
        ShapeMapping.ToClaim(
            Decode(old, AdmissionJsonContext.Default.ClaimObject, "PersistentVolumeClaim", o => o.Kind), Request.Namespace, Request.Name);

    public bool HasOldObject => Request.OldObject is not null;

    private T Decode<T>(bool old, JsonTypeInfo<T> type, string expectedKind, Func<T, string?> kindOf) where T : class
    {
        var field = old ? "oldObject" : "object";
        if (Request.Kind?.Kind != expectedKind)
            throw new BadObjectException(
                $"request.kind is {Request.Kind}, but resource {Request.Resource?.Resource}{Sub} carries {expectedKind} objects");
        var raw = old ? Request.OldObject : Request.Object;
        if (raw is not { } span) throw new BadObjectException($"request.{field} is required for {Operation}");
        T? value;
        try
        {
            // Decoded with the envelope when its kind came first (RawJsonConverter); else read from its place now.
            value = span.Decoded as T ?? AdmissionCodec.ReadObject(body, span, type);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new BadObjectException($"request.{field} is not a valid {expectedKind}: {e.Message}");
        }
        if (value is null) throw new BadObjectException($"request.{field} is required for {Operation}");
        var kind = kindOf(value);
        if (!string.IsNullOrEmpty(kind) && kind != expectedKind)
            throw new BadObjectException($"request.{field} is a {kind}, but the request is for {Request.Kind}");
        return value;
    }

    private string Sub => string.IsNullOrEmpty(Request.SubResource) ? "" : "/" + Request.SubResource;
}
