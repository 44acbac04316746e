using RwxGuard.Domain;

namespace RwxGuard.Mapping;

/// <summary>The identity fields of an object's metadata.</summary>
internal readonly record struct MetaFields(string? Namespace, string? Name, string? GenerateName, string? Uid);

internal readonly record struct OwnerFields(string? ApiVersion, string? Kind, string? Name, string? Uid, bool Controller);

/// <param name="FromSource">Set through valueFrom: the value is not in the object.</param>
internal readonly record struct EnvFields(string? Name, string? Value, bool FromSource);

internal readonly record struct ContainerFields(string? Image, IEnumerable<EnvFields> Env, bool HasEnvFrom);

/// <summary>
/// The one mapping from Kubernetes objects to the records the policies read. Adapters (<see cref="ShapeMapping"/> for
/// the minimal shapes admission decodes, <see cref="ModelMapping"/> for KubernetesClient's models) only project their
/// fields; every decision about what a record holds is made here, so admission, the cluster view, the reporter and
/// <c>webhook audit</c> cannot disagree. Every method tolerates missing fields: manifests are not defaulted by an API
/// server.
/// </summary>
internal static class RecordMapping
{
    /// <summary>What the API server fills in for <c>spec.strategy.rollingUpdate.maxSurge</c>.</summary>
    public const string DefaultMaxSurge = "25%";

    public static WorkloadInfo Workload(WorkloadKind kind, MetaFields meta, string? requestNamespace, string? requestName,
        int? replicas, RolloutStrategy? strategy, PodTemplateInfo template, OwnerInfo? owner, Retention retention) => new()
        {
            Kind = kind,
            Namespace = NamespaceOf(meta, requestNamespace, retention),
            Name = NameOf(meta, requestName),
            Uid = meta.Uid,
            // A DaemonSet has no spec.replicas; a request that carries one anyway does not make it a replica count.
            Replicas = kind == WorkloadKind.DaemonSet ? null : replicas,
            Strategy = kind == WorkloadKind.Deployment ? strategy ?? RolloutStrategy.DeploymentDefault : null,
            Template = template,
            ControllerOwner = owner,
        };

    /// <summary>
    /// spec.strategy of a Deployment. No strategy, or RollingUpdate without maxSurge, is what the API server defaults:
    /// RollingUpdate with maxSurge 25%. Recreate has no surge.
    /// </summary>
    public static RolloutStrategy Strategy(string? type, string? maxSurge)
    {
        var effective = string.IsNullOrEmpty(type) ? "RollingUpdate" : type;
        if (effective != "RollingUpdate") return new RolloutStrategy(effective, null);
        return string.IsNullOrEmpty(maxSurge) ? RolloutStrategy.DeploymentDefault : new RolloutStrategy(effective, maxSurge);
    }

    /// <summary>
    /// Claims once each in volume order (a hash set, not List.Contains: hostile pod specs list tens of thousands);
    /// containers main first, so what a pod runs comes before what prepares it.
    /// </summary>
    public static PodTemplateInfo PodTemplate(IEnumerable<string?>? claimNames, IEnumerable<KeyValuePair<string, string>>? labels,
        IEnumerable<ContainerFields>? containers, IEnumerable<ContainerFields>? initContainers, Retention retention)
    {
        var truncated = false;
        var claims = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in claimNames ?? [])
        {
            if (string.IsNullOrEmpty(name) || !seen.Add(name)) continue;
            if (claims.Count == retention.MaxItems) { truncated = true; break; }
            claims.Add(name);
        }

        var kept = new List<ContainerInfo>();
        foreach (var (list, init) in new[] { (containers, false), (initContainers, true) })
        {
            foreach (var container in list ?? [])
            {
                if (kept.Count == retention.MaxItems) { truncated = true; break; }
                kept.Add(Container(container, init));
            }
        }

