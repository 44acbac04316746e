namespace RwxGuard.Domain;

/// <summary>Label and annotation keys with a meaning to rwx-guard or to Kubernetes.</summary>
public static class WellKnown
{
    /// <summary>Annotation rwx-guard writes on every claim it changes: what changed, from what, and why that class.</summary>
    public const string MutatedAnnotation = "rwx-guard.io/mutated";

    /// <summary>StorageClass annotation that marks a class as ReadWriteMany-capable ("true") or not ("false").</summary>
    public const string RwxClassAnnotation = "rwx-guard.io/rwx";

    /// <summary>StorageClass annotation of the cluster's default class.</summary>
    public const string DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";

    /// <summary>Namespace label whose value (enforce, warn, audit) sets the enforcement mode there (Policy:ModeLabel).</summary>
    public const string ModeLabel = "rwx-guard.io/mode";
}
