namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>
/// One API resource as the API server serves it: where it lives (group, version, plural), what its objects are called
/// (kind), whether it is namespaced, and which parts of an object a write may change (status and scale subresources).
/// </summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced,
    bool HasStatus = false, bool HasScale = false)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string ListKind => Kind + "List";
    public string Key => $"{Group}/{Plural}";

    /// <summary>The collection path, cluster-wide (or for a namespace).</summary>
    public string Path(string? @namespace = null) =>
        (Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}") +
        (Namespaced && !string.IsNullOrEmpty(@namespace) ? $"/namespaces/{@namespace}" : "") + $"/{Plural}";

    public override string ToString() => $"{Plural}.{(Group.Length == 0 ? "core" : Group)}";

    public static readonly ResourceType Namespaces = new("", "v1", "namespaces", "Namespace", false, HasStatus: true);
    public static readonly ResourceType Pods = new("", "v1", "pods", "Pod", true, HasStatus: true);
    public static readonly ResourceType Events = new("", "v1", "events", "Event", true);
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true);
    public static readonly ResourceType Claims = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, HasStatus: true);
    public static readonly ResourceType Volumes = new("", "v1", "persistentvolumes", "PersistentVolume", false, HasStatus: true);
    public static readonly ResourceType Deployments = new("apps", "v1", "deployments", "Deployment", true, HasStatus: true, HasScale: true);
    public static readonly ResourceType StatefulSets = new("apps", "v1", "statefulsets", "StatefulSet", true, HasStatus: true, HasScale: true);
    public static readonly ResourceType ReplicaSets = new("apps", "v1", "replicasets", "ReplicaSet", true, HasStatus: true, HasScale: true);
    public static readonly ResourceType DaemonSets = new("apps", "v1", "daemonsets", "DaemonSet", true, HasStatus: true);
    public static readonly ResourceType Jobs = new("batch", "v1", "jobs", "Job", true, HasStatus: true);
    public static readonly ResourceType Autoscalers = new("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, HasStatus: true);
    public static readonly ResourceType StorageClasses = new("storage.k8s.io", "v1", "storageclasses", "StorageClass", false);
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "leases", "Lease", true);
    public static readonly ResourceType VolumeSnapshots = new("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true, HasStatus: true);
    public static readonly ResourceType VolumeSnapshotClasses = new("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false);
    public static readonly ResourceType ValidatingWebhooks = new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false);
    public static readonly ResourceType MutatingWebhooks = new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false);
    public static readonly ResourceType PolicyReports = new("wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport", true);
    public static readonly ResourceType OpenReports = new("openreports.io", "v1alpha1", "reports", "Report", true);

    public static readonly IReadOnlyList<ResourceType> BuiltIn =
    [
        Namespaces, Pods, Events, ConfigMaps, Claims, Volumes, Deployments, StatefulSets, ReplicaSets, DaemonSets, Jobs,
        Autoscalers, StorageClasses, Leases, VolumeSnapshots, VolumeSnapshotClasses, ValidatingWebhooks, MutatingWebhooks,
        PolicyReports, OpenReports,
    ];
}
