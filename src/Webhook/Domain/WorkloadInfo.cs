namespace RwxGuard.Domain;

public enum WorkloadKind
{
    Deployment,
    StatefulSet,
    ReplicaSet,
    /// <summary>One pod per eligible node: no replica count, no /scale, no autoscaler.</summary>
    DaemonSet,
}

/// <summary>spec.strategy of a Deployment; MaxSurge is the raw int-or-string ("25%", "1").</summary>
public sealed record RolloutStrategy(string Type, string? MaxSurge)
{
    /// <summary>What the API server fills in when a Deployment names no strategy.</summary>
    public static readonly RolloutStrategy DeploymentDefault = new("RollingUpdate", "25%");
}

/// <summary>The controller owner of an object (the ownerReference with controller: true).</summary>
public sealed record OwnerInfo(string ApiVersion, string Kind, string Name, string? Uid);

/// <summary>A Deployment, StatefulSet, ReplicaSet or DaemonSet reduced to replicas and pod template.</summary>
public sealed record WorkloadInfo
{
    public required WorkloadKind Kind { get; init; }
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    /// <summary>metadata.uid when known (objects read from the API or from captured manifests); for reports.</summary>
    public string? Uid { get; init; }
    /// <summary>spec.replicas as sent; null when absent (always, for a DaemonSet).</summary>
    public int? Replicas { get; init; }
    /// <summary>Deployments only; null for the other kinds.</summary>
    public RolloutStrategy? Strategy { get; init; }
    public PodTemplateInfo Template { get; init; } = PodTemplateInfo.None;
    public OwnerInfo? ControllerOwner { get; init; }

    /// <summary>The API server defaults an absent replicas field to 1 for the three replicated kinds. A DaemonSet has
    /// no replica count: its pods are counted by <c>ReplicaSource.PerNode</c>.</summary>
    public int EffectiveReplicas => Replicas ?? 1;

    public ObjectKey Key => new(Namespace, Name);

    public override string ToString() => $"{Kind} {Key}";
}

/// <summary>An autoscaling/v1 Scale (the /scale subresource). spec: {} means zero replicas.</summary>
public sealed record ScaleInfo(WorkloadKind TargetKind, string Namespace, string Name, int Replicas);

/// <summary>A HorizontalPodAutoscaler reduced to its target and bounds.</summary>
public sealed record HpaInfo
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    /// <summary>metadata.uid when known; for reports.</summary>
    public string? Uid { get; init; }
    public required string TargetApiVersion { get; init; }
    public required string TargetKind { get; init; }
    public required string TargetName { get; init; }
    public int MaxReplicas { get; init; }

    /// <summary>The workload kind the HPA scales, when it is one rwx-guard knows (apps/v1 only).</summary>
    public WorkloadKind? Target => TargetApiVersion.StartsWith("apps/", StringComparison.Ordinal) || TargetApiVersion == "extensions/v1beta1"
        ? TargetKind switch
        {
            "Deployment" => WorkloadKind.Deployment,
            "StatefulSet" => WorkloadKind.StatefulSet,
            "ReplicaSet" => WorkloadKind.ReplicaSet,
            _ => null,
        }
        : null;

    public ObjectKey Key => new(Namespace, Name);
}
