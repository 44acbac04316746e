using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Wire;

/// <summary>Wire shapes → the records the policies decide over.</summary>
public static class WireMapping
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    public static WorkloadInfo ToWorkload(WorkloadKind kind, WorkloadObject obj, string? requestNamespace, string? requestName)
    {
        var meta = obj.Metadata;
        var spec = obj.Spec;
        return new WorkloadInfo
        {
            Kind = kind,
            Namespace = NamespaceOf(meta, requestNamespace),
            Name = NameOf(meta, requestName),
            Replicas = spec?.Replicas,
            Strategy = kind == WorkloadKind.Deployment ? ToStrategy(spec?.Strategy) : null,
            Template = ToTemplate(spec?.Template),
            ControllerOwner = meta?.OwnerReferences?.FirstOrDefault(o => o?.Controller == true) is { } owner
                ? new OwnerInfo(owner.Kind ?? "", owner.Name ?? "")
                : null,
            Labels = meta?.Labels ?? NoLabels,
        };
    }

    /// <summary>Only the type and rollingUpdate.maxSurge matter; the API server defaults both before webhooks run,
    /// but requests built by hand (and the CLI's manifests) may omit them, so default the same way here.</summary>
    private static RolloutStrategy ToStrategy(DeploymentStrategy? strategy)
    {
        if (strategy is null) return RolloutStrategy.DeploymentDefault;
        var type = string.IsNullOrEmpty(strategy.Type) ? "RollingUpdate" : strategy.Type;
        var maxSurge = type == "RollingUpdate" ? strategy.RollingUpdate?.MaxSurge ?? "25%" : null;
        return new RolloutStrategy(type, maxSurge);
    }

    public static PodTemplateInfo ToTemplate(PodTemplate? template)
    {
        var spec = template?.Spec;
        if (spec is null) return PodTemplateInfo.None;

        var claims = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal); // not List.Contains: quadratic in hostile pod specs
        foreach (var volume in spec.Volumes ?? [])
        {
            var claim = volume?.PersistentVolumeClaim?.ClaimName; // a null element ([null]) is skipped, not a crash
            if (!string.IsNullOrEmpty(claim) && seen.Add(claim)) claims.Add(claim);
        }

        var images = new List<string>();
        Dictionary<string, string>? env = null;
        var hasEnvFrom = false;
        foreach (var container in Containers(spec))
        {
            if (!string.IsNullOrEmpty(container.Image)) images.Add(container.Image);
            hasEnvFrom |= container.EnvFrom is { Count: > 0 };
            foreach (var variable in container.Env ?? [])
            {
                if (variable?.Name is null || variable.Value is null) continue;
                env ??= new Dictionary<string, string>(StringComparer.Ordinal);
                env.TryAdd(variable.Name, variable.Value);
            }
        }

        return new PodTemplateInfo
        {
            ClaimNames = claims,
            Labels = template?.Metadata?.Labels ?? NoLabels,
            Images = images,
            Env = env ?? NoLabels,
            HasEnvFrom = hasEnvFrom,
        };
    }

    private static IEnumerable<Container> Containers(PodSpec spec) =>
        (spec.InitContainers ?? []).Concat(spec.Containers ?? []).Where(c => c is not null);

    /// <summary>A Scale without spec.replicas means zero: that is how scale-to-zero arrives (<c>"spec": {}</c>).</summary>
    public static ScaleInfo ToScale(WorkloadKind target, ScaleObject obj, string? requestNamespace, string? requestName) =>
        new(target, NamespaceOf(obj.Metadata, requestNamespace), NameOf(obj.Metadata, requestName), obj.Spec?.Replicas ?? 0);

    public static ClaimInfo ToClaim(ClaimObject obj, string? requestNamespace, string? requestName) => new()
    {
        Namespace = NamespaceOf(obj.Metadata, requestNamespace),
        Name = NameOf(obj.Metadata, requestName),
        SpecModes = AccessModeSet.Parse(obj.Spec?.AccessModes),
        StatusModes = AccessModeSet.Parse(obj.Status?.AccessModes),
        Bound = obj.Status?.Phase == "Bound",
        StorageClassName = obj.Spec?.StorageClassName,
        VolumeName = string.IsNullOrEmpty(obj.Spec?.VolumeName) ? null : obj.Spec.VolumeName,
        HasDataSource = obj.Spec?.DataSource is not null || obj.Spec?.DataSourceRef is not null,
        Labels = obj.Metadata?.Labels ?? NoLabels,
        Annotations = obj.Metadata?.Annotations ?? NoLabels,
    };

    public static HpaInfo ToHpa(HpaObject obj, string? requestNamespace, string? requestName) => new()
    {
        Namespace = NamespaceOf(obj.Metadata, requestNamespace),
        Name = NameOf(obj.Metadata, requestName),
        TargetApiVersion = obj.Spec?.ScaleTargetRef?.ApiVersion ?? "",
        TargetKind = obj.Spec?.ScaleTargetRef?.Kind ?? "",
        TargetName = obj.Spec?.ScaleTargetRef?.Name ?? "",
        MaxReplicas = obj.Spec?.MaxReplicas ?? 0,
        MinReplicas = obj.Spec?.MinReplicas,
    };

    // The request's namespace is authoritative: objects created with `kubectl create -n x` may not carry it.
    private static string NamespaceOf(ObjectMeta? meta, string? requestNamespace) =>
        !string.IsNullOrEmpty(requestNamespace) ? requestNamespace : meta?.Namespace ?? "";

    // generateName objects have no name yet at CREATE: show the prefix the way kubectl does ("web-").
    private static string NameOf(ObjectMeta? meta, string? requestName) =>
        !string.IsNullOrEmpty(meta?.Name) ? meta.Name
        : !string.IsNullOrEmpty(requestName) ? requestName
        : meta?.GenerateName ?? "";
}
