namespace RwxGuard.Mapping;

/// <summary>How much of an object its record keeps.</summary>
/// <param name="MaxItems">Claims, containers and labels kept per object; past it the record says it was cut.</param>
/// <param name="AllAnnotations">Keep every claim annotation (the mutator patches them), or only the ones a policy reads.</param>
/// <param name="Intern">One string instance per namespace name and StorageClass name, shared by every record.</param>
public sealed record Retention(int MaxItems, bool AllAnnotations, bool Intern)
{
    /// <summary>An object under admission, or read from manifests: everything it says (it is decided once, then dropped).</summary>
    public static readonly Retention Transient = new(int.MaxValue, AllAnnotations: true, Intern: false);

    /// <summary>
    /// An object kept in the cluster view for the life of the process. Bounded, so that a tenant's 1.5 MiB objects full
    /// of volumes cannot push every replica past its memory limit at once; a pod that really mounts more than 256 claims
    /// does not schedule on any node (attach limits are a few dozen).
    /// </summary>
    public static readonly Retention Cached = new(256, AllAnnotations: false, Intern: true);
}
