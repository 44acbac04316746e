using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>One change, as a watch streams it.</summary>
public sealed record WatchEvent(long Revision, string Type, ResourceType Resource, JsonObject Object);

/// <summary>
/// etcd plus the generic registry of kube-apiserver, in memory: one global resourceVersion that every write bumps,
/// optimistic concurrency (a write carrying a stale resourceVersion is a 409 Conflict), finalizers (a delete sets
/// deletionTimestamp and the object stays until its last finalizer is removed), the status subresource (writes to the
/// object keep its status; writes to /status change only status), metadata.generation bumped on spec changes, PVC
/// spec immutability, etcd's 1.5 MiB object limit, and a bounded event history for watches (older revisions answer
/// 410 Expired). Everything happens under one lock, <see cref="Gate"/>, which controllers take too.
/// </summary>
public sealed partial class ObjectStore
{
    /// <summary>etcd's default <c>--max-request-bytes</c>.</summary>
    public const int MaxObjectBytes = 1_572_864;

    private readonly Dictionary<string, (ResourceType Type, JsonObject Object)> _objects = new(StringComparer.Ordinal);
    private readonly List<WatchEvent> _history = [];
    private readonly List<(Channel<WatchEvent> Channel, Func<WatchEvent, bool> Filter)> _watchers = [];
    private long _revision = 100;

    public object Gate { get; } = new();

    /// <summary>How many events watches can replay; older starting points answer 410 Expired.</summary>
    public int HistoryLimit { get; set; } = 10_000;

    /// <summary>Revisions at or below this are compacted: a watch or continue token from before it gets 410.</summary>
    public long CompactedRevision { get; private set; }

    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Run on every object before it is first stored (what admission plugins do: default class, finalizers).</summary>
    public List<Action<ResourceType, JsonObject>> AdmissionPlugins { get; } = [];

    public long Revision { get { lock (Gate) return _revision; } }

    /// <summary>Forgets the event history: watches from any earlier revision now get 410 Expired.</summary>
    public void Compact()
    {
        lock (Gate)
        {
            CompactedRevision = _revision;
            _history.Clear();
        }
    }

    public JsonObject? Get(ResourceType type, string? @namespace, string name)
    {
        lock (Gate) return _objects.TryGetValue(Key(type, @namespace, name), out var entry) ? entry.Object.Clone() : null;
    }

    public JsonObject GetOrThrow(ResourceType type, string? @namespace, string name) =>
        Get(type, @namespace, name) ?? throw ApiError.NotFound(type, name);

