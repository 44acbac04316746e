using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RwxGuard.Mapping;
using RwxGuard.Options;
using RwxGuard.Domain;

namespace RwxGuard.Cluster;

/// <summary>
/// The cluster view fed by list-then-watch caches of PersistentVolumeClaims, Deployments, StatefulSets, ReplicaSets,
/// DaemonSets, HorizontalPodAutoscalers (autoscaling/v2), StorageClasses and Namespaces (the table in the constructor). Lookups read in-memory dictionaries
/// only; the network is touched by the background loops started with <see cref="StartAsync"/>.
/// </summary>
public sealed class ClusterView : IClusterView, IAsyncDisposable
{
    private readonly record struct WorkloadRef(WorkloadKind Kind, string Name);

    private readonly record struct TargetKey(WorkloadKind Kind, string Namespace, string Name);

    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _staleAfter;

    private readonly InfoStore<ClaimInfo> _claims = new();
    private readonly Dictionary<WorkloadKind, InfoStore<WorkloadInfo>> _workloads =
        Enum.GetValues<WorkloadKind>().ToDictionary(kind => kind, _ => new InfoStore<WorkloadInfo>());
    private readonly InfoStore<HpaInfo> _autoscalers = new();
    private readonly InfoStore<StorageClassInfo> _storageClasses = new();
    private readonly InfoStore<NamespaceInfo> _namespaces = new();
    private volatile IReadOnlyList<StorageClassInfo> _storageClassList = [];

    // Indexes: written under _indexLock by the loops, read lock-free (values are immutable arrays swapped whole).
    private readonly Lock _indexLock = new();
    private readonly ConcurrentDictionary<ObjectKey, ImmutableArray<WorkloadRef>> _claimIndex = new();
    private readonly ConcurrentDictionary<TargetKey, ImmutableArray<string>> _autoscalerIndex = new();

    private readonly Lock _lifecycle = new();
    private CancellationTokenSource? _stop;
    private Task[] _running = [];

    public ClusterView(Kubernetes client, ClusterOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _staleAfter = TimeSpan.FromSeconds(options.StaleAfterSeconds);
        var api = new ApiTransport(client, _time);

        // The one table of what is watched: each entry lists and watches one resource into one store.
        _caches =
        [
            Cache(ResourceClients.PersistentVolumeClaims(api), _claims, c => ShapeMapping.ToClaim(c, null, null, Retention.Cached)),
            Cache(ResourceClients.DeploymentClient(api), _workloads[WorkloadKind.Deployment],
                d => ShapeMapping.ToWorkload(WorkloadKind.Deployment, d, null, null, Retention.Cached), OnWorkloadChanged),
            Cache(ResourceClients.StatefulSetClient(api), _workloads[WorkloadKind.StatefulSet],
                s => ShapeMapping.ToWorkload(WorkloadKind.StatefulSet, s, null, null, Retention.Cached), OnWorkloadChanged),
            Cache(ResourceClients.ReplicaSetClient(api), _workloads[WorkloadKind.ReplicaSet],
                r => ShapeMapping.ToWorkload(WorkloadKind.ReplicaSet, r, null, null, Retention.Cached), OnWorkloadChanged),
            Cache(ResourceClients.DaemonSetClient(api), _workloads[WorkloadKind.DaemonSet],
                d => ShapeMapping.ToWorkload(WorkloadKind.DaemonSet, d, null, null, Retention.Cached), OnWorkloadChanged),
            Cache(ResourceClients.AutoscalerClient(api), _autoscalers, h => ShapeMapping.ToHpa(h, null, null, Retention.Cached),
                OnAutoscalerChanged),
            Cache(ResourceClients.StorageClassClient(api), _storageClasses, ShapeMapping.ToStorageClass,
                afterChange: () => _storageClassList = [.. _storageClasses.Values().OrderBy(c => c.Name, StringComparer.Ordinal)]),
            Cache(ResourceClients.NamespaceClient(api), _namespaces, n => ShapeMapping.ToNamespace(n, Retention.Cached)),
        ];
    }

    /// <summary>One watched resource: its health, how many records it holds, and its list-then-watch loop.</summary>
    private sealed record CachedResource(CacheHealth Health, Func<int> Count, Func<LoopTimings, Func<CancellationToken, Task>> Loop);

    private readonly CachedResource[] _caches;

