using k8s;
using k8s.Models;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Cluster;

/// <summary>
/// KubernetesClient models → the domain records the policies read. Shared by the watch-fed cluster view and by the
/// <c>audit</c> CLI (objects loaded with KubernetesYaml). Every method tolerates missing fields: objects from
/// manifests are not defaulted by an API server.
/// </summary>
public static class ModelMapping
{
    /// <summary>What the API server fills in for <c>spec.strategy.rollingUpdate.maxSurge</c>.</summary>
    public const string DefaultMaxSurge = "25%";

    public static ClaimInfo ToClaim(V1PersistentVolumeClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var spec = claim.Spec;
        return new ClaimInfo
        {
            Namespace = Shared(claim.Metadata?.NamespaceProperty),
            Name = claim.Metadata?.Name ?? "",
            Uid = claim.Metadata?.Uid,
            SpecModes = AccessModeSet.Parse(spec?.AccessModes),
            StatusModes = AccessModeSet.Parse(claim.Status?.AccessModes),
            Bound = claim.Status?.Phase == "Bound",
            StorageClassName = spec?.StorageClassName is { } storageClass ? string.Intern(storageClass) : null,
            VolumeName = string.IsNullOrEmpty(spec?.VolumeName) ? null : spec.VolumeName,
            HasDataSource = spec?.DataSource is not null || spec?.DataSourceRef is not null,
            Labels = Copy(claim.Metadata?.Labels),
            Annotations = Only(claim.Metadata?.Annotations, ClaimAnnotationsRead),
        };
    }

    public static WorkloadInfo ToWorkload(V1Deployment deployment) =>
        Workload(WorkloadKind.Deployment, deployment, deployment.Spec?.Replicas, deployment.Spec?.Template,
            ToStrategy(deployment.Spec?.Strategy));

    // volumeClaimTemplates are per pod: never shared, never listed.
    public static WorkloadInfo ToWorkload(V1StatefulSet statefulSet) =>
        Workload(WorkloadKind.StatefulSet, statefulSet, statefulSet.Spec?.Replicas, statefulSet.Spec?.Template, null);

    public static WorkloadInfo ToWorkload(V1ReplicaSet replicaSet) =>
        Workload(WorkloadKind.ReplicaSet, replicaSet, replicaSet.Spec?.Replicas, replicaSet.Spec?.Template, null);

