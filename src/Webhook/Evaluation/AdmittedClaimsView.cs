using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Evaluation;

/// <summary>
/// A view over another one in which claims being created look as the webhook would store them (mutated), and,
/// optionally, some workloads are not counted as mounting claims (those reported on their own).
/// </summary>
internal sealed class AdmittedClaimsView(
    IClusterView inner,
    IReadOnlyDictionary<ObjectKey, ClaimInfo> admitted,
    IReadOnlySet<(WorkloadKind Kind, ObjectKey Key)>? hiddenMounters = null) : IClusterView
{
    public ClusterViewStatus Status => inner.Status;

    public Lookup<NamespaceInfo> GetNamespace(string name) => inner.GetNamespace(name);

    public Lookup<ClaimInfo> GetClaim(string @namespace, string name) =>
        admitted.TryGetValue(new ObjectKey(@namespace, name), out var claim) && inner.Status.Ready
            ? Lookup<ClaimInfo>.Found(claim)
            : inner.GetClaim(@namespace, name);

    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name) =>
        inner.GetWorkload(kind, @namespace, name);

    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName)
    {
        var mounting = inner.WorkloadsMountingClaim(@namespace, claimName);
        return hiddenMounters is null || hiddenMounters.Count == 0
            ? mounting
            : mounting.Where(w => !hiddenMounters.Contains((w.Kind, w.Key))).ToList();
    }

    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name) =>
        inner.AutoscalersTargeting(kind, @namespace, name);

    public IReadOnlyList<WorkloadInfo> ListWorkloads() => inner.ListWorkloads();

    public IReadOnlyList<ClaimInfo> ListClaims() =>
        inner.ListClaims().Select(c => admitted.TryGetValue(c.Key, out var a) ? a : c).ToList();

    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses => inner.StorageClasses;
}
