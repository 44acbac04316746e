using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Evaluation;

/// <summary>
/// What an audit evaluates, looked up against an <see cref="IClusterView"/> that holds them and everything they refer to.
/// </summary>
/// <remarks>
/// The split between <see cref="NewClaims"/> and <see cref="ExistingClaims"/> matters because the claim mutator runs on
/// CREATE only: a claim being created (from a manifest) is evaluated as the webhook would admit it, mutated first; a
/// claim that already exists keeps its access modes and class for good (they are immutable).
/// </remarks>
public sealed record AuditSubjects
{
    /// <summary>Deployments, StatefulSets, ReplicaSets, DaemonSets (Deployment-owned ReplicaSets are skipped, as by the policy).</summary>
    public IReadOnlyList<WorkloadInfo> Workloads { get; init; } = [];

    /// <summary>HorizontalPodAutoscalers to evaluate as objects of their own (from manifests). Autoscalers are always
    /// counted into the replicas of the workloads they target, through the view.</summary>
    public IReadOnlyList<HpaInfo> Autoscalers { get; init; } = [];

    /// <summary>Claims being created: run through the mutator, then through the PVC CREATE check as mutated.</summary>
    public IReadOnlyList<ClaimInfo> NewClaims { get; init; } = [];

    /// <summary>Claims that already exist: reported when the mutation selectors select them (RWX or not).</summary>
    public IReadOnlyList<ClaimInfo> ExistingClaims { get; init; } = [];

    /// <summary>Everything the view holds, as existing objects: what the in-cluster background audit reports on.</summary>
    public static AuditSubjects Existing(IClusterView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new AuditSubjects { Workloads = view.ListWorkloads(), ExistingClaims = view.ListClaims() };
    }

    /// <summary>
    /// <see cref="Existing"/> one namespace at a time, namespaces in order: every rule looks within a namespace (claims
    /// and the workloads mounting them share it), so the results are the same, and a caller that writes each
    /// namespace's reports before asking for the next holds one namespace's results at a time instead of the cluster's.
    /// </summary>
    public static IEnumerable<AuditSubjects> ExistingByNamespace(IClusterView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var workloads = view.ListWorkloads().ToLookup(w => w.Namespace, StringComparer.Ordinal);
        var claims = view.ListClaims().ToLookup(c => c.Namespace, StringComparer.Ordinal);
        foreach (var ns in workloads.Select(g => g.Key).Union(claims.Select(g => g.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal))
            yield return new AuditSubjects { Workloads = [.. workloads[ns]], ExistingClaims = [.. claims[ns]] };
    }
}