    private CachedResource Cache<T, TInfo>(ResourceClient<T> resource, InfoStore<TInfo> store, Func<T, TInfo> map,
        Action<TInfo?, TInfo?>? changed = null, Action? afterChange = null)
        where T : class, IObjectShape
        where TInfo : class
    {
        Interlocked.Increment(ref _unsynced);
        var health = new CacheHealth(resource.Resource, CacheSynced);
        var sink = new StoreSink<T, TInfo>(resource.Resource, store, map, changed ?? ((_, _) => { }), afterChange, _logger);
        return new CachedResource(health, () => store.Count,
            timings => new ListWatchLoop<T>(resource, sink, health, _options, timings, _time, _logger).RunAsync);
    }

    private int _unsynced;

    private void CacheSynced()
    {
        // Off the loop's thread: the loop goes on to its watch while the collection runs.
        if (Interlocked.Decrement(ref _unsynced) == 0) _ = Task.Run(() => StartupMemory.Return(_logger, this));
    }

    /// <summary>Request timeouts and the short-watch threshold; set before <see cref="StartAsync"/> (tests shorten them).</summary>
    internal LoopTimings Timings { get; init; } = LoopTimings.Default;


    /// <summary>Starts the list-then-watch loops in the background and returns at once.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_lifecycle)
        {
            if (_stop is not null) throw new InvalidOperationException("the cluster view is already started");
            _stop = new CancellationTokenSource();
            var stop = _stop.Token;
            _running = [.. _caches.Select(cache =>
                Task.Run(() => GuardAsync(cache.Loop(Timings), cache.Health.Resource, stop), CancellationToken.None))];
        }
        return Task.CompletedTask;
    }

    /// <summary>Stops the loops and waits for them (or for <paramref name="cancellationToken"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task[] running;
        lock (_lifecycle)
        {
            if (_stop is null) return;
            _stop.Cancel();
            running = _running;
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lifecycle)
            {
                if (running.All(t => t.IsCompleted))
                {
                    _stop?.Dispose();
                    _stop = null;
                    _running = [];
                }
            }
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task GuardAsync(Func<CancellationToken, Task> run, string resource, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await run(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug, not an API error (those are handled inside the loop): keep the cache alive anyway.
                ClusterLog.LoopCrashed(_logger, resource, e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(_options.BackoffMaxSeconds), _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }


    /// <summary>Every cache has completed its first list and none has been failing for longer than StaleAfterSeconds.</summary>
    public bool IsReady
    {
        get
        {
            var now = _time.GetUtcNow();
            foreach (var cache in _caches)
                if (!cache.Health.Synced || cache.Health.IsStale(now, _staleAfter)) return false;
            return true;
        }
    }

    public ClusterViewStatus Status
    {
        get
        {
            var now = _time.GetUtcNow();
            var notSynced = new List<string>();
            var stale = new List<string>();
            var reconnecting = new List<string>();
            foreach (var health in _caches.Select(c => c.Health))
            {
                var since = health.FailingSince;
                if (!health.Synced)
                    notSynced.Add(since is { } s
                        ? $"{health.Resource} (list failing since {Since(s, now)}: {health.LastError})"
                        : $"{health.Resource} (first list in progress)");
                else if (since is { } f)
                    (health.IsStale(now, _staleAfter) ? stale : reconnecting).Add($"{health.Resource} (failing since {Since(f, now)}: {health.LastError})");
            }

            var ready = notSynced.Count == 0 && stale.Count == 0;
            var detail = new StringBuilder();
            if (ready)
            {
                detail.Append("synced: ").AppendJoin(", ", _caches.Select(c => $"{c.Health.Resource} {c.Count()}"));
                if (reconnecting.Count > 0) detail.Append("; reconnecting: ").AppendJoin("; ", reconnecting);
            }
            else
            {
                var parts = new List<string>();
                if (notSynced.Count > 0) parts.Add("not synced: " + string.Join("; ", notSynced));
                if (stale.Count > 0)
                    parts.Add($"API connection failing for more than {_staleAfter.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s: " + string.Join("; ", stale));
                if (reconnecting.Count > 0) parts.Add("reconnecting: " + string.Join("; ", reconnecting));
                detail.AppendJoin("; ", parts);
            }
            return new ClusterViewStatus(false, ready, detail.ToString());
        }
    }

    private static string Since(DateTimeOffset since, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"{since.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} ({Math.Max(0, (now - since).TotalSeconds):0.#} s ago)");

    /// <summary>Counters for telemetry: objects per kind, lists, relists, watch restarts, failures.</summary>
    public ClusterViewStats GetStats() => new(IsReady, [.. _caches.Select(c => c.Health.Snapshot(c.Count()))]);

    public Lookup<NamespaceInfo> GetNamespace(string name)
    {
        if (!IsReady) return Lookup<NamespaceInfo>.Unavailable;
        return _namespaces.TryGet(new ObjectKey("", name), out var ns) ? Lookup<NamespaceInfo>.Found(ns) : Lookup<NamespaceInfo>.NotFound;
    }

    public Lookup<ClaimInfo> GetClaim(string @namespace, string name)
    {
        if (!IsReady) return Lookup<ClaimInfo>.Unavailable;
        return _claims.TryGet(new ObjectKey(@namespace, name), out var claim) ? Lookup<ClaimInfo>.Found(claim) : Lookup<ClaimInfo>.NotFound;
    }

    public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string name)
    {
        if (!IsReady) return Lookup<WorkloadInfo>.Unavailable;
        return Workloads(kind).TryGet(new ObjectKey(@namespace, name), out var workload)
            ? Lookup<WorkloadInfo>.Found(workload)
            : Lookup<WorkloadInfo>.NotFound;
    }

    /// <summary>Sorted by kind, then name; empty while the view is not ready (check <see cref="Status"/>).</summary>
    public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName)
    {
        if (!IsReady || !_claimIndex.TryGetValue(new ObjectKey(@namespace, claimName), out var refs)) return [];
        var result = new List<WorkloadInfo>(refs.Length);
        foreach (var workload in refs)
            if (Workloads(workload.Kind).TryGet(new ObjectKey(@namespace, workload.Name), out var info)) result.Add(info);
        if (result.Count > 1) result.Sort((a, b) => a.Kind != b.Kind ? a.Kind.CompareTo(b.Kind) : string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>Sorted by name; empty while the view is not ready (check <see cref="Status"/>).</summary>
    public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string name)
    {
        if (!IsReady || !_autoscalerIndex.TryGetValue(new TargetKey(kind, @namespace, name), out var names)) return [];
        var result = new List<HpaInfo>(names.Length);
        foreach (var hpa in names)
            if (_autoscalers.TryGet(new ObjectKey(@namespace, hpa), out var info)) result.Add(info);
        if (result.Count > 1) result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses =>
        IsReady ? Lookup<IReadOnlyList<StorageClassInfo>>.Found(_storageClassList) : Lookup<IReadOnlyList<StorageClassInfo>>.Unavailable;

    /// <summary>Every cached workload of every kind (for the background reporter); empty while not ready.</summary>
    public IReadOnlyList<WorkloadInfo> ListWorkloads() => IsReady ? [.. _workloads.Values.SelectMany(store => store.Values())] : [];

    /// <summary>Every cached claim (for the background reporter); empty while not ready.</summary>
    public IReadOnlyList<ClaimInfo> ListClaims() => IsReady ? _claims.Values() : [];

    private InfoStore<WorkloadInfo> Workloads(WorkloadKind kind) => _workloads[kind];


    private void OnWorkloadChanged(WorkloadInfo? old, WorkloadInfo? current)
    {
        var before = old?.Template.ClaimNames ?? [];
        var after = current?.Template.ClaimNames ?? [];
        if (before.SequenceEqual(after, StringComparer.Ordinal)) return;
        var any = current ?? old!;
        var workload = new WorkloadRef(any.Kind, any.Name);
        lock (_indexLock)
        {
            foreach (var claim in before.Except(after, StringComparer.Ordinal))
                Remove(_claimIndex, new ObjectKey(any.Namespace, claim), workload);
            foreach (var claim in after.Except(before, StringComparer.Ordinal))
                Add(_claimIndex, new ObjectKey(any.Namespace, claim), workload);
        }
    }

    private void OnAutoscalerChanged(HpaInfo? old, HpaInfo? current)
    {
        TargetKey? before = old?.Target is { } k1 ? new TargetKey(k1, old.Namespace, old.TargetName) : null;
        TargetKey? after = current?.Target is { } k2 ? new TargetKey(k2, current.Namespace, current.TargetName) : null;
        if (before == after) return;
        var name = (current ?? old)!.Name;
        lock (_indexLock)
        {
            if (before is { } b) Remove(_autoscalerIndex, b, name);
            if (after is { } a) Add(_autoscalerIndex, a, name);
        }
    }

    private static void Add<TKey, TValue>(ConcurrentDictionary<TKey, ImmutableArray<TValue>> index, TKey key, TValue value) where TKey : notnull
    {
        var current = index.TryGetValue(key, out var values) ? values : [];
        if (!current.Contains(value)) index[key] = current.Add(value);
    }

    private static void Remove<TKey, TValue>(ConcurrentDictionary<TKey, ImmutableArray<TValue>> index, TKey key, TValue value) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var values)) return;
        var remaining = values.Remove(value);
        if (remaining.IsEmpty) index.TryRemove(key, out _);
        else index[key] = remaining;
    }
}
