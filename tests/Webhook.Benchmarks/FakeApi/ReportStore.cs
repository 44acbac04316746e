using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using RwxGuard.Benchmarks.Shape;
using RwxGuard.Tests.Infrastructure.FakeKube;

namespace RwxGuard.Benchmarks.FakeApi;

/// <summary>
/// The objects the webhook's reporter writes (Leases, <c>wgpolicyk8s.io/v1alpha2</c> PolicyReports, <c>openreports.io</c>
/// Reports), kept as the API server keeps them: create (409 AlreadyExists), get (404), replace (409 Conflict on a stale
/// resourceVersion), delete, list with labelSelector and limit/continue, uid, creationTimestamp, resourceVersion,
/// generation and managedFields added. A body over 3 MiB is 413 (kube-apiserver's --max-request-body-bytes); a stored
/// object over 1.5 MiB is etcd's "request is too large" (a 500). Bodies are kept gzip-compressed, so a 10× cluster's
/// reports cost the benchmark process a few MB, and nothing is kept of replaced versions.
/// </summary>
public sealed class ReportStore
{
    public const int MaxRequestBodyBytes = 3 * 1024 * 1024;

    /// <summary>etcd's default --max-request-bytes.</summary>
    public const int MaxObjectBytes = 1536 * 1024;

    public static readonly IReadOnlyList<ResourceType> Types = [ResourceType.Leases, ResourceType.PolicyReports, ResourceType.OpenReports];

    private sealed record Stored(string Uid, string ResourceVersion, long Generation, string ContentHash, byte[] Gzip, int Bytes,
        IReadOnlyDictionary<string, string> Labels);

    /// <summary>What was asked of one type and what it holds.</summary>
    public sealed class TypeCounters
    {
        public long Creates, Replaces, Deletes, Gets, Lists, Conflicts, NotFound, TooLarge, BytesWritten, LargestObject;
        /// <summary>When the first object of the type was stored.</summary>
        public DateTimeOffset? FirstWrite;
    }

    private readonly ConcurrentDictionary<(ResourceType Type, string Namespace, string Name), Stored> _objects = new();
    private readonly ConcurrentDictionary<ResourceType, TypeCounters> _counters = new();
    private readonly Lock _write = new();
    private long _resourceVersion = 500_000_000;

    public TypeCounters Counters(ResourceType type) => _counters.GetOrAdd(type, _ => new TypeCounters());

    public int Count(ResourceType type) => _objects.Keys.Count(k => k.Type == type);

    /// <summary>Uncompressed bytes of the stored objects of <paramref name="type"/>.</summary>
    public long StoredBytes(ResourceType type) => _objects.Where(o => o.Key.Type == type).Sum(o => (long)o.Value.Bytes);

    /// <summary>The stored object as the API server would return it; null if there is none.</summary>
    public JsonObject? Get(ResourceType type, string @namespace, string name) =>
        _objects.TryGetValue((type, @namespace, name), out var stored) ? JsonNode.Parse(Unzip(stored.Gzip))!.AsObject() : null;

    /// <summary>spec.holderIdentity of a Lease, or null.</summary>
    public string? LeaseHolder(string @namespace, string name) => Get(ResourceType.Leases, @namespace, name)?["spec"]?["holderIdentity"]?.GetValue<string>();

    public void Map(WebApplication app)
    {
        foreach (var type in Types)
        {
            var collection = (type.Group.Length == 0 ? $"/api/{type.Version}" : $"/apis/{type.Group}/{type.Version}") + "/namespaces/{ns}/" + type.Plural;
            app.MapPost(collection, (HttpContext http, string ns) => WriteAsync(http, type, ns, null));
            app.MapGet(collection, (HttpContext http, string ns) => ListAsync(http, type, ns));
            app.MapGet(type.Path(), (HttpContext http) => ListAsync(http, type, null));
            app.MapGet(collection + "/{name}", (HttpContext http, string ns, string name) => GetAsync(http, type, ns, name));
            app.MapPut(collection + "/{name}", (HttpContext http, string ns, string name) => WriteAsync(http, type, ns, name));
            app.MapDelete(collection + "/{name}", (HttpContext http, string ns, string name) => DeleteAsync(http, type, ns, name));
        }
    }

