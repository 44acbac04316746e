namespace RwxGuard.Domain;

/// <summary>A StorageClass reduced to what the claim mutator needs.</summary>
public sealed record StorageClassInfo
{
    public required string Name { get; init; }
    public required string Provisioner { get; init; }
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = Empty.Labels;
    public bool IsDefault =>
        Annotations.TryGetValue(WellKnown.DefaultClassAnnotation, out var v) && v == "true";

    /// <summary>The StorageClass annotations the class choice reads.</summary>
    public static readonly IReadOnlySet<string> AnnotationsRead =
        new HashSet<string>([WellKnown.RwxClassAnnotation, WellKnown.DefaultClassAnnotation], StringComparer.Ordinal);
}
