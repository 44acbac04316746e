using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>Where a replica count comes from, so messages say why the workload counts as replicated.</summary>
public sealed record ReplicaSource(int Replicas, string Description)
{
    public static ReplicaSource Spec(int replicas) => new(replicas, $"runs {Text.Plural(replicas, "replica")}");

    public static ReplicaSource Scale(int replicas) => new(replicas, $"is being scaled to {Text.Plural(replicas, "replica")}");

    public static ReplicaSource Autoscaler(HpaInfo hpa) =>
        new(hpa.MaxReplicas, $"can be scaled to {Text.Plural(hpa.MaxReplicas, "replica")} by HorizontalPodAutoscaler {hpa.Key}");
}
