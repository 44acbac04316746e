using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Infrastructure;

/// <summary>A cluster view built in the test: a few objects, and a switch for ready/offline.</summary>
public sealed class FakeClusterView : IClusterView
{
    // Indexed like the real view, so a test with 10,000 objects is not quadratic.
    private readonly OrderedDictionary<ObjectKey, ClaimInfo> _claims = [];
    private readonly List<WorkloadInfo> _workloads = [];
    private readonly Dictionary<(WorkloadKind, ObjectKey), WorkloadInfo> _workloadsByKey = [];
    private readonly Dictionary<ObjectKey, List<WorkloadInfo>> _mounting = [];
    private readonly List<HpaInfo> _hpas = [];
    private readonly List<StorageClassInfo> _classes = [];
    private readonly List<NamespaceInfo> _namespaces = [];

    public ClusterViewStatus Status { get; set; } = new(false, true, "synced");

    public FakeClusterView Add(ClaimInfo claim)
    {
        _claims.Remove(claim.Key); // a replaced claim moves to the end, as it did
        _claims.Add(claim.Key, claim);
        return this;
    }

    public FakeClusterView Add(WorkloadInfo workload)
    {
        _workloads.Add(workload);
        _workloadsByKey.TryAdd((workload.Kind, workload.Key), workload);
        foreach (var claim in workload.Template.ClaimNames.Distinct())
        {
            var key = new ObjectKey(workload.Namespace, claim);
            if (!_mounting.TryGetValue(key, out var list)) _mounting[key] = list = [];
            list.Add(workload);
        }
        return this;
    }
    public FakeClusterView Add(HpaInfo hpa) { _hpas.Add(hpa); return this; }
    public FakeClusterView Add(StorageClassInfo storageClass) { _classes.Add(storageClass); return this; }
    public FakeClusterView Add(NamespaceInfo ns) { _namespaces.RemoveAll(n => n.Name == ns.Name); _namespaces.Add(ns); return this; }

    public Lookup<NamespaceInfo> GetNamespace(string name) =>
        !Status.Ready ? Lookup<NamespaceInfo>.Unavailable
        : _namespaces.FirstOrDefault(n => n.Name == name) is { } n ? Lookup<NamespaceInfo>.Found(n)
        : Lookup<NamespaceInfo>.NotFound;

    public static FakeClusterView Unavailable() => new() { Status = new(false, false, "persistentvolumeclaims not synced") };
    public static FakeClusterView OfflineView() => new() { Status = ClusterViewStatus.OfflineReady };

    public Lookup<ClaimInfo> GetClaim(string @namespace, string name) =>
        !Status.Ready ? Lookup<ClaimInfo>.Unavailable
        : _claims.TryGetValue(new ObjectKey(@namespace, name), out var c) ? Lookup<ClaimInfo>.Found(c)
        : Lookup<ClaimInfo>.NotFound;

    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name) =>
        !Status.Ready ? Lookup<WorkloadInfo>.Unavailable
        : _workloadsByKey.TryGetValue((kind, new ObjectKey(@namespace, name)), out var w)
            ? Lookup<WorkloadInfo>.Found(w)
            : Lookup<WorkloadInfo>.NotFound;

    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName) =>
        !Status.Ready ? [] : [.. _mounting.GetValueOrDefault(new ObjectKey(@namespace, claimName)) ?? []];

    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name) =>
        !Status.Ready ? [] : _hpas.Where(h => h.Target == kind && h.Namespace == @namespace && h.TargetName == name).ToList();

    public IReadOnlyList<WorkloadInfo> ListWorkloads() => !Status.Ready ? [] : _workloads.ToList();
    public IReadOnlyList<ClaimInfo> ListClaims() => !Status.Ready ? [] : [.. _claims.Values];

    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses =>
        !Status.Ready ? Lookup<IReadOnlyList<StorageClassInfo>>.Unavailable
        : Status.Offline ? Lookup<IReadOnlyList<StorageClassInfo>>.NotFound
        : Lookup<IReadOnlyList<StorageClassInfo>>.Found(_classes);
}
