using System.Globalization;

namespace RwxGuard.Benchmarks.Shape;

/// <summary>
/// How many objects of each kind the fake API server holds, and how they relate: which namespace an object is in,
/// which claim a Deployment mounts, which Deployment owns a ReplicaSet. Everything is a function of an object's index,
/// so the fake renders any object on demand and holds none of them.
/// </summary>
/// <remarks>
/// The realistic shape (issue 16), at scale 1: 10,000 Deployments with 4 ReplicaSets each (the history a year of
/// rollouts leaves: the newest at the Deployment's replicas, three older at 0), 1,000 StatefulSets with
/// volumeClaimTemplates, 500 standalone ReplicaSets, 10,000 bound claims (9,000 mounted by Deployments, one per
/// StatefulSet), 2,000 HPAs, 300 DaemonSets, 200 namespaces. Scale N multiplies every count.
/// <para>Namespaces are uneven, as in real clusters: one namespace (ns-0, the "default" that CI pipelines fill) holds a
/// tenth of the objects, a tenth of the namespaces hold 40%, the rest share the remaining half. At scale 10, ns-0 holds
/// 10,000 Deployments, which makes its report split into several (the case the reporter's memory depends on).</para>
/// </remarks>
public sealed record ClusterShape
{
    public required double Scale { get; init; }
    public required int Namespaces { get; init; }
    public required int Deployments { get; init; }
    /// <summary>ReplicaSets owned by each Deployment (the newest first).</summary>
    public required int ReplicaSetsPerDeployment { get; init; }
    public required int StandaloneReplicaSets { get; init; }
    public required int StatefulSets { get; init; }
    /// <summary>Claims in all; the last <see cref="StatefulSets"/> of them belong to the StatefulSets.</summary>
    public required int Claims { get; init; }
    public required int Autoscalers { get; init; }
    public required int DaemonSets { get; init; }
    /// <summary>Objects spread unevenly over the namespaces (see remarks); false: object i in namespace i % Namespaces.</summary>
    public bool Uneven { get; init; } = true;
    /// <summary>Every n-th Deployment's claim is ReadWriteMany on efs-sc (and the Deployment has 2 replicas); 0: none.</summary>
    public int SharedClaimEvery { get; init; } = 5;
    /// <summary>Every n-th claim (from the 4th) carries AnythingLLM's chart label, the mutation's selector; 0: none.</summary>
    public int AnythingLlmEvery { get; init; } = 50;
    /// <summary>Namespaces set their own enforcement mode (rwx-guard.io/mode): warn where n % 7 == 3, audit where
    /// n % 7 == 5, the default (enforce) elsewhere; false: no namespace has the label.</summary>
    public bool NamespaceModes { get; init; } = true;

    public int OwnedReplicaSets => Deployments * ReplicaSetsPerDeployment;
    public int ReplicaSets => OwnedReplicaSets + StandaloneReplicaSets;
    /// <summary>claim-0 … claim-(n-1), mounted by app-0 … app-(n-1); the Deployments after them mount nothing.</summary>
    public int DeploymentClaims => Math.Min(Deployments, Math.Max(0, Claims - StatefulSets));
    public int StorageClasses => 3;

