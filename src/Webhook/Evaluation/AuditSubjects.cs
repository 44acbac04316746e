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
}
