namespace RwxGuard.Domain;

/// <summary>One container or init container, reduced to what the AnythingLLM rules read.</summary>
public sealed record ContainerInfo
{
    public string Image { get; init; } = "";
    /// <summary>
    /// The variables of <see cref="EnvironmentRead"/> this container sets, reduced as that table says (never a whole
    /// connection string). A null value: set through <c>valueFrom</c> (a Secret or ConfigMap key), which admission
    /// cannot see.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Env { get; init; } = Empty.Env;
    /// <summary><c>envFrom</c> is set: any variable may come from a ConfigMap or Secret that admission cannot see.</summary>
    public bool HasEnvFrom { get; init; }
    public bool Init { get; init; }
}

/// <summary>The parts of a pod template that decide whether pods share storage, and what runs in them.</summary>
public sealed record PodTemplateInfo
{
    /// <summary>Claims named by <c>persistentVolumeClaim.claimName</c> volumes: shared by every pod.
    /// StatefulSet volumeClaimTemplates and generic ephemeral volumes are per pod and never listed.</summary>
    public IReadOnlyList<string> ClaimNames { get; init; } = [];
    /// <summary>The pod template's labels that a policy reads (<see cref="LabelsRead"/>).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Labels;
    /// <summary>Main containers first, then init containers.</summary>
    public IReadOnlyList<ContainerInfo> Containers { get; init; } = [];
    /// <summary>Records kept in the cluster view are bounded (<c>Retention.Cached</c>): true when claims or containers
    /// past the bound were left out. Admitted objects are never cut.</summary>
    public bool Truncated { get; init; }

    public IEnumerable<string> Images => Containers.Select(c => c.Image).Where(i => i.Length > 0);

    public static readonly PodTemplateInfo None = new();

    /// <summary>The only pod template label a policy reads (AnythingLLM's charts set it).</summary>
    public static readonly IReadOnlySet<string> LabelsRead = new HashSet<string>(["app.kubernetes.io/name"], StringComparer.Ordinal);
}
