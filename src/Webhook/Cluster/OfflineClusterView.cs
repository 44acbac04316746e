using RwxGuard.Domain;

namespace RwxGuard.Cluster;

/// <summary>
/// The view when no Kubernetes API is configured: it knows no object, so every lookup takes the
/// "claim not found" path, and it is ready at once so the server runs on a laptop.
/// </summary>
public sealed class OfflineClusterView : IClusterView
{
    public ClusterViewStatus Status => ClusterViewStatus.OfflineReady;
    public Lookup<ClaimInfo> GetClaim(string @namespace, string name) => Lookup<ClaimInfo>.NotFound;
    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name) => Lookup<WorkloadInfo>.NotFound;
    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName) => [];
    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name) => [];
    public Lookup<NamespaceInfo> GetNamespace(string name) => Lookup<NamespaceInfo>.NotFound;
    public IReadOnlyList<WorkloadInfo> ListWorkloads() => [];
    public IReadOnlyList<ClaimInfo> ListClaims() => [];
    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses => Lookup<IReadOnlyList<StorageClassInfo>>.NotFound;
}
