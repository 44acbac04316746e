namespace RwxGuard.Domain;

/// <summary>What the policies need to know about one PersistentVolumeClaim.</summary>
public sealed record ClaimInfo
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    /// <summary>metadata.uid when known (objects read from the API or from captured manifests); for reports.</summary>
    public string? Uid { get; init; }
    public AccessModes SpecModes { get; init; }
    /// <summary>status.accessModes: the bound volume's real capabilities.</summary>
    public AccessModes StatusModes { get; init; }
    public bool Bound { get; init; }
    public string? StorageClassName { get; init; }
    public string? VolumeName { get; init; }
    /// <summary>spec.dataSource or spec.dataSourceRef is set (a clone or a restore).</summary>
    public bool HasDataSource { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Labels;
    /// <summary>All annotations of a claim under admission or from manifests; claims in the cluster view keep only
    /// <see cref="AnnotationsRead"/>.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = Empty.Labels;

    /// <summary>Bound claims report the volume's modes in status; until then only the request is known.</summary>
    public AccessModes EffectiveModes => Bound && StatusModes != AccessModes.None ? StatusModes : SpecModes;

    /// <summary>Neither ReadWriteMany nor ReadOnlyMany: only one node can attach it.</summary>
    public bool IsSingleAttach => (EffectiveModes & AccessModeSet.MultiAttach) == 0;

    public ObjectKey Key => new(Namespace, Name);

    /// <summary>The claim annotations a policy or report reads. Real claims carry several provisioner annotations each:
    /// the cluster view keeps only these (~0.5 KB less per claim).</summary>
    public static readonly IReadOnlySet<string> AnnotationsRead = new HashSet<string>([WellKnown.MutatedAnnotation], StringComparer.Ordinal);
}