    private async Task GetAsync(HttpContext http, ResourceType type, string ns, string name)
    {
        Interlocked.Increment(ref Counters(type).Gets);
        if (!_objects.TryGetValue((type, ns, name), out var stored))
        {
            await NotFoundAsync(http, type, name);
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(Unzip(stored.Gzip));
    }

    private Task NotFoundAsync(HttpContext http, ResourceType type, string name)
    {
        Interlocked.Increment(ref Counters(type).NotFound);
        return new ApiAnswer(ApiError.NotFound(type, name)).WriteAsync(http);
    }

    private async Task DeleteAsync(HttpContext http, ResourceType type, string ns, string name)
    {
        Interlocked.Increment(ref Counters(type).Deletes);
        if (!_objects.TryRemove((type, ns, name), out var removed))
        {
            await NotFoundAsync(http, type, name);
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(ObjectBuilder.Json(new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success",
            ["details"] = new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Plural, ["uid"] = removed.Uid },
        }));
    }

    /// <summary>POST (create, <paramref name="name"/> null) or PUT (replace).</summary>
    private async Task WriteAsync(HttpContext http, ResourceType type, string ns, string? name)
    {
        var counters = Counters(type);
        var body = await ReadBodyAsync(http);
        if (body is null)
        {
            await new ApiAnswer(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxRequestBodyBytes}").WriteAsync(http);
            return;
        }
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            await new ApiAnswer(400, "BadRequest", $"the object provided is unrecognized: {e.Message}").WriteAsync(http);
            return;
        }
        if (CheckIdentity(obj, type, ns, name) is { } invalid)
        {
            await invalid.WriteAsync(http);
            return;
        }
        var metadata = obj["metadata"]!.AsObject();
        var objectName = metadata["name"]!.GetValue<string>();
        var key = (type, ns, objectName);
        var manager = http.Request.Headers.UserAgent.ToString().Split('/', ' ')[0] is { Length: > 0 } agent ? agent : "unknown";

        ApiAnswer? refused;
        byte[] json;
        lock (_write)
        {
            _objects.TryGetValue(key, out var existing);
            refused = (name, existing) switch
            {
                (null, not null) => new ApiAnswer(ApiError.AlreadyExists(type, objectName)),
                (not null, null) => new ApiAnswer(ApiError.NotFound(type, objectName)),
                (not null, not null) when metadata["resourceVersion"]?.GetValue<string>() is { Length: > 0 } version && version != existing.ResourceVersion
                    => new ApiAnswer(ApiError.Conflict(type, objectName)),
                _ => null,
            };
            if (refused is not null)
            {
                if (refused.Code == 409 && name is not null) Interlocked.Increment(ref counters.Conflicts);
                if (refused.Code == 404) Interlocked.Increment(ref counters.NotFound);
                json = [];
            }
            else
            {
                var hash = ContentHash(obj);
                var version = Interlocked.Increment(ref _resourceVersion).ToString();
                var generation = existing is null ? 1 : existing.ContentHash == hash ? existing.Generation : existing.Generation + 1;
                var uid = existing?.Uid ?? Guid.NewGuid().ToString();
                metadata["namespace"] = ns;
                metadata["uid"] = uid;
                metadata["resourceVersion"] = version;
                metadata["generation"] = generation;
                metadata["creationTimestamp"] ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
                metadata.Remove("managedFields");
                var paths = obj.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata")).Append("metadata.labels").ToArray();
                ObjectBuilder.AddManagedFields(obj, type.ApiVersion, (manager, null, DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"), paths));
                json = Encoding.UTF8.GetBytes(ObjectBuilder.Json(obj));
                if (json.Length > MaxObjectBytes)
                {
                    Interlocked.Increment(ref counters.TooLarge);
                    refused = new ApiAnswer(ApiError.TooLargeForEtcd());
                }
                else
                {
                    var labels = metadata["labels"] is JsonObject l
                        ? l.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "")
                        : new Dictionary<string, string>();
                    _objects[key] = new Stored(uid, version, generation, hash, Zip(json), json.Length, labels);
                    counters.FirstWrite ??= DateTimeOffset.UtcNow;
                    if (name is null) Interlocked.Increment(ref counters.Creates);
                    else Interlocked.Increment(ref counters.Replaces);
                    Interlocked.Add(ref counters.BytesWritten, json.Length);
                    InterlockedMax(ref counters.LargestObject, json.Length);
                }
            }
        }
        if (refused is not null)
        {
            await refused.WriteAsync(http);
            return;
        }
        http.Response.StatusCode = name is null ? 201 : 200;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(json);
    }

