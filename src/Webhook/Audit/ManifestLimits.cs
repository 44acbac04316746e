namespace RwxGuard.Audit;

/// <summary>
/// How much manifest input the reader accepts: every bound a hostile or broken input could otherwise push into minutes
/// of CPU, gigabytes of memory or a stack overflow (docs/audit.md#limits, docs/reliability.md). Input past a limit is
/// refused with an error naming the file, never truncated. The defaults sit far above real manifests (a 5 MB
/// <c>helm template</c> output uses a fraction of each) and are what <c>webhook audit</c> uses; a caller reading from
/// another place (the server's manifest cluster view) passes its own.
/// </summary>
internal sealed record ManifestLimits
{
    public static ManifestLimits Default { get; } = new();

    /// <summary>Bytes of one file, or of stdin.</summary>
    public long MaxFileBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Bytes of all inputs together.</summary>
    public long MaxTotalBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Nesting of mappings and sequences (a document's top-level object is level 1).</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>YAML nodes (scalars, mappings, sequences) of one file, counted after alias expansion: bounds memory.</summary>
    public long MaxNodes { get; init; } = 4_000_000;

    /// <summary>Nodes that aliases (<c>*name</c>) add to one file, each counted with everything it expands to:
    /// bounds "billion laughs" amplification, which no byte limit catches.</summary>
    public long MaxAliasNodes { get; init; } = 100_000;
}
