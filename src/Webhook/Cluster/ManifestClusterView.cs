using RwxGuard.Domain;

namespace RwxGuard.Cluster;

/// <summary>
/// The objects read from manifests as a cluster view: synced, not offline, and whatever the manifests do not contain is
/// not found. When an object appears more than once the last one wins (as with successive <c>kubectl apply</c>s).
/// </summary>
internal sealed class ManifestClusterView : IClusterView
{
    private readonly Dictionary<ObjectKey, ClaimInfo> _claims = [];
    private readonly Dictionary<(WorkloadKind, ObjectKey), WorkloadInfo> _workloads = [];
    private readonly Dictionary<ObjectKey, HpaInfo> _autoscalers = [];
    private readonly Dictionary<string, StorageClassInfo> _classes = new(StringComparer.Ordinal);

    public ManifestClusterView(IEnumerable<ClaimInfo> claims, IEnumerable<WorkloadInfo> workloads, IEnumerable<HpaInfo> autoscalers,
        IEnumerable<StorageClassInfo> storageClasses)
    {
        foreach (var claim in claims) { _claims.Remove(claim.Key); _claims[claim.Key] = claim; }
        foreach (var workload in workloads) { _workloads.Remove((workload.Kind, workload.Key)); _workloads[(workload.Kind, workload.Key)] = workload; }
        foreach (var hpa in autoscalers) { _autoscalers.Remove(hpa.Key); _autoscalers[hpa.Key] = hpa; }
        foreach (var storageClass in storageClasses) { _classes.Remove(storageClass.Name); _classes[storageClass.Name] = storageClass; }
        Status = new ClusterViewStatus(false, true,
            $"manifests: {_claims.Count} claims, {_workloads.Count} workloads, {_autoscalers.Count} autoscalers, " +
            $"{_classes.Count} storage classes");
    }

    public ClusterViewStatus Status { get; }

    public IReadOnlyList<ClaimInfo> Claims => [.. _claims.Values];
    public IReadOnlyList<WorkloadInfo> Workloads => [.. _workloads.Values];
    public IReadOnlyList<HpaInfo> Autoscalers => [.. _autoscalers.Values];
    public IReadOnlyList<StorageClassInfo> Classes => [.. _classes.Values];

    // Namespace labels live in the cluster; manifests alone carry none the audit uses (its mode comes from settings).
    public Lookup<NamespaceInfo> GetNamespace(string name) => Lookup<NamespaceInfo>.NotFound;

    public Lookup<ClaimInfo> GetClaim(string @namespace, string name) =>
        _claims.TryGetValue(new ObjectKey(@namespace, name), out var claim) ? Lookup<ClaimInfo>.Found(claim) : Lookup<ClaimInfo>.NotFound;

    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name) =>
        _workloads.TryGetValue((kind, new ObjectKey(@namespace, name)), out var workload)
            ? Lookup<WorkloadInfo>.Found(workload)
            : Lookup<WorkloadInfo>.NotFound;

    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName) =>
        _workloads.Values.Where(w => w.Namespace == @namespace && w.Template.ClaimNames.Contains(claimName, StringComparer.Ordinal)).ToList();

    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name) =>
        _autoscalers.Values.Where(h => h.Target == kind && h.Namespace == @namespace && h.TargetName == name).ToList();

    public IReadOnlyList<WorkloadInfo> ListWorkloads() => Workloads;

    public IReadOnlyList<ClaimInfo> ListClaims() => Claims;

    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses => Lookup<IReadOnlyList<StorageClassInfo>>.Found(Classes);
}

/// <summary>
/// Manifests over a live cluster: a manifest being applied replaces what the cluster has, so manifest workloads,
/// autoscalers and StorageClasses win. Claims are the exception: a claim's access modes and class cannot change after
/// creation, so a claim the cluster already has is what pods will mount, whatever the manifest says.
/// </summary>
internal sealed class LayeredClusterView(ManifestClusterView manifests, IClusterView cluster) : IClusterView
{
    public ClusterViewStatus Status => cluster.Status;

    public Lookup<NamespaceInfo> GetNamespace(string name) => cluster.GetNamespace(name);

    public Lookup<ClaimInfo> GetClaim(string @namespace, string name)
    {
        var live = cluster.GetClaim(@namespace, name);
        return live.Outcome == LookupOutcome.NotFound ? manifests.GetClaim(@namespace, name) : live;
    }

    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name)
    {
        var own = manifests.GetWorkload(kind, @namespace, name);
        return own.Outcome == LookupOutcome.Found ? own : cluster.GetWorkload(kind, @namespace, name);
    }

    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName) =>
        [
            .. manifests.WorkloadsMountingClaim(@namespace, claimName),
            .. cluster.WorkloadsMountingClaim(@namespace, claimName)
                .Where(w => manifests.GetWorkload(w.Kind, w.Namespace, w.Name).Outcome != LookupOutcome.Found),
        ];

    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name) =>
        [
            .. manifests.AutoscalersTargeting(kind, @namespace, name),
            .. cluster.AutoscalersTargeting(kind, @namespace, name)
                .Where(h => !manifests.Autoscalers.Any(m => m.Key == h.Key)),
        ];

    public IReadOnlyList<WorkloadInfo> ListWorkloads() =>
        [
            .. manifests.Workloads,
            .. cluster.ListWorkloads().Where(w => manifests.GetWorkload(w.Kind, w.Namespace, w.Name).Outcome != LookupOutcome.Found),
        ];

    public IReadOnlyList<ClaimInfo> ListClaims() =>
        [
            .. cluster.ListClaims(),
            .. manifests.Claims.Where(c => cluster.GetClaim(c.Namespace, c.Name).Outcome == LookupOutcome.NotFound),
        ];

    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses
    {
        get
        {
            var live = cluster.StorageClasses;
            if (live.Outcome == LookupOutcome.Unavailable) return live;
            var own = manifests.Classes;
            IReadOnlyList<StorageClassInfo> merged = [.. own, .. (live.Value ?? []).Where(c => own.All(o => o.Name != c.Name))];
            return Lookup<IReadOnlyList<StorageClassInfo>>.Found(merged);
        }
    }
}
