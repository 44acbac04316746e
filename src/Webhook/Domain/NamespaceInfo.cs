namespace RwxGuard.Domain;

/// <summary>A Namespace reduced to its labels (where cluster admins set the enforcement mode).</summary>
public sealed record NamespaceInfo
{
    public required string Name { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Labels;
}
