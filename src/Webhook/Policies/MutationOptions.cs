namespace RwxGuard.Policies;

/// <summary>
/// Policy 2, the claim mutator (section "Mutation"). Read per request through LiveSettings, so edits to the
/// mounted settings file apply without a restart. Lists are null until configured: the configuration binder appends to
/// pre-filled lists instead of replacing them, so defaults live in the <c>Effective…</c> properties.
/// </summary>
public sealed class MutationOptions
{
    public const string Section = "Mutation";

    /// <summary>Which claims are changed: a claim matches when any selector matches. Null: <see cref="DefaultSelectors"/>.</summary>
    public List<ClaimSelectorOptions>? Selectors { get; set; }

    /// <summary>The RWX class for every namespace without its own setting. Must exist in the cluster to be used.</summary>
    public string? StorageClass { get; set; }

    /// <summary>Per-namespace settings, keyed by namespace name; they win over <see cref="StorageClass"/>.</summary>
    public Dictionary<string, NamespaceMutationOptions>? Namespaces { get; set; }

    /// <summary>
    /// Provisioners known to support ReadWriteMany, used to discover a class when none is configured; '*' matches any
    /// run of characters. Order matters: it is the first tie-break. Null: <see cref="DefaultRwxProvisioners"/>. Setting
    /// it replaces the whole list.
    /// </summary>
    public List<string>? RwxProvisioners { get; set; }

    /// <summary>No RWX-capable class is known (or rwx-guard runs offline): Warn (allow unchanged) or Deny.</summary>
    public RuleAction OnNoRwxClass { get; set; } = RuleAction.Warn;

    /// <summary>
    /// AnythingLLM's storage claim as real installs name it: the labels of its charts, any name containing
    /// anythingllm or anything-llm, and any claim an AnythingLLM workload in the cluster view already mounts.
    /// </summary>
    public static IReadOnlyList<ClaimSelectorOptions> DefaultSelectors { get; } =
    [
        // Official Helm chart (Mintplex-Labs/anything-llm cloud-deployments/helm/charts/anythingllm).
        new() { Labels = new() { ["app.kubernetes.io/name"] = "anythingllm" } },
        // Community charts and the manifests the problem was first reported against.
        new() { Labels = new() { ["app.kubernetes.io/name"] = "anything-llm" } },
        // Unlabeled claims named freely: the official raw manifest's anything-llm-volume-claim, anythingllm-storage,
        // anythingllm-pvc, pvc-anythingllm … Claim names are lowercase (RFC 1123), so these catch every spelling.
        new() { Names = ["*anythingllm*", "*anything-llm*"] },
        // Any claim a workload running AnythingLLM's image already mounts (a claim recreated under its Deployment:
        // restore from backup, migration), whatever the claim is called.
        new() { MountedByImages = [.. AnythingLlm.ImageNames] },
    ];

    /// <summary>CSI drivers (and legacy provisioners) whose volumes several nodes can mount read-write.</summary>
    public static IReadOnlyList<string> DefaultRwxProvisioners { get; } =
    [
        "efs.csi.aws.com",
        "file.csi.azure.com",
        "kubernetes.io/azure-file",
        "filestore.csi.storage.gke.io",
        "cephfs.csi.ceph.com",
        "*.cephfs.csi.ceph.com",
        "nfs.csi.k8s.io",
        "*nfs-subdir-external-provisioner",
    ];

    public IReadOnlyList<ClaimSelectorOptions> EffectiveSelectors => Selectors is { Count: > 0 } ? Selectors : DefaultSelectors;

    public IReadOnlyList<string> EffectiveRwxProvisioners =>
        RwxProvisioners is { Count: > 0 } ? RwxProvisioners : DefaultRwxProvisioners;

    /// <summary>The namespace's own class, when it has one.</summary>
    public string? NamespaceStorageClass(string @namespace) =>
        Namespaces is not null && Namespaces.TryGetValue(@namespace, out var settings) && !string.IsNullOrEmpty(settings.StorageClass)
            ? settings.StorageClass
            : null;
}

/// <summary>
/// One selector: every condition it sets must hold (labels AND name AND namespace AND mounting image); conditions it
/// leaves out are not checked. Names and values are patterns where '*' matches any run of characters.
/// </summary>
public sealed class ClaimSelectorOptions
{
    /// <summary>Label key → value pattern; each must be present and match.</summary>
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>Claim name patterns; one must match.</summary>
    public List<string>? Names { get; set; }

    /// <summary>Namespace patterns; one must match.</summary>
    public List<string>? Namespaces { get; set; }

    /// <summary>
    /// Image name patterns: a workload in the cluster view that mounts the claim must run one of them. An image's name is
    /// the last path segment of its repository, without registry, tag or digest (<c>anythingllm</c> for
    /// <c>registry.example/mintplexlabs/anythingllm:1.8.4@sha256:…</c>).
    /// </summary>
    public List<string>? MountedByImages { get; set; }
}

public sealed class NamespaceMutationOptions
{
    /// <summary>The RWX class for claims in this namespace.</summary>
    public string? StorageClass { get; set; }
}