    /// <summary>The realistic shape times <paramref name="scale"/> (0.01 for tests: 100 Deployments …).</summary>
    public static ClusterShape Realistic(double scale)
    {
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale), "the scale must be positive");
        int N(int count) => Math.Max(1, (int)Math.Round(count * scale));
        return new ClusterShape
        {
            Scale = scale,
            Namespaces = Math.Max(3, N(200)),
            Deployments = N(10_000),
            ReplicaSetsPerDeployment = 4,
            StandaloneReplicaSets = N(500),
            StatefulSets = N(1_000),
            Claims = N(10_000),
            Autoscalers = N(2_000),
            DaemonSets = N(300),
        };
    }

    /// <summary>The shape of the first load benchmark and the soak: N claims, N Deployments mounting them, 100 namespaces.</summary>
    public static ClusterShape DeploymentsAndClaims(int count) => new()
    {
        Scale = count / 10_000.0,
        Namespaces = 100,
        Deployments = count,
        ReplicaSetsPerDeployment = 0,
        StandaloneReplicaSets = 0,
        StatefulSets = 0,
        Claims = count,
        Autoscalers = 0,
        DaemonSets = 0,
        Uneven = false,
        SharedClaimEvery = 0,
        AnythingLlmEvery = 0,
        NamespaceModes = false,
    };

    /// <summary>Objects a view of every served resource holds.</summary>
    public int Total(bool withDaemonSets = true) =>
        Namespaces + Deployments + ReplicaSets + StatefulSets + Claims + Autoscalers + StorageClasses + (withDaemonSets ? DaemonSets : 0);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Deployments:N0} Deployments with {OwnedReplicaSets:N0} owned ReplicaSets, {StandaloneReplicaSets:N0} standalone ReplicaSets, " +
        $"{StatefulSets:N0} StatefulSets, {DaemonSets:N0} DaemonSets, {Claims:N0} claims, {Autoscalers:N0} HPAs, {Namespaces:N0} namespaces, " +
        $"{StorageClasses} StorageClasses");

    public string NamespaceName(int index) => $"ns-{index}";

    /// <summary>The rwx-guard.io/mode label of namespace <paramref name="index"/>; null: none (enforce).</summary>
    public string? NamespaceMode(int index) => !NamespaceModes ? null : (index % 7) switch { 3 => "warn", 5 => "audit", _ => null };

    /// <summary>The namespace of the <paramref name="i"/>-th object of a kind (and of everything tied to it).</summary>
    public string NamespaceOf(int i) => NamespaceName(NamespaceIndexOf(i));

    public int NamespaceIndexOf(int i)
    {
        if (!Uneven) return i % Namespaces;
        var big = Math.Max(1, Namespaces / 10 - 1); // ns-1 … ns-big
        var rest = Namespaces - 1 - big;             // the others
        return (i % 10) switch
        {
            0 => 0,
            < 5 => 1 + (i / 10 * 4 + i % 10 - 1) % big,
            _ => rest > 0 ? 1 + big + (i / 10 * 5 + i % 10 - 5) % rest : 1 + (i / 10) % big,
        };
    }

    /// <summary>Deployment i's claim is ReadWriteMany on efs-sc (and the Deployment has 2 replicas).</summary>
    public bool SharedClaim(int i) => SharedClaimEvery > 0 && i % SharedClaimEvery == 0;

    /// <summary>Claim i carries AnythingLLM's chart label (the mutation's selector).</summary>
    public bool AnythingLlmClaim(int i) => AnythingLlmEvery > 0 && i % AnythingLlmEvery == 3;

    /// <summary>Replicas of Deployment i: 2 on a shared claim, 1 otherwise (a denial if scaled up on its RWO claim).</summary>
    public int DeploymentReplicas(int i) => SharedClaim(i) ? 2 : 1;

    /// <summary>The Deployment HPA j scales: alternately one on a shared claim and one on a single-attach claim.</summary>
    public int AutoscalerTarget(int j) => Deployments == 0 ? 0 : (j * 5 + j % 2) % Deployments;

    /// <summary>
    /// The k-th of the Deployments, spread over the cluster, that mount a single-attach claim (the requests the load
    /// sends are built on these: their decision is a denial).
    /// </summary>
    public int SingleAttachApp(int k)
    {
        if (DeploymentClaims < 2) throw new InvalidOperationException("the shape has no Deployment mounting a single-attach claim");
        var i = (int)((long)k * 7919 % DeploymentClaims);
        while (SharedClaim(i)) i = (i + 1) % DeploymentClaims;
        return i;
    }
}