    /// <summary>The checks the API server makes before storing: a name, the URL's name and namespace, the type's kind.</summary>
    private static ApiAnswer? CheckIdentity(JsonObject obj, ResourceType type, string ns, string? urlName)
    {
        if (obj["metadata"] is not JsonObject metadata || metadata["name"]?.GetValue<string>() is not { Length: > 0 } bodyName)
            return new ApiAnswer(ApiError.Invalid(type, "", "metadata.name: Required value: name or generateName is required"));
        if (urlName is not null && bodyName != urlName)
            return new ApiAnswer(400, "BadRequest", $"the name of the object ({bodyName}) does not match the name on the URL ({urlName})");
        if (metadata["namespace"]?.GetValue<string>() is { Length: > 0 } bodyNs && bodyNs != ns)
            return new ApiAnswer(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        var kind = obj["kind"]?.GetValue<string>();
        var apiVersion = obj["apiVersion"]?.GetValue<string>();
        if ((kind is not null && kind != type.Kind) || (apiVersion is not null && apiVersion != type.ApiVersion))
            return new ApiAnswer(400, "BadRequest", $"the API version in the data ({apiVersion}) and kind ({kind}) do not match {type.ApiVersion} {type.Kind}");
        obj["kind"] = type.Kind;
        obj["apiVersion"] = type.ApiVersion;
        return null;
    }

    private async Task ListAsync(HttpContext http, ResourceType type, string? ns)
    {
        Interlocked.Increment(ref Counters(type).Lists);
        var query = http.Request.Query;
        var selector = LabelSelector.Parse(query["labelSelector"]);
        var limit = int.TryParse(query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var after = query["continue"].ToString();
        var matching = _objects
            .Where(o => o.Key.Type == type && (ns is null || o.Key.Namespace == ns) && selector.Matches(o.Value.Labels))
            .Select(o => (Key: $"{o.Key.Namespace}/{o.Key.Name}", o.Value))
            .Where(o => after.Length == 0 || string.CompareOrdinal(o.Key, after) > 0)
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .ToList();
        var page = matching.Take(limit).ToList();
        var more = matching.Count > page.Count;
        var version = Interlocked.Read(ref _resourceVersion).ToString();
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync($$"""{"apiVersion":"{{type.ApiVersion}}","kind":"{{type.ListKind}}","metadata":{"resourceVersion":"{{version}}"{{(more ? $$""","continue":"{{page[^1].Key}}","remainingItemCount":{{matching.Count - page.Count}}""" : "")}}},"items":[""");
        for (var i = 0; i < page.Count; i++)
        {
            if (i > 0) await http.Response.WriteAsync(",");
            await http.Response.Body.WriteAsync(Unzip(page[i].Value.Gzip));
        }
        await http.Response.WriteAsync("]}");
    }

    /// <summary>The body, or null when it is over <see cref="MaxRequestBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxRequestBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxRequestBodyBytes) return null;
        }
        return buffer.ToArray();
    }

    /// <summary>What an object says besides its metadata (a change there is a new generation).</summary>
    private static string ContentHash(JsonObject obj)
    {
        var content = new JsonObject();
        foreach (var (key, value) in obj)
            if (key != "metadata") content[key] = value?.DeepClone();
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content.ToJsonString())));
    }

    private static byte[] Zip(byte[] json)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(json);
        return output.ToArray();
    }

    private static byte[] Unzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
