namespace RwxGuard.Domain;

/// <summary>A StorageClass reduced to what the claim mutator needs.</summary>
public sealed record StorageClassInfo
{
    public required string Name { get; init; }
    public required string Provisioner { get; init; }
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = Empty.Labels;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Labels;
    public bool IsDefault =>
        Annotations.TryGetValue(WellKnown.DefaultClassAnnotation, out var v) && v == "true";
}
