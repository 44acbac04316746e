namespace RwxGuard.Options;

public enum ClusterConnection
{
    /// <summary>In-cluster service account, then --kubeconfig, $KUBECONFIG, ~/.kube/config; none: offline.</summary>
    Auto,
    InCluster,
    Kubeconfig,
    Offline,
    /// <summary>No API server: the view is read once, at start, from the manifests in Cluster:Manifests (--cluster-manifests).</summary>
    Manifests,
}

/// <summary>How the cluster view gets each resource's initial state.</summary>
public enum InitialList
{
    /// <summary>A watch-list (Kubernetes 1.32+: the state streamed as events, then changes, in one request), falling back
    /// to paginated lists for good once the API server refuses one.</summary>
    Auto,
    /// <summary>Paginated lists (limit/continue), then a watch.</summary>
    Paged,
}

/// <summary>How the cluster view connects and keeps its watches alive. Flags: --kubeconfig, --cluster-manifests.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    public ClusterConnection Connection { get; set; } = ClusterConnection.Auto;
    public string? Kubeconfig { get; set; }
    public InitialList InitialList { get; set; } = InitialList.Auto;
    /// <summary>
    /// A manifest file or directory (*.yaml, *.yml, *.json, read like <c>webhook audit -f</c>) to take the cluster view
    /// from, for demos, CI and air-gapped trials. Setting it selects <see cref="ClusterConnection.Manifests"/>.
    /// </summary>
    public string? Manifests { get; set; }
    /// <summary>Items per page when listing (the apiserver's limit/continue).</summary>
    public int ListPageSize { get; set; } = 500;
    /// <summary>Server-side timeout of one watch request; the watch then resumes from its last resourceVersion.</summary>
    public int WatchTimeoutSeconds { get; set; } = 300;
    public double BackoffInitialSeconds { get; set; } = 0.5;
    public double BackoffMaxSeconds { get; set; } = 30;
    /// <summary>A watch that has been failing this long makes the view (and /readyz) unavailable.</summary>
    public double StaleAfterSeconds { get; set; } = 30;
}
