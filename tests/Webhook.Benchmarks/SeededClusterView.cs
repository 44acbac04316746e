using System.Collections.Frozen;
using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Benchmarks;

/// <summary>
/// An in-memory view holding N claims and N Deployments (claim-i mounted by app-i in namespace ns-(i % 100)), for the
/// micro-benchmarks: the decision path sees dictionaries of the size the load benchmark syncs.
/// </summary>
public sealed class SeededClusterView : IClusterView
{
    private readonly FrozenDictionary<(string, string), ClaimInfo> _claims;
    private readonly FrozenDictionary<(string, string), WorkloadInfo> _deployments;
    private readonly IReadOnlyList<StorageClassInfo> _classes;

    public SeededClusterView(int count)
    {
        var claims = new Dictionary<(string, string), ClaimInfo>(count);
        var deployments = new Dictionary<(string, string), WorkloadInfo>(count);
        for (var i = 0; i < count; i++)
        {
            var ns = $"ns-{i % 100}";
            claims[(ns, $"claim-{i}")] = new ClaimInfo
            {
                Namespace = ns, Name = $"claim-{i}", SpecModes = AccessModes.ReadWriteOnce,
                StatusModes = AccessModes.ReadWriteOnce, Bound = true, StorageClassName = "gp3",
            };
            deployments[(ns, $"app-{i}")] = new WorkloadInfo
            {
                Kind = WorkloadKind.Deployment, Namespace = ns, Name = $"app-{i}", Replicas = 1,
                Strategy = new RolloutStrategy("Recreate", null),
                Template = new PodTemplateInfo { ClaimNames = [$"claim-{i}"] },
            };
        }
        _claims = claims.ToFrozenDictionary();
        _deployments = deployments.ToFrozenDictionary();
        _classes =
        [
            new StorageClassInfo { Name = "gp3", Provisioner = "ebs.csi.aws.com", Annotations = new Dictionary<string, string> { ["storageclass.kubernetes.io/is-default-class"] = "true" } },
            new StorageClassInfo { Name = "efs-sc", Provisioner = "efs.csi.aws.com" },
        ];
    }

    public ClusterViewStatus Status { get; } = new(false, true, "seeded");

    public Lookup<ClaimInfo> GetClaim(string @namespace, string name) =>
        _claims.TryGetValue((@namespace, name), out var c) ? Lookup<ClaimInfo>.Found(c) : Lookup<ClaimInfo>.NotFound;

    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name) =>
        kind == WorkloadKind.Deployment && _deployments.TryGetValue((@namespace, name), out var w)
            ? Lookup<WorkloadInfo>.Found(w)
            : Lookup<WorkloadInfo>.NotFound;

    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName) => [];
    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name) => [];
    public Lookup<NamespaceInfo> GetNamespace(string name) => Lookup<NamespaceInfo>.Found(new NamespaceInfo { Name = name });
    public IReadOnlyList<WorkloadInfo> ListWorkloads() => _deployments.Values.ToList();
    public IReadOnlyList<ClaimInfo> ListClaims() => _claims.Values.ToList();
    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses => Lookup<IReadOnlyList<StorageClassInfo>>.Found(_classes);
}
