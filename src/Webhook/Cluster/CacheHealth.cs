namespace RwxGuard.Cluster;

/// <summary>
/// Sync state, connection health and counters of one cache. Written by its loop only; read from any thread
/// (lookups check it on every call, so reads are lock-free).
/// </summary>
/// <param name="firstSynced">Called once, by the loop, when the first list has completed.</param>
internal sealed class CacheHealth(string resource, Action? firstSynced = null)
{
    private const long Healthy = long.MinValue;

    private volatile bool _synced;
    private long _failingSinceUtcTicks = Healthy;
    private volatile string? _lastError;
    private volatile string? _resourceVersion;
    private long _lists;
    private long _relists;
    private long _watchRestarts;
    private long _failures;

    public string Resource { get; } = resource;
    public bool Synced => _synced;
    public string? LastError => _lastError;
    public string? ResourceVersion => _resourceVersion;
    public long Lists => Interlocked.Read(ref _lists);
    public long Relists => Interlocked.Read(ref _relists);
    public long WatchRestarts => Interlocked.Read(ref _watchRestarts);
    public long Failures => Interlocked.Read(ref _failures);

    public DateTimeOffset? FailingSince
    {
        get
        {
            var ticks = Interlocked.Read(ref _failingSinceUtcTicks);
            return ticks == Healthy ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Failing for longer than <paramref name="staleAfter"/>.</summary>
    public bool IsStale(DateTimeOffset now, TimeSpan staleAfter)
    {
        var ticks = Interlocked.Read(ref _failingSinceUtcTicks);
        return ticks != Healthy && now.UtcTicks - ticks > staleAfter.Ticks;
    }

    public void ListCompleted(string? resourceVersion)
    {
        Interlocked.Increment(ref _lists);
        _resourceVersion = resourceVersion;
        if (_synced) return;
        _synced = true;
        firstSynced?.Invoke();
    }

    public void RelistStarted() => Interlocked.Increment(ref _relists);

    public void WatchRestarted() => Interlocked.Increment(ref _watchRestarts);

    public void Progressed(string? resourceVersion)
    {
        if (!string.IsNullOrEmpty(resourceVersion)) _resourceVersion = resourceVersion;
    }

    /// <summary>Proof that the connection works: the failing state ends.</summary>
    /// <returns>When the run of failures that just ended had started; null when there was none.</returns>
    public DateTimeOffset? Succeeded()
    {
        var ticks = Interlocked.Exchange(ref _failingSinceUtcTicks, Healthy);
        return ticks == Healthy ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <returns>True when this failure starts a run of failures (the previous state was healthy).</returns>
    public bool Failed(string error, DateTimeOffset now)
    {
        Interlocked.Increment(ref _failures);
        _lastError = error;
        return Interlocked.CompareExchange(ref _failingSinceUtcTicks, now.UtcTicks, Healthy) == Healthy;
    }

    public ResourceCacheStats Snapshot(int objects) =>
        new(Resource, Synced, objects, Lists, Relists, WatchRestarts, Failures, FailingSince, LastError, ResourceVersion);
}
