namespace RwxGuard.Cluster;

/// <summary>A point-in-time snapshot of the cluster view, for telemetry and diagnostics.</summary>
public sealed record ClusterViewStats(bool Ready, IReadOnlyList<ResourceCacheStats> Caches)
{
    public ResourceCacheStats this[string resource] =>
        Caches.FirstOrDefault(c => c.Resource == resource) ?? throw new KeyNotFoundException(resource);
}

/// <summary>
/// One list-then-watch cache. Counters only grow.
/// </summary>
/// <param name="Resource">The API resource, plural: "persistentvolumeclaims".</param>
/// <param name="Synced">The first list has completed.</param>
/// <param name="Objects">Objects in the cache now.</param>
/// <param name="Lists">Completed lists (the first one included).</param>
/// <param name="Relists">Lists started after the first sync because the watch's resourceVersion expired (410).</param>
/// <param name="WatchRestarts">Watches opened after the first one following each list (normal timeouts and reconnects).</param>
/// <param name="Failures">Failed list or watch requests.</param>
/// <param name="FailingSince">When the current run of failures started; null while healthy.</param>
/// <param name="LastError">The last failure, described in one line.</param>
/// <param name="ResourceVersion">The resourceVersion the cache is at.</param>
public sealed record ResourceCacheStats(
    string Resource,
    bool Synced,
    int Objects,
    long Lists,
    long Relists,
    long WatchRestarts,
    long Failures,
    DateTimeOffset? FailingSince,
    string? LastError,
    string? ResourceVersion);
