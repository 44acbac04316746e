using RwxGuard.Domain;

namespace RwxGuard.Mapping;

/// <summary>
/// Adapter of <see cref="RecordMapping"/> for the minimal shapes (<see cref="ObjectShapes"/>) that admission requests
/// and the cluster view's lists and watches are decoded into. For a request, its namespace and name are authoritative
/// (CREATE with generateName has none yet); the view passes none and keeps records bounded (<see cref="Retention.Cached"/>).
/// </summary>
public static class ShapeMapping
{
    public static WorkloadInfo ToWorkload(WorkloadKind kind, WorkloadObject obj, string? requestNamespace, string? requestName,
        Retention? retention = null)
    {
        var keep = retention ?? Retention.Transient;
        var owner = Owner(obj.Metadata);
        return RecordMapping.Workload(kind, Meta(obj.Metadata), requestNamespace, requestName, obj.Spec?.Replicas,
            obj.Spec?.Strategy is { } s ? RecordMapping.Strategy(s.Type, s.RollingUpdate?.MaxSurge) : null,
            ToTemplate(obj.Spec?.Template, keep, RecordMapping.KeepsOnlyClaims(kind, owner, keep)), owner, keep);
    }

    public static PodTemplateInfo ToTemplate(PodTemplate? template) => ToTemplate(template, Retention.Transient, claimsOnly: false);

    private static PodTemplateInfo ToTemplate(PodTemplate? template, Retention retention, bool claimsOnly) =>
        template?.Spec is not { } spec
            ? PodTemplateInfo.None
            : RecordMapping.PodTemplate(spec.Volumes?.Select(v => v?.PersistentVolumeClaim?.ClaimName),
                claimsOnly ? null : template.Metadata?.Labels,
                claimsOnly ? null : Containers(spec.Containers), claimsOnly ? null : Containers(spec.InitContainers), retention);

    public static ScaleInfo ToScale(WorkloadKind target, ScaleObject obj, string? requestNamespace, string? requestName) =>
        RecordMapping.Scale(target, Meta(obj.Metadata), requestNamespace, requestName, obj.Spec?.Replicas);

    public static ClaimInfo ToClaim(ClaimObject obj, string? requestNamespace, string? requestName, Retention? retention = null) =>
        RecordMapping.Claim(Meta(obj.Metadata), requestNamespace, requestName, obj.Metadata?.Labels, obj.Metadata?.Annotations,
            obj.Spec?.AccessModes, obj.Status?.AccessModes, obj.Status?.Phase, obj.Spec?.StorageClassName, obj.Spec?.VolumeName,
            obj.Spec?.DataSource is not null || obj.Spec?.DataSourceRef is not null, retention ?? Retention.Transient);

    public static HpaInfo ToHpa(HpaObject obj, string? requestNamespace, string? requestName, Retention? retention = null) =>
        RecordMapping.Autoscaler(Meta(obj.Metadata), requestNamespace, requestName, obj.Spec?.ScaleTargetRef?.ApiVersion,
            obj.Spec?.ScaleTargetRef?.Kind, obj.Spec?.ScaleTargetRef?.Name, obj.Spec?.MaxReplicas, retention ?? Retention.Transient);

    public static StorageClassInfo ToStorageClass(StorageClassObject obj) =>
        RecordMapping.StorageClass(obj.Metadata?.Name, obj.Provisioner, obj.Metadata?.Annotations);

    public static NamespaceInfo ToNamespace(NamespaceObject obj, Retention? retention = null) =>
        RecordMapping.Namespace(obj.Metadata?.Name, obj.Metadata?.Labels, retention ?? Retention.Transient);

    private static MetaFields Meta(ObjectMeta? meta) => new(meta?.Namespace, meta?.Name, meta?.GenerateName, meta?.Uid);

    private static OwnerInfo? Owner(ObjectMeta? meta) => RecordMapping.ControllerOwner(meta?.OwnerReferences?
        .Where(o => o is not null).Select(o => new OwnerFields(o.ApiVersion, o.Kind, o.Name, o.Uid, o.Controller == true)));

    private static IEnumerable<ContainerFields>? Containers(List<Container>? containers) =>
        containers?.Where(c => c is not null).Select(c => new ContainerFields(c.Image,
            c.Env?.Where(e => e is not null).Select(e => new EnvFields(e.Name, e.Value, e.ValueFrom is not null)) ?? [],
            c.EnvFrom is { Count: > 0 }));
}
