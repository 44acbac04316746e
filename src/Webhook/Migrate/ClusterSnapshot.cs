using k8s.Models;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Migrate;

/// <summary>deployment/NAME or statefulset/NAME, as given on the command line.</summary>
public sealed record WorkloadRef(WorkloadKind Kind, string Name)
{
    public static bool TryParse(string text, out WorkloadRef? workload)
    {
        workload = null;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1) return false;
        WorkloadKind? kind = text[..slash].ToLowerInvariant() switch
        {
            "deployment" or "deployments" or "deploy" or "deployment.apps" => WorkloadKind.Deployment,
            "statefulset" or "statefulsets" or "sts" or "statefulset.apps" => WorkloadKind.StatefulSet,
            _ => null,
        };
        if (kind is null) return false;
        workload = new WorkloadRef(kind.Value, text[(slash + 1)..]);
        return true;
    }

    /// <summary>The command-line argument's validator: names the token that is not deployment/NAME or statefulset/NAME.</summary>
    public static void Validate(System.CommandLine.Parsing.ArgumentResult result)
    {
        if (result.Tokens.Count > 0 && !TryParse(result.Tokens[0].Value, out _))
            result.AddError($"'{result.Tokens[0].Value}' is not deployment/NAME or statefulset/NAME");
    }

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}/{Name}";
}

/// <summary>A workload as read for the migration: the policy record plus what only the migration needs.</summary>
public sealed record SnapshotWorkload
{
    public required WorkloadInfo Info { get; init; }
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public long? FsGroup { get; init; }

    public WorkloadKind Kind => Info.Kind;
    public string Name => Info.Name;
}

/// <summary>One API permission the migration needs, and whether a SelfSubjectAccessReview allowed it.</summary>
public sealed record AccessCheck(string Verb, string Group, string Resource, string? Subresource, bool Namespaced, bool Allowed = true)
{
    public override string ToString() =>
        $"{Verb} {Resource}{(Subresource is null ? "" : "/" + Subresource)}{(Group.Length == 0 ? "" : "." + Group)}{(Namespaced ? "" : " (cluster)")}";
}

/// <summary>Everything the planner looks at, read from the cluster (or built by a test). No client in here.</summary>
public sealed record ClusterSnapshot
{
    public required string Namespace { get; init; }
    public SnapshotWorkload? Workload { get; init; }
    /// <summary>Deployments, StatefulSets and ReplicaSets of the namespace (for who else mounts the claim).</summary>
    public IReadOnlyList<SnapshotWorkload> Workloads { get; init; } = [];
    /// <summary>DaemonSets and bare pods (or pods of Jobs) that mount a claim: they cannot be scaled to 0.</summary>
    public IReadOnlyList<string> UnscalableMounters { get; init; } = [];
    public V1PersistentVolumeClaim? Claim { get; init; }
    public V1PersistentVolume? Volume { get; init; }
    public IReadOnlyList<StorageClassInfo> StorageClasses { get; init; } = [];
    /// <summary>volumeBindingMode per class (Immediate when absent).</summary>
    public IReadOnlyDictionary<string, string> BindingModes { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> NamespaceLabels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<AccessCheck> Access { get; init; } = [];
    public IReadOnlyList<HpaInfo> Autoscalers { get; init; } = [];
    /// <summary>Drivers of the cluster's VolumeSnapshotClasses; null when the snapshot API is not installed.</summary>
    public IReadOnlyList<string>? SnapshotDrivers { get; init; }
    /// <summary>A claim with the temporary claim's name that this migration did not create.</summary>
    public bool ForeignTemporaryClaim { get; init; }
    /// <summary>Answers of the server dry-run of the objects to create (empty: all accepted).</summary>
    public IReadOnlyList<string> DryRunErrors { get; init; } = [];
}