    /// <summary>The three workload kinds differ only in where replicas, template and strategy sit.</summary>
    private static WorkloadInfo Workload(WorkloadKind kind, IKubernetesObject<V1ObjectMeta> workload, int? replicas,
        V1PodTemplateSpec? template, RolloutStrategy? strategy)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return new WorkloadInfo
        {
            Kind = kind,
            Namespace = Shared(workload.Metadata?.NamespaceProperty),
            Name = workload.Metadata?.Name ?? "",
            Uid = workload.Metadata?.Uid,
            Replicas = replicas,
            Strategy = strategy,
            Template = ToPodTemplate(template),
            ControllerOwner = ToControllerOwner(workload.Metadata),
            Labels = Copy(workload.Metadata?.Labels),
        };
    }

    /// <summary>A Deployment, StatefulSet or ReplicaSet (as loaded from YAML); null for any other object.</summary>
    public static WorkloadInfo? ToWorkload(object? obj) => obj switch
    {
        V1Deployment d => ToWorkload(d),
        V1StatefulSet s => ToWorkload(s),
        V1ReplicaSet r => ToWorkload(r),
        _ => null,
    };

    /// <summary>
    /// spec.strategy of a Deployment. No strategy, or RollingUpdate without rollingUpdate/maxSurge, is what the API
    /// server defaults: RollingUpdate with maxSurge 25%. Recreate has no surge.
    /// </summary>
    public static RolloutStrategy ToStrategy(V1DeploymentStrategy? strategy)
    {
        var type = string.IsNullOrEmpty(strategy?.Type) ? "RollingUpdate" : strategy.Type;
        if (type != "RollingUpdate") return new RolloutStrategy(type, null);
        var maxSurge = strategy?.RollingUpdate?.MaxSurge?.Value;
        return new RolloutStrategy(type, string.IsNullOrEmpty(maxSurge) ? DefaultMaxSurge : maxSurge);
    }

    public static PodTemplateInfo ToPodTemplate(V1PodTemplateSpec? template)
    {
        if (template is null) return PodTemplateInfo.None;
        var spec = template.Spec;

        var claims = new List<string>();
        var seenClaims = new HashSet<string>(StringComparer.Ordinal); // not List.Contains: quadratic on huge pod specs
        foreach (var volume in spec?.Volumes ?? [])
        {
            // Only persistentVolumeClaim volumes are shared by every pod; generic ephemeral volumes are per pod.
            var claimName = volume?.PersistentVolumeClaim?.ClaimName;
            if (!string.IsNullOrEmpty(claimName) && seenClaims.Add(claimName)) claims.Add(claimName);
        }

        var images = new List<string>();
        var seenImages = new HashSet<string>(StringComparer.Ordinal);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var hasEnvFrom = false;
        // Main containers first so their values win over init containers' on a name clash.
        foreach (var container in (spec?.Containers ?? []).Concat(spec?.InitContainers ?? []))
        {
            if (container is null) continue;
            if (!string.IsNullOrEmpty(container.Image) && seenImages.Add(container.Image))
                images.Add(container.Image);
            foreach (var variable in container.Env ?? [])
            {
                // valueFrom (secrets, config maps, fields) cannot be resolved here; an absent value is "".
                if (variable?.Name is null || variable.ValueFrom is not null) continue;
                if (!AnythingLlm.EnvironmentRead.Contains(variable.Name)) continue; // the rest is never read, only held
                env.TryAdd(variable.Name, variable.Value ?? "");
            }
            if (container.EnvFrom is { Count: > 0 }) hasEnvFrom = true;
        }

        return new PodTemplateInfo
        {
            ClaimNames = claims,
            Labels = Copy(template.Metadata?.Labels),
            Images = images,
            Env = env,
            HasEnvFrom = hasEnvFrom,
        };
    }

    /// <summary>The ownerReference with <c>controller: true</c>, if any.</summary>
    public static OwnerInfo? ToControllerOwner(V1ObjectMeta? metadata)
    {
        var owner = metadata?.OwnerReferences?.FirstOrDefault(o => o?.Controller == true);
        return owner is null ? null : new OwnerInfo(owner.Kind ?? "", owner.Name ?? "");
    }

    public static HpaInfo ToHpa(V2HorizontalPodAutoscaler hpa)
    {
        ArgumentNullException.ThrowIfNull(hpa);
        var target = hpa.Spec?.ScaleTargetRef;
        return new HpaInfo
        {
            Namespace = Shared(hpa.Metadata?.NamespaceProperty),
            Name = hpa.Metadata?.Name ?? "",
            Uid = hpa.Metadata?.Uid,
            TargetApiVersion = target?.ApiVersion ?? "",
            TargetKind = target?.Kind ?? "",
            TargetName = target?.Name ?? "",
            MaxReplicas = hpa.Spec?.MaxReplicas ?? 0,
            MinReplicas = hpa.Spec?.MinReplicas,
        };
    }

    public static NamespaceInfo ToNamespace(V1Namespace ns) => new()
    {
        Name = ns.Metadata?.Name ?? "",
        Labels = ns.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : new Dictionary<string, string>(),
    };

    public static StorageClassInfo ToStorageClass(V1StorageClass storageClass)
    {
        ArgumentNullException.ThrowIfNull(storageClass);
        return new StorageClassInfo
        {
            Name = storageClass.Metadata?.Name ?? "",
            Provisioner = storageClass.Provisioner ?? "",
            Annotations = Copy(storageClass.Metadata?.Annotations),
            Labels = Copy(storageClass.Metadata?.Labels),
        };
    }

    /// <summary>
    /// The claim annotations a policy or report reads. The cluster view holds every claim of the cluster, and real
    /// claims carry several provisioner annotations each: keeping only these saves ~0.5 KB per claim.
    /// </summary>
    public static readonly IReadOnlySet<string> ClaimAnnotationsRead = new HashSet<string>([WellKnown.MutatedAnnotation], StringComparer.Ordinal);

    /// <summary>
    /// Namespace names repeat across every object in them: one string instance per namespace instead of one per
    /// object. Interned for the life of the process, which a cluster's namespace names (a bounded set) can afford.
    /// </summary>
    private static string Shared(string? ns) => ns is null ? "" : string.Intern(ns);

    private static IReadOnlyDictionary<string, string> Only(IDictionary<string, string>? source, IReadOnlySet<string> keys)
    {
        if (source is null || source.Count == 0) return NoEntries;
        Dictionary<string, string>? kept = null;
        foreach (var key in keys)
            if (source.TryGetValue(key, out var value))
                (kept ??= new Dictionary<string, string>(StringComparer.Ordinal))[key] = value;
        return kept ?? NoEntries;
    }

    private static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>();

    private static IReadOnlyDictionary<string, string> Copy(IDictionary<string, string>? source) =>
        source is null || source.Count == 0 ? NoEntries : new Dictionary<string, string>(source, StringComparer.Ordinal);
}
