using System.Text;
using WireMock;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace RwxGuard.Tests.Cluster;

/// <summary>A resource as the API server serves it: list path, list kind, apiVersion.</summary>
public sealed record ApiResource(string Path, string ListKind, string ApiVersion)
{
    public static readonly ApiResource Claims = new("/api/v1/persistentvolumeclaims", "PersistentVolumeClaimList", "v1");
    public static readonly ApiResource Deployments = new("/apis/apps/v1/deployments", "DeploymentList", "apps/v1");
    public static readonly ApiResource StatefulSets = new("/apis/apps/v1/statefulsets", "StatefulSetList", "apps/v1");
    public static readonly ApiResource ReplicaSets = new("/apis/apps/v1/replicasets", "ReplicaSetList", "apps/v1");
    public static readonly ApiResource DaemonSets = new("/apis/apps/v1/daemonsets", "DaemonSetList", "apps/v1");
    public static readonly ApiResource Autoscalers = new("/apis/autoscaling/v2/horizontalpodautoscalers", "HorizontalPodAutoscalerList", "autoscaling/v2");
    public static readonly ApiResource StorageClasses = new("/apis/storage.k8s.io/v1/storageclasses", "StorageClassList", "storage.k8s.io/v1");

    public static readonly ApiResource Namespaces = new("/api/v1/namespaces", "NamespaceList", "v1");

    public static readonly IReadOnlyList<ApiResource> All = [Claims, Deployments, StatefulSets, ReplicaSets, DaemonSets, Autoscalers, StorageClasses, Namespaces];
}

/// <summary>One scripted HTTP answer. <paramref name="Gate"/>, when given, holds the answer until the test opens it.</summary>
public sealed record Reply(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan Delay = default, Task? Gate = null);

/// <summary>A registered mapping; <see cref="Remove"/> takes it out so lower-priority mappings answer again.</summary>
public sealed class ApiMapping(WireMockServer server, Guid guid)
{
    private int _hits;
    public int Hits => Volatile.Read(ref _hits);
    internal int NextIndex() => Interlocked.Increment(ref _hits) - 1;
    public void Remove() => server.DeleteMapping(guid);
}

/// <summary>
/// WireMock.Net standing in for the Kubernetes API server on the real paths. Every resource answers by default with an
/// empty list (resourceVersion "1") and an idle watch (held open for <see cref="IdleWatchHold"/>, then closed with no
/// event, like a server-side watch timeout). Tests add higher-priority mappings for lists (by continue token) and
/// watches (by the resourceVersion they start from); a mapping given several replies answers them in order and
/// repeats the last (request-count logic).
/// </summary>
public sealed class KubeApiFake : IAsyncDisposable
{
    public static readonly TimeSpan IdleWatchHold = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _shutdown = new();
    private int _disposed;

