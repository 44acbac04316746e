
namespace RwxGuard.Domain;

/// <summary>
/// A read-only, in-memory view of the cluster. Every member answers from memory: nothing here may touch the
/// network, because it is called on the admission hot path.
/// </summary>
public interface IClusterView
{
    ClusterViewStatus Status { get; }

    Lookup<ClaimInfo> GetClaim(string @namespace, string name);
    Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name);

    /// <summary>Workloads whose pod template mounts the claim (for "Deployment applied before its PVC").</summary>
    IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName);

    /// <summary>HorizontalPodAutoscalers whose scaleTargetRef names the workload.</summary>
    IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name);

    /// <summary>A namespace and its labels (for the per-namespace enforcement mode label).</summary>
    Lookup<NamespaceInfo> GetNamespace(string name);

    /// <summary>Every cached workload, for background reporting (empty when not ready).</summary>
    IReadOnlyList<WorkloadInfo> ListWorkloads();

    /// <summary>Every cached claim, for background reporting (empty when not ready).</summary>
    IReadOnlyList<ClaimInfo> ListClaims();

    /// <summary>All StorageClasses (cluster scoped), for the claim mutator's class discovery.</summary>
    Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses { get; }
}

public enum LookupOutcome
{
    Found,
    /// <summary>The view is synced and the object is not in it (or the view runs offline).</summary>
    NotFound,
    /// <summary>The view cannot answer: not synced yet, or its connection to the API server is broken.</summary>
    Unavailable,
}

public readonly record struct Lookup<T>(LookupOutcome Outcome, T? Value)
{
    public static Lookup<T> Found(T value) => new(LookupOutcome.Found, value);
    public static readonly Lookup<T> NotFound = new(LookupOutcome.NotFound, default);
    public static readonly Lookup<T> Unavailable = new(LookupOutcome.Unavailable, default);
}

/// <summary>Readiness of the view as a whole.</summary>
public sealed record ClusterViewStatus(bool Offline, bool Ready, string Detail)
{
    public static readonly ClusterViewStatus OfflineReady =
        new(true, true, "offline: no Kubernetes API configured; every claim and workload is unknown");
}
