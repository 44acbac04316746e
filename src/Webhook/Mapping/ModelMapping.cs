using k8s;
using k8s.Models;
using RwxGuard.Domain;

namespace RwxGuard.Mapping;

/// <summary>
/// Adapter of <see cref="RecordMapping"/> for KubernetesClient's models: what <c>webhook audit</c> loads from YAML and
/// what <c>migrate</c> and <c>verify</c> read from a cluster (<see cref="Retention.Transient"/>, the default). The cluster
/// view decodes into the minimal shapes instead (<see cref="ShapeMapping"/>); the tests' Mapping/BothAdapters runs each
/// case through both adapters so they cannot drift.
/// </summary>
public static class ModelMapping
{
    public static ClaimInfo ToClaim(V1PersistentVolumeClaim claim, Retention? retention = null)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var spec = claim.Spec;
        return RecordMapping.Claim(Meta(claim.Metadata), null, null, claim.Metadata?.Labels, claim.Metadata?.Annotations,
            spec?.AccessModes, claim.Status?.AccessModes, claim.Status?.Phase, spec?.StorageClassName, spec?.VolumeName,
            spec?.DataSource is not null || spec?.DataSourceRef is not null, retention ?? Retention.Transient);
    }

    public static WorkloadInfo ToWorkload(V1Deployment deployment, Retention? retention = null) =>
        Workload(WorkloadKind.Deployment, deployment, deployment.Spec?.Replicas, deployment.Spec?.Template,
            RecordMapping.Strategy(deployment.Spec?.Strategy?.Type, deployment.Spec?.Strategy?.RollingUpdate?.MaxSurge?.Value),
            retention);

    // volumeClaimTemplates are per pod: never shared, never listed.
    public static WorkloadInfo ToWorkload(V1StatefulSet statefulSet, Retention? retention = null) =>
        Workload(WorkloadKind.StatefulSet, statefulSet, statefulSet.Spec?.Replicas, statefulSet.Spec?.Template, null, retention);

    public static WorkloadInfo ToWorkload(V1ReplicaSet replicaSet, Retention? retention = null) =>
        Workload(WorkloadKind.ReplicaSet, replicaSet, replicaSet.Spec?.Replicas, replicaSet.Spec?.Template, null, retention);

    // One pod per eligible node: no spec.replicas, and its updateStrategy has no surge this policy reads.
    public static WorkloadInfo ToWorkload(V1DaemonSet daemonSet, Retention? retention = null) =>
        Workload(WorkloadKind.DaemonSet, daemonSet, null, daemonSet.Spec?.Template, null, retention);

    /// <summary>A Deployment, StatefulSet, ReplicaSet or DaemonSet (as loaded from YAML); null for any other object.</summary>
    public static WorkloadInfo? ToWorkload(object? obj) => obj switch
    {
        V1Deployment d => ToWorkload(d),
        V1StatefulSet s => ToWorkload(s),
        V1ReplicaSet r => ToWorkload(r),
        V1DaemonSet ds => ToWorkload(ds),
        _ => null,
    };

    private static WorkloadInfo Workload(WorkloadKind kind, IKubernetesObject<V1ObjectMeta> workload, int? replicas,
        V1PodTemplateSpec? template, RolloutStrategy? strategy, Retention? retention)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var keep = retention ?? Retention.Transient;
        var owner = RecordMapping.ControllerOwner(workload.Metadata?.OwnerReferences?.Where(o => o is not null)
            .Select(o => new OwnerFields(o.ApiVersion, o.Kind, o.Name, o.Uid, o.Controller == true)));
        return RecordMapping.Workload(kind, Meta(workload.Metadata), null, null, replicas, strategy, ToPodTemplate(template, keep),
            owner, keep);
    }

    public static PodTemplateInfo ToPodTemplate(V1PodTemplateSpec? template, Retention retention) =>
        template?.Spec is not { } spec
            ? PodTemplateInfo.None
            : RecordMapping.PodTemplate(spec.Volumes?.Select(v => v?.PersistentVolumeClaim?.ClaimName), template.Metadata?.Labels,
                Containers(spec.Containers), Containers(spec.InitContainers), retention);

    public static HpaInfo ToHpa(V2HorizontalPodAutoscaler hpa, Retention? retention = null)
    {
        ArgumentNullException.ThrowIfNull(hpa);
        var target = hpa.Spec?.ScaleTargetRef;
        return RecordMapping.Autoscaler(Meta(hpa.Metadata), null, null, target?.ApiVersion, target?.Kind, target?.Name,
            hpa.Spec?.MaxReplicas, retention ?? Retention.Transient);
    }

    public static NamespaceInfo ToNamespace(V1Namespace ns, Retention? retention = null) =>
        RecordMapping.Namespace(ns.Metadata?.Name, ns.Metadata?.Labels, retention ?? Retention.Transient);

    public static StorageClassInfo ToStorageClass(V1StorageClass storageClass)
    {
        ArgumentNullException.ThrowIfNull(storageClass);
        return RecordMapping.StorageClass(storageClass.Metadata?.Name, storageClass.Provisioner, storageClass.Metadata?.Annotations);
    }

    private static MetaFields Meta(V1ObjectMeta? meta) => new(meta?.NamespaceProperty, meta?.Name, meta?.GenerateName, meta?.Uid);

    private static IEnumerable<ContainerFields>? Containers(IList<V1Container>? containers) =>
        containers?.Where(c => c is not null).Select(c => new ContainerFields(c.Image,
            c.Env?.Where(e => e is not null).Select(e => new EnvFields(e.Name, e.Value, e.ValueFrom is not null)) ?? [],
            c.EnvFrom is { Count: > 0 }));
}
