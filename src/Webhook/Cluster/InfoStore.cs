using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using RwxGuard.Mapping;
using RwxGuard.Domain;

namespace RwxGuard.Cluster;

/// <summary>
/// Domain records of one kind keyed by (namespace, name). One writer (the kind's loop), any number of lock-free
/// readers. A relist swaps in a whole new dictionary, so readers see either the old content or the new one.
/// </summary>
internal sealed class InfoStore<TInfo> where TInfo : class
{
    private ConcurrentDictionary<ObjectKey, TInfo> _items = new();

    private ConcurrentDictionary<ObjectKey, TInfo> Items => Volatile.Read(ref _items);

    public int Count => Items.Count;

    public bool TryGet(ObjectKey key, [MaybeNullWhen(false)] out TInfo value) => Items.TryGetValue(key, out value);

    public IReadOnlyList<TInfo> Values() => [.. Items.Values];

    public ConcurrentDictionary<ObjectKey, TInfo> Swap(ConcurrentDictionary<ObjectKey, TInfo> next) =>
        Interlocked.Exchange(ref _items, next);

    public TInfo? Set(ObjectKey key, TInfo value)
    {
        var items = Items;
        items.TryGetValue(key, out var previous);
        items[key] = value;
        return previous;
    }

    public TInfo? Remove(ObjectKey key) => Items.TryRemove(key, out var previous) ? previous : null;
}

/// <summary>Maps watched objects into an <see cref="InfoStore{TInfo}"/> and reports every change to the indexes.</summary>
internal sealed class StoreSink<T, TInfo>(
    string resource,
    InfoStore<TInfo> store,
    Func<T, TInfo> map,
    Action<TInfo?, TInfo?> changed,
    Action? afterChange,
    ILogger logger) : ICacheSink<T>
    where T : class, IObjectShape
    where TInfo : class
{
    public static ObjectKey KeyOf(T item) => new(item.Meta?.Namespace ?? "", item.Meta?.Name ?? "");

    public ICacheReplacement<T> BeginReplace() => new Replacement(this);

    private sealed class Replacement(StoreSink<T, TInfo> sink) : ICacheReplacement<T>
    {
        private readonly ConcurrentDictionary<ObjectKey, TInfo> _next = new();

        public int Count => _next.Count;

        public void Add(T item)
        {
            if (item.Meta?.Name is null) return;
            if (sink.TryMap(item, out var info)) _next[KeyOf(item)] = info;
        }

        public void Commit() => sink.Commit(_next);
    }

    private void Commit(ConcurrentDictionary<ObjectKey, TInfo> next)
    {
        var previous = store.Swap(next);
        foreach (var (key, old) in previous)
            if (!next.ContainsKey(key)) changed(old, null);
        foreach (var (key, info) in next)
            changed(previous.GetValueOrDefault(key), info);
        afterChange?.Invoke();
    }

    public void Upsert(T item)
    {
        if (item.Meta?.Name is null || !TryMap(item, out var info)) return;
        var old = store.Set(KeyOf(item), info);
        changed(old, info);
        afterChange?.Invoke();
    }

    public void Delete(T item)
    {
        if (item.Meta?.Name is null) return;
        if (store.Remove(KeyOf(item)) is { } old)
        {
            changed(old, null);
            afterChange?.Invoke();
        }
    }

    private bool TryMap(T item, [NotNullWhen(true)] out TInfo? info)
    {
        try
        {
            info = map(item);
            return true;
        }
        catch (Exception e)
        {
            // One odd object must not stop the cache: it is skipped and the error logged.
            ClusterLog.Unmappable(logger, resource, KeyOf(item).ToString(), e);
            info = null;
            return false;
        }
    }
}