    /// <param name="port">0: any free port. A given port lets a test bring "the same API server" back after stopping it.</param>
    public KubeApiFake(int port = 0)
    {
        Server = WireMockServer.Start(port);
        foreach (var resource in ApiResource.All)
        {
            Map(ListRequest(resource, null), 100, [Ok(Json.List(resource, "1"))]);
            Map(WatchRequest(resource, null), 100, [new Reply(200, "", Delay: IdleWatchHold)]);
            // A server without streaming lists (before Kubernetes 1.32, or the WatchList feature off) refuses a watch-list.
            Map(WatchListRequest(resource), 50, [WatchListRefused]);
        }
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    /// <summary>Writes a kubeconfig pointing at this fake (a bearer token: KubernetesClient refuses a user without
    /// credentials) and returns its path.</summary>
    public string WriteKubeconfig(string path, string token = "fake-token") => WriteKubeconfig(path, Url, token);

    /// <summary>The same for a fixed server URL (a fake that is stopped and brought back on the same port).</summary>
    public static string WriteKubeconfig(string path, string server, string token)
    {
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {{server}}
            contexts:
            - name: fake
              context: {cluster: fake, user: fake}
            current-context: fake
            users:
            - name: fake
              user: {token: {{token}}}
            """);
        return path;
    }

    /// <summary>Lists of <paramref name="resource"/>; the first page when <paramref name="continueToken"/> is null.</summary>
    public ApiMapping OnList(ApiResource resource, params Reply[] replies) => Map(ListRequest(resource, null), 10, replies);

    public ApiMapping OnListPage(ApiResource resource, string continueToken, params Reply[] replies) =>
        Map(ListRequest(resource, continueToken), 10, replies);

    /// <summary>Watch-lists of <paramref name="resource"/> (sendInitialEvents=true): the initial state as events, then changes.</summary>
    public ApiMapping OnWatchList(ApiResource resource, params Reply[] replies) => Map(WatchListRequest(resource), 10, replies);

    /// <summary>kube-apiserver's answer to a watch-list when it does not serve them: 422 Invalid, naming the field.</summary>
    public static readonly Reply WatchListRefused = Error(422, "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled");

    /// <summary>Watches of <paramref name="resource"/> starting from <paramref name="resourceVersion"/>.</summary>
    public ApiMapping OnWatch(ApiResource resource, string resourceVersion, params Reply[] replies) =>
        Map(WatchRequest(resource, resourceVersion), 10, replies);

    public static Reply Ok(string body) => new(200, body);

    /// <summary>Newline-delimited watch events, as the API server streams them.</summary>
    public static Reply Events(params string[] lines) => new(200, string.Concat(lines.Select(l => l + "\n")));

    /// <summary>An error answer with a Status body (and optional headers such as Retry-After).</summary>
    public static Reply Error(int code, string reason, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(code, Json.Status(code, reason, message), headers);

    public IReadOnlyList<IRequestMessage> Requests(ApiResource resource) =>
        [.. Server.LogEntries.Select(e => e.RequestMessage).Where(r => r.Path == resource.Path).OrderBy(r => r.DateTime)];

    public IReadOnlyList<IRequestMessage> WatchListRequests(ApiResource resource) =>
        [.. Requests(resource).Where(r => Param(r, "sendInitialEvents") == "true")];

    /// <summary>Requests without watch=true (KubernetesClient sends watch=false on lists).</summary>
    public IReadOnlyList<IRequestMessage> ListRequests(ApiResource resource) => [.. Requests(resource).Where(r => Param(r, "watch") != "true")];

    /// <summary>Watches from a resourceVersion (watch-lists left out: <see cref="WatchListRequests"/>).</summary>
    public IReadOnlyList<IRequestMessage> WatchRequests(ApiResource resource) =>
        [.. Requests(resource).Where(r => Param(r, "watch") == "true" && Param(r, "sendInitialEvents") != "true")];

    public static string? Param(IRequestMessage request, string name) =>
        request.Query is { } query && query.TryGetValue(name, out var values) ? values.FirstOrDefault() : null;

    private static bool IsWatch(IDictionary<string, WireMockList<string>>? query) =>
        query is not null && query.TryGetValue("watch", out var values) && values.Contains("true");

    private static IRequestBuilder ListRequest(ApiResource resource, string? continueToken)
    {
        // KubernetesClient sends watch=false on lists.
        var request = Request.Create().WithPath(resource.Path).UsingGet().WithParam(query => !IsWatch(query));
        return continueToken is null
            ? request.WithParam(query => query is null || !query.ContainsKey("continue"))
            : request.WithParam("continue", continueToken);
    }

    private static IRequestBuilder WatchListRequest(ApiResource resource) =>
        Request.Create().WithPath(resource.Path).UsingGet().WithParam("watch", "true").WithParam("sendInitialEvents", "true");

    private static IRequestBuilder WatchRequest(ApiResource resource, string? resourceVersion)
    {
        var request = Request.Create().WithPath(resource.Path).UsingGet().WithParam("watch", "true");
        return resourceVersion is null ? request : request.WithParam("resourceVersion", resourceVersion);
    }

    private ApiMapping Map(IRequestBuilder request, int priority, Reply[] replies)
    {
        if (replies.Length == 0) throw new ArgumentException("at least one reply", nameof(replies));
        var guid = Guid.NewGuid();
        var mapping = new ApiMapping(Server, guid);
        Server.Given(request).WithGuid(guid).AtPriority(priority).RespondWith(Response.Create().WithCallback(async _ =>
        {
            var reply = replies[Math.Min(mapping.NextIndex(), replies.Length - 1)];
            try
            {
                if (reply.Gate is { } gate) await gate.WaitAsync(_shutdown.Token);
                if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, _shutdown.Token);
            }
            catch (OperationCanceledException)
            {
                // the fake is shutting down: answer at once so the server can stop
            }
            return Message(reply);
        }));
        return mapping;
    }

    private static ResponseMessage Message(Reply reply)
    {
        var headers = new Dictionary<string, WireMockList<string>>
        {
            ["Content-Type"] = new("application/json"),
        };
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>()) headers[name] = new(value);
        return new ResponseMessage
        {
            StatusCode = reply.Status,
            Headers = headers,
            BodyData = new BodyData
            {
                BodyAsString = reply.Body,
                DetectedBodyType = BodyType.String,
                Encoding = Encoding.UTF8,
            },
        };
    }

    /// <summary>Stops the server (nothing listens on its port afterwards). Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _shutdown.CancelAsync();
        Server.Stop();
        Server.Dispose();
        _shutdown.Dispose();
    }
}