    /// <summary>Objects of a type (in a namespace, or everywhere), sorted by namespace and name, as etcd's key order.</summary>
    public IReadOnlyList<JsonObject> List(ResourceType type, string? @namespace = null, LabelSelector? selector = null)
    {
        lock (Gate)
        {
            var prefix = type.Key + "/" + (type.Namespaced && !string.IsNullOrEmpty(@namespace) ? @namespace + "/" : "");
            return _objects.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => e.Value.Object)
                .Where(o => selector is null || selector.Matches(o.Labels()))
                .Select(o => o.Clone())
                .ToList();
        }
    }

    public JsonObject Create(ResourceType type, string? @namespace, JsonObject body, bool dryRun = false)
    {
        lock (Gate)
        {
            var obj = body.Clone();
            var meta = obj.Metadata();
            var name = (string?)meta["name"];
            if (string.IsNullOrEmpty(name))
            {
                var generate = (string?)meta["generateName"];
                if (string.IsNullOrEmpty(generate))
                    throw ApiError.Invalid(type, "", "metadata.name: Required value: name or generateName is required");
                name = generate + RandomSuffix();
                meta["name"] = name;
            }
            ValidateName(type, name);
            if (type.Namespaced)
            {
                if (string.IsNullOrEmpty(@namespace))
                    throw ApiError.Invalid(type, name, "metadata.namespace: Required value");
                var bodyNamespace = (string?)meta["namespace"];
                if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != @namespace)
                    throw new ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
                meta["namespace"] = @namespace;
            }
            var key = Key(type, @namespace, name);
            if (_objects.ContainsKey(key)) throw ApiError.AlreadyExists(type, name);

            obj["apiVersion"] = type.ApiVersion;
            obj["kind"] = type.Kind;
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta["generation"] = 1L;
            meta.Remove("deletionTimestamp");
            meta.Remove("resourceVersion");
            foreach (var plugin in AdmissionPlugins) plugin(type, obj);
            CheckSize(obj);
            if (dryRun)
            {
                meta["resourceVersion"] = "";
                return obj;
            }
            return Store(type, key, obj, "ADDED");
        }
    }

    /// <summary>PUT: replaces the object. <paramref name="subresource"/> "status" changes only status; otherwise status
    /// is kept for types that have a status subresource.</summary>
    public JsonObject Replace(ResourceType type, string? @namespace, string name, JsonObject body, string? subresource = null,
        bool dryRun = false)
    {
        lock (Gate)
        {
            var key = Key(type, @namespace, name);
            if (!_objects.TryGetValue(key, out var entry)) throw ApiError.NotFound(type, name);
            var current = entry.Object;
            var bodyVersion = body.ResourceVersion();
            if (bodyVersion.Length > 0 && bodyVersion != current.ResourceVersion()) throw ApiError.Conflict(type, name);
            if (body.Name().Length > 0 && body.Name() != name)
                throw new ApiError(400, "BadRequest", $"the name of the object ({body.Name()}) does not match the name on the URL ({name})");

            JsonObject next;
            if (subresource == "status")
            {
                next = current.Clone();
                next["status"] = body["status"]?.DeepClone();
            }
            else
            {
                next = body.Clone();
                if (type.HasStatus) next["status"] = current["status"]?.DeepClone();
                if (type == ResourceType.Claims) CheckClaimSpec(current, next);
                var meta = next.Metadata();
                foreach (var kept in new[] { "uid", "creationTimestamp", "deletionTimestamp", "namespace", "name", "generation" })
                    meta[kept] = current["metadata"]![kept]?.DeepClone();
                if (current.Metadata()["deletionTimestamp"] is null) meta.Remove("deletionTimestamp");
                if (!JsonNode.DeepEquals(current["spec"], next["spec"]))
                    meta["generation"] = long.Parse(current.Metadata()["generation"]?.ToString() ?? "1", System.Globalization.CultureInfo.InvariantCulture) + 1;
            }
            next["apiVersion"] = type.ApiVersion;
            next["kind"] = type.Kind;
            CheckSize(next);
            if (dryRun) return next;
            if (next.IsDeleting() && next.Finalizers().Count == 0) return Remove(type, key, next);
            return Store(type, key, next, "MODIFIED");
        }
    }

    /// <summary>Read, change, write under the lock: what a controller does (it never loses a race).</summary>
    public JsonObject? Mutate(ResourceType type, string? @namespace, string name, Action<JsonObject> change)
    {
        lock (Gate)
        {
            var key = Key(type, @namespace, name);
            if (!_objects.TryGetValue(key, out var entry)) return null;
            var next = entry.Object.Clone();
            change(next);
            if (JsonNode.DeepEquals(next, entry.Object)) return next;
            if (next.IsDeleting() && next.Finalizers().Count == 0) return Remove(type, key, next);
            return Store(type, key, next, "MODIFIED");
        }
    }

    public JsonObject Delete(ResourceType type, string? @namespace, string name, string? preconditionUid = null,
        string? preconditionVersion = null, bool dryRun = false)
    {
        lock (Gate)
        {
            var key = Key(type, @namespace, name);
            if (!_objects.TryGetValue(key, out var entry)) throw ApiError.NotFound(type, name);
            var current = entry.Object;
            if (preconditionUid is not null && preconditionUid != current.Uid())
                throw new ApiError(409, "Conflict", $"Operation cannot be fulfilled on {type.Plural} \"{name}\": Precondition failed: " +
                                                    $"UID in precondition: {preconditionUid}, UID in object meta: {current.Uid()}", type, name);
            if (preconditionVersion is not null && preconditionVersion != current.ResourceVersion())
                throw ApiError.Conflict(type, name);
            if (dryRun) return current.Clone();
            if (current.Finalizers().Count > 0)
            {
                if (current.IsDeleting()) return current.Clone();
                var next = current.Clone();
                next.Metadata()["deletionTimestamp"] = Now();
                return Store(type, key, next, "MODIFIED");
            }
            return Remove(type, key, current.Clone());
        }
    }

    /// <summary>Events after <paramref name="fromRevision"/> for the watch, then every new one through the channel.</summary>
    public (IReadOnlyList<WatchEvent> Backlog, ChannelReader<WatchEvent> Live, Action Stop) Watch(long fromRevision, Func<WatchEvent, bool> filter)
    {
        lock (Gate)
        {
            if (fromRevision < CompactedRevision)
                throw ApiError.Expired($"too old resource version: {fromRevision} ({CompactedRevision})");
            var backlog = _history.Where(e => e.Revision > fromRevision && filter(e)).ToList();
            var channel = Channel.CreateUnbounded<WatchEvent>();
            var watcher = (channel, filter);
            _watchers.Add(watcher);
            return (backlog, channel.Reader, () => { lock (Gate) _watchers.Remove(watcher); channel.Writer.TryComplete(); });
        }
    }

    public string Now() => Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private JsonObject Store(ResourceType type, string key, JsonObject obj, string eventType)
    {
        obj.Metadata()["resourceVersion"] = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects[key] = (type, obj);
        Publish(new WatchEvent(_revision, eventType, type, obj.Clone()));
        return obj.Clone();
    }

    private JsonObject Remove(ResourceType type, string key, JsonObject obj)
    {
        _objects.Remove(key);
        obj.Metadata()["resourceVersion"] = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Publish(new WatchEvent(_revision, "DELETED", type, obj.Clone()));
        return obj.Clone();
    }

    private void Publish(WatchEvent e)
    {
        _history.Add(e);
        if (_history.Count > HistoryLimit)
        {
            CompactedRevision = _history[0].Revision;
            _history.RemoveAt(0);
        }
        foreach (var (channel, filter) in _watchers)
            if (filter(e)) channel.Writer.TryWrite(e);
    }

    /// <summary>PersistentVolumeClaim spec: only resources.requests (and volumeAttributesClassName), plus volumeName
    /// while it is empty, may change after creation.</summary>
    private static void CheckClaimSpec(JsonObject current, JsonObject next)
    {
        var before = current["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        var after = next["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        foreach (var spec in new[] { before, after })
        {
            spec.Remove("resources");
            spec.Remove("volumeAttributesClassName");
        }
        if (string.IsNullOrEmpty((string?)before["volumeName"])) after.Remove("volumeName");
        before.Remove("volumeName");
        after.Remove("volumeName");
        if (!JsonNode.DeepEquals(before, after))
            throw ApiError.Invalid(ResourceType.Claims, next.Name(),
                "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
    }

    private static void CheckSize(JsonObject obj)
    {
        if (Encoding.UTF8.GetByteCount(obj.ToJsonString()) > MaxObjectBytes) throw ApiError.TooLargeForEtcd();
    }

    private static void ValidateName(ResourceType type, string name)
    {
        if (name.Length > 253 || !DnsSubdomain().IsMatch(name))
            throw ApiError.Invalid(type, name, $"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of " +
                                               "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
    }

    private static string Key(ResourceType type, string? @namespace, string name) =>
        type.Key + "/" + (type.Namespaced ? (@namespace ?? "") + "/" : "") + name;

    private static string RandomSuffix()
    {
        const string chars = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => chars[Random.Shared.Next(chars.Length)]));
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