        return new PodTemplateInfo
        {
            // Arrays of the exact size, and one shared empty one: the view holds a template per workload.
            ClaimNames = claims.Count == 0 ? [] : claims.ToArray(),
            Labels = Only(labels, PodTemplateInfo.LabelsRead),
            Containers = kept.Count == 0 ? [] : kept.ToArray(),
            Truncated = truncated,
        };
    }

    private static ContainerInfo Container(ContainerFields container, bool init)
    {
        Dictionary<string, string?>? env = null;
        foreach (var variable in container.Env)
        {
            if (variable.Name is not { } name || !EnvironmentRead.IsRead(name)) continue; // the rest is never read
            // A later entry with the same name wins, as in the kubelet.
            (env ??= new Dictionary<string, string?>(StringComparer.Ordinal))[name] =
                variable.FromSource ? null : EnvironmentRead.Reduce(name, variable.Value ?? "");
        }
        return new ContainerInfo
        {
            Image = container.Image ?? "",
            Env = env ?? Empty.Env,
            HasEnvFrom = container.HasEnvFrom,
            Init = init,
        };
    }

    /// <summary>
    /// A ReplicaSet controlled by an apps/v1 Deployment, kept in the view: it is decided through its Deployment, so the
    /// view keeps only the claims it mounts (to tell which claims it uses if its owner cannot be verified), not its
    /// containers. A Deployment keeps up to 10 old ReplicaSets, each with the whole pod template: they are most of the
    /// workload objects of a real cluster.
    /// </summary>
    public static bool KeepsOnlyClaims(WorkloadKind kind, OwnerInfo? owner, Retention retention) =>
        retention == Retention.Cached && kind == WorkloadKind.ReplicaSet
        && owner is { ApiVersion: "apps/v1", Kind: "Deployment" };

    /// <summary>The ownerReference with <c>controller: true</c>, if any.</summary>
    public static OwnerInfo? ControllerOwner(IEnumerable<OwnerFields>? owners)
    {
        foreach (var owner in owners ?? [])
            if (owner.Controller)
                return new OwnerInfo(Known(owner.ApiVersion ?? "", "apps/v1"), Known(owner.Kind ?? "", "Deployment"), owner.Name ?? "", owner.Uid);
        return null;
    }

    /// <summary>The literal when the decoded text equals it: every owned ReplicaSet names the same owner apiVersion and
    /// kind, and the view keeps one instance instead of one per object (tens of thousands of ReplicaSets).</summary>
    private static string Known(string value, string literal) => value == literal ? literal : value;

    /// <summary>A Scale without spec.replicas means zero: that is how scale-to-zero arrives (<c>"spec": {}</c>).</summary>
    public static ScaleInfo Scale(WorkloadKind target, MetaFields meta, string? requestNamespace, string? requestName, int? replicas) =>
        new(target, NamespaceOf(meta, requestNamespace, Retention.Transient), NameOf(meta, requestName), replicas ?? 0);

    public static ClaimInfo Claim(MetaFields meta, string? requestNamespace, string? requestName,
        IEnumerable<KeyValuePair<string, string>>? labels, IEnumerable<KeyValuePair<string, string>>? annotations,
        IEnumerable<string>? specModes, IEnumerable<string>? statusModes, string? phase, string? storageClassName,
        string? volumeName, bool hasDataSource, Retention retention) => new()
        {
            Namespace = NamespaceOf(meta, requestNamespace, retention),
            Name = NameOf(meta, requestName),
            Uid = meta.Uid,
            SpecModes = AccessModeSet.Parse(specModes),
            StatusModes = AccessModeSet.Parse(statusModes),
            Bound = phase == "Bound",
            StorageClassName = storageClassName is null ? null : Share(storageClassName, retention),
            VolumeName = string.IsNullOrEmpty(volumeName) ? null : volumeName,
            HasDataSource = hasDataSource,
            // Claim selectors match any label, so all are kept (bounded).
            Labels = Copy(labels, retention),
            Annotations = retention.AllAnnotations ? Copy(annotations, retention) : Only(annotations, ClaimInfo.AnnotationsRead),
        };

    public static HpaInfo Autoscaler(MetaFields meta, string? requestNamespace, string? requestName, string? targetApiVersion,
        string? targetKind, string? targetName, int? maxReplicas, Retention retention) => new()
        {
            Namespace = NamespaceOf(meta, requestNamespace, retention),
            Name = NameOf(meta, requestName),
            Uid = meta.Uid,
            TargetApiVersion = targetApiVersion ?? "",
            TargetKind = targetKind ?? "",
            TargetName = targetName ?? "",
            MaxReplicas = maxReplicas ?? 0,
        };

    public static StorageClassInfo StorageClass(string? name, string? provisioner, IEnumerable<KeyValuePair<string, string>>? annotations) => new()
    {
        Name = name ?? "",
        Provisioner = provisioner ?? "",
        Annotations = Only(annotations, StorageClassInfo.AnnotationsRead),
    };

    public static NamespaceInfo Namespace(string? name, IEnumerable<KeyValuePair<string, string>>? labels, Retention retention) => new()
    {
        Name = name ?? "",
        Labels = Copy(labels, retention),
    };

    // The request's namespace is authoritative: objects created with `kubectl create -n x` may not carry it.
    private static string NamespaceOf(MetaFields meta, string? requestNamespace, Retention retention) =>
        !string.IsNullOrEmpty(requestNamespace) ? requestNamespace : Share(meta.Namespace ?? "", retention);

    // generateName objects have no name yet at CREATE: show the prefix the way kubectl does ("web-").
    private static string NameOf(MetaFields meta, string? requestName) =>
        !string.IsNullOrEmpty(meta.Name) ? meta.Name
        : !string.IsNullOrEmpty(requestName) ? requestName
        : meta.GenerateName ?? "";

    /// <summary>
    /// Namespace and class names repeat across every object that names them: one instance each instead of one per
    /// object. Interned for the life of the process, which a cluster's names (a bounded set) can afford.
    /// </summary>
    private static string Share(string value, Retention retention) => retention.Intern ? string.Intern(value) : value;

    private const int MaxSharedKeys = 4096;
    // Seeded with the recommended labels (and the usual Helm ones), so they are shared even once the pool is full.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> SharedKeys = new(
        new[]
        {
            "app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
            "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "helm.sh/chart",
        }.Select(k => KeyValuePair.Create(k, k)), StringComparer.Ordinal);

    private static string SharedKey(string key) =>
        SharedKeys.TryGetValue(key, out var shared) ? shared
        : SharedKeys.Count < MaxSharedKeys ? SharedKeys.GetOrAdd(key, key)
        : key;

    private static IReadOnlyDictionary<string, string> Only(IEnumerable<KeyValuePair<string, string>>? source, IReadOnlySet<string> keys)
    {
        Dictionary<string, string>? kept = null;
        foreach (var (key, value) in source ?? [])
            if (keys.Contains(key))
                (kept ??= new Dictionary<string, string>(StringComparer.Ordinal))[key] = value;
        return kept ?? Empty.Labels;
    }

    /// <summary>
    /// Kept in the view (<see cref="Retention.Intern"/>): label keys are shared (a cluster uses a handful, on every
    /// object) and the table is trimmed to its count (grown one by one, a dictionary of 8 labels has room for 17).
    /// Keys are anyone's text, so they are pooled up to <see cref="MaxSharedKeys"/>, never interned for good.
    /// </summary>
    private static IReadOnlyDictionary<string, string> Copy(IEnumerable<KeyValuePair<string, string>>? source, Retention retention)
    {
        Dictionary<string, string>? copy = null;
        foreach (var (key, value) in source ?? [])
        {
            copy ??= new Dictionary<string, string>(StringComparer.Ordinal);
            if (copy.Count == retention.MaxItems) break;
            copy[retention.Intern ? SharedKey(key) : key] = value;
        }
        if (copy is null) return Empty.Labels;
        if (retention.Intern) copy.TrimExcess();
        return copy;
    }
}
