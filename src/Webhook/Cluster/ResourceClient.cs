using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RwxGuard.Mapping;

namespace RwxGuard.Cluster;

internal sealed record ListPage(string? ResourceVersion, string? Continue);

internal enum EventType { Added, Modified, Deleted, Bookmark }

/// <param name="InitialEventsEnd">A watch-list's bookmark that ends its initial events (the whole state was sent).</param>
internal readonly record struct ObjectEvent<T>(EventType Type, T? Object, string? ResourceVersion, bool InitialEventsEnd);

/// <summary>List and watch of one resource across all namespaces, decoded straight into its minimal shape.</summary>
internal sealed class ResourceClient<T>(ApiTransport api, string resource, string path, JsonTypeInfo<ShapeList<T>> listType,
    JsonTypeInfo<WatchEvent<T>> eventType) where T : class, IObjectShape
{
    /// <summary>The annotation of the BOOKMARK that ends a watch-list's initial events (KEP-3157).</summary>
    public const string InitialEventsEndAnnotation = "k8s.io/initial-events-end";

    /// <summary>The API resource, plural, as in RBAC rules: "persistentvolumeclaims".</summary>
    public string Resource { get; } = resource;

    /// <summary>
    /// One page, each object handed to <paramref name="consumer"/> as it is decoded: one object at a time is in memory,
    /// however large the page the server answers with.
    /// </summary>
    public async Task<ListPage> ListAsync(int limit, string? continueToken, Action<T> consumer, CancellationToken cancellationToken)
    {
        var query = $"{path}?limit={limit}" + (continueToken is null ? "" : $"&continue={Uri.EscapeDataString(continueToken)}");
        using var response = await api.GetAsync(query, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ItemStream<T>.Consumer.Value = consumer;
            try
            {
                var page = await JsonSerializer.DeserializeAsync(stream, listType, cancellationToken).ConfigureAwait(false)
                           ?? throw new JsonException($"the {Resource} list was JSON null");
                return new ListPage(page.Metadata?.ResourceVersion,
                    string.IsNullOrEmpty(page.Metadata?.Continue) ? null : page.Metadata.Continue);
            }
            finally
            {
                ItemStream<T>.Consumer.Value = null;
            }
        }
    }

    /// <summary>
    /// A watch with bookmarks. <paramref name="initialEvents"/>: a watch-list (Kubernetes 1.32+, KEP-3157): the current
    /// state first as ADDED events, then a BOOKMARK marked <see cref="InitialEventsEndAnnotation"/>, then changes,
    /// from one request. Otherwise from <paramref name="resourceVersion"/>. <paramref name="connected"/> is called once
    /// the server has accepted the watch (200 and headers). An ERROR event ends it with an <see cref="ApiException"/>.
    /// </summary>
    public async IAsyncEnumerable<ObjectEvent<T>> WatchAsync(string? resourceVersion, bool initialEvents, int timeoutSeconds,
        Action connected, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = $"{path}?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}" + (initialEvents
            ? "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan" + (resourceVersion is null ? "" : $"&resourceVersion={resourceVersion}")
            : $"&resourceVersion={resourceVersion}");
        using var response = await api.GetAsync(query, cancellationToken).ConfigureAwait(false);
        connected();
        var reader = PipeReader.Create(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (!IsBlank(line)) yield return Decode(line);
                }
                if (read.IsCompleted)
                {
                    // A server that ends the response mid-event (a dropped connection) must not look like a clean end.
                    if (!IsBlank(buffer)) throw new IOException($"the {Resource} watch stream ended in the middle of an event");
                    yield break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private ObjectEvent<T> Decode(ReadOnlySequence<byte> line)
    {
        var json = line.IsSingleSegment ? line.First : line.ToArray();
        var decoded = JsonSerializer.Deserialize(json.Span, eventType) ?? throw new JsonException($"a {Resource} watch event was JSON null");
        switch (decoded.Type)
        {
            case "ADDED": return new(EventType.Added, decoded.Object, decoded.Object?.Meta?.ResourceVersion, false);
            case "MODIFIED": return new(EventType.Modified, decoded.Object, decoded.Object?.Meta?.ResourceVersion, false);
            case "DELETED": return new(EventType.Deleted, decoded.Object, decoded.Object?.Meta?.ResourceVersion, false);
            case "BOOKMARK":
                // Decoded again for its annotations, which the object shapes leave out (bookmarks are rare).
                var bookmark = JsonSerializer.Deserialize(json.Span, ClusterJsonContext.Default.WatchEventBookmarkObject)?.Object?.Metadata;
                return new(EventType.Bookmark, null, bookmark?.ResourceVersion,
                    bookmark?.Annotations?.GetValueOrDefault(InitialEventsEndAnnotation) == "true");
            case "ERROR":
                var status = JsonSerializer.Deserialize(json.Span, ClusterJsonContext.Default.WatchEventApiStatus)?.Object;
                // A Status without a code (0) is still a failure of the server's: as a 500, retried with backoff.
                throw new ApiException((HttpStatusCode)(status is { Code: > 0 } ? status.Code : 500), status?.Reason, status, null);
            default:
                throw new JsonException($"a {Resource} watch event has an unknown type '{decoded.Type}'");
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
            if (segment.Span.IndexOfAnyExcept(" \t\r\n"u8) >= 0) return false;
        return true;
    }
}

/// <summary>The resources the view watches: where each one lives and how it is decoded.</summary>
internal static class ResourceClients
{
    public const string Claims = "persistentvolumeclaims";
    public const string Deployments = "deployments";
    public const string StatefulSets = "statefulsets";
    public const string ReplicaSets = "replicasets";
    public const string DaemonSets = "daemonsets";
    public const string Autoscalers = "horizontalpodautoscalers";
    public const string StorageClasses = "storageclasses";
    public const string Namespaces = "namespaces";

    private static ClusterJsonContext Json => ClusterJsonContext.Default;

    public static ResourceClient<ClaimObject> PersistentVolumeClaims(ApiTransport api) =>
        new(api, Claims, "/api/v1/persistentvolumeclaims", Json.ShapeListClaimObject, Json.WatchEventClaimObject);

    public static ResourceClient<WorkloadObject> DeploymentClient(ApiTransport api) =>
        new(api, Deployments, "/apis/apps/v1/deployments", Json.ShapeListWorkloadObject, Json.WatchEventWorkloadObject);

    public static ResourceClient<WorkloadObject> StatefulSetClient(ApiTransport api) =>
        new(api, StatefulSets, "/apis/apps/v1/statefulsets", Json.ShapeListWorkloadObject, Json.WatchEventWorkloadObject);

    public static ResourceClient<WorkloadObject> ReplicaSetClient(ApiTransport api) =>
        new(api, ReplicaSets, "/apis/apps/v1/replicasets", Json.ShapeListWorkloadObject, Json.WatchEventWorkloadObject);

    public static ResourceClient<WorkloadObject> DaemonSetClient(ApiTransport api) =>
        new(api, DaemonSets, "/apis/apps/v1/daemonsets", Json.ShapeListWorkloadObject, Json.WatchEventWorkloadObject);

    public static ResourceClient<HpaObject> AutoscalerClient(ApiTransport api) =>
        new(api, Autoscalers, "/apis/autoscaling/v2/horizontalpodautoscalers", Json.ShapeListHpaObject, Json.WatchEventHpaObject);

    public static ResourceClient<StorageClassObject> StorageClassClient(ApiTransport api) =>
        new(api, StorageClasses, "/apis/storage.k8s.io/v1/storageclasses", Json.ShapeListStorageClassObject, Json.WatchEventStorageClassObject);

    public static ResourceClient<NamespaceObject> NamespaceClient(ApiTransport api) =>
        new(api, Namespaces, "/api/v1/namespaces", Json.ShapeListNamespaceObject, Json.WatchEventNamespaceObject);
}
