using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>Where a replica count comes from, so messages say why the workload counts as replicated.</summary>
/// <param name="PerNode">A DaemonSet: one pod per eligible node, counted as <see cref="PerNodeEstimate"/>.</param>
public sealed record ReplicaSource(int Replicas, string Description, bool PerNode = false)
{
    /// <summary>
    /// The pods a DaemonSet is counted as. The view lists no nodes (and which nodes are eligible is the scheduler's
    /// business: selectors, affinity, taints), so rwx-guard cannot know the real count; 2 is the smallest count at which
    /// pods share a claim across nodes, which is all the shared-claim rule needs to know.
    /// </summary>
    public const int PerNodeEstimate = 2;

    public static ReplicaSource Spec(int replicas) => new(replicas, $"runs {Text.Plural(replicas, "replica")}");

    public static ReplicaSource Scale(int replicas) => new(replicas, $"is being scaled to {Text.Plural(replicas, "replica")}");

    public static ReplicaSource Autoscaler(HpaInfo hpa) =>
        new(hpa.MaxReplicas, $"can be scaled to {Text.Plural(hpa.MaxReplicas, "replica")} by HorizontalPodAutoscaler {hpa.Key}");

    public static readonly ReplicaSource OnePerNode = new(PerNodeEstimate, "runs one pod per node", PerNode: true);

    /// <summary>"2 replicas", "1 pod per node": the count in one-line warnings and tables.</summary>
    public string Count => PerNode ? "1 pod per node" : Text.Plural(Replicas, "replica");
}
