using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>The attributes an access rule decides on (what a SelfSubjectAccessReview asks, and every real request).</summary>
public sealed record AccessAttributes(string Verb, string Group, string Resource, string Namespace, string? Subresource, string? Name);

/// <summary>
/// A stateful stand-in for kube-apiserver, over plain HTTP on loopback, on the real paths and with the real JSON:
/// GET, LIST (labelSelector, fieldSelector, limit/continue), WATCH, POST, PUT, PATCH (merge, strategic merge, JSON
/// patch), DELETE, the status and scale subresources, pod logs, SelfSubjectAccessReview, server dry-run, and the
/// answers clients rely on (404, 409 AlreadyExists and Conflict, 410 Expired, 413, 422, etcd's "request is too large").
/// Small explicit controllers (<see cref="Controllers"/>) play the parts of kube-controller-manager the tests need.
/// See README.md in this folder.
/// </summary>
public sealed class FakeKubeApi : IAsyncDisposable
{
    /// <summary>kube-apiserver's <c>--max-request-body-bytes</c> default (3 MiB).</summary>
    public const int MaxRequestBodyBytes = 3 * 1024 * 1024;

    /// <summary>Like Go's encoder: quotes and non-ASCII text are written as they are, not as \u escapes.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<(string Group, string Version, string Plural), ResourceType> _types = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<(string Namespace, string Pod), StringBuilder> _logs = new();
    private readonly ConcurrentQueue<string> _requestLog = new();
    private WebApplication? _app;
    private Task? _controllerLoop;

    public FakeKubeApi()
    {
        foreach (var type in ResourceType.BuiltIn) Register(type);
    }

    public ObjectStore Store { get; } = new();
    public Faults Faults { get; } = new();

    /// <summary>Who may do what; every request is checked, and SelfSubjectAccessReviews answer with it. Default: all.</summary>
    public Func<AccessAttributes, bool> Access { get; set; } = _ => true;

    /// <summary>Sees every request before it is carried out (tests record what was done, and in which state).</summary>
    public Action<FakeRequest>? OnRequest { get; set; }

    /// <summary>The user named in 403 messages.</summary>
    public string User { get; set; } = "alice@example.com";

    /// <summary>Run on every controller tick, in order.</summary>
    public List<IFakeController> Controllers { get; } = [];

    public TimeSpan ControllerInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Serve watch-lists (sendInitialEvents=true, Kubernetes 1.32+); false: refuse them with 422 as older servers do.</summary>
    public bool WatchList { get; set; } = true;

    public Uri Url { get; private set; } = null!;

    /// <summary>"VERB path?query → status", oldest first.</summary>
    public IReadOnlyList<string> RequestLog => [.. _requestLog];

    public void Register(ResourceType type) => _types[(type.Group, type.Version, type.Plural)] = type;

    public static async Task<FakeKubeApi> StartAsync(Action<FakeKubeApi>? configure = null)
    {
        var api = new FakeKubeApi();
        configure?.Invoke(api);
        await api.StartServerAsync();
        return api;
    }

    /// <summary>A KubernetesClient pointed at this fake (plain HTTP, no credentials needed).</summary>
    public Kubernetes Client() => new(new KubernetesClientConfiguration { Host = Url.ToString().TrimEnd('/') });

    /// <summary>Writes a kubeconfig for this fake and returns its path.</summary>
    public string WriteKubeconfig(string path) => RwxGuard.Tests.Cluster.KubeApiFake.WriteKubeconfig(path, Url.ToString().TrimEnd('/'), "fake-token");

    public void AppendLog(string @namespace, string pod, string text) =>
        _logs.GetOrAdd((@namespace, pod), _ => new StringBuilder()).Append(text);

    public string Log(string @namespace, string pod) =>
        _logs.TryGetValue((@namespace, pod), out var log) ? log.ToString() : "";

    /// <summary>Stores an object as a controller or a test fixture would (no access check, no faults).</summary>
    public JsonObject Seed(ResourceType type, JsonObject obj) => Store.Create(type, obj.Namespace(), obj);

    public JsonObject Seed(ResourceType type, string json) => Seed(type, Obj.Parse(json));

    /// <summary>Runs every controller once, now (tests that want determinism call this instead of waiting).</summary>
    public void Reconcile()
    {
        foreach (var controller in Controllers) controller.Reconcile(this);
    }

    private async Task StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        Url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _controllerLoop = Task.Run(ControllerLoopAsync);
    }

    private async Task ControllerLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                Reconcile();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _requestLog.Enqueue($"controller error: {e}");
            }
            try { await Task.Delay(ControllerInterval, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var status = 200;
        try
        {
            if (request.ContentLength > MaxRequestBodyBytes)
                throw new ApiError(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxRequestBodyBytes}");
            var body = await ReadBodyAsync(request, context.RequestAborted);
            status = await RouteAsync(context, body);
        }
        catch (ApiError e)
        {
            status = e.Code;
            await WriteAsync(context, e.Code, e.ToStatus());
        }
        catch (PatchException e)
        {
            status = e.Code;
            await WriteAsync(context, e.Code, new ApiError(e.Code, e.Code == 415 ? "UnsupportedMediaType" : "Invalid", e.Message).ToStatus());
        }
        catch (System.Text.Json.JsonException e)
        {
            status = 400;
            await WriteAsync(context, 400, new ApiError(400, "BadRequest", $"the object provided is unrecognized: {e.Message}").ToStatus());
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || _stop.IsCancellationRequested)
        {
            // the client went away, or the fake is stopping
        }
        catch (Exception e)
        {
            // A bug in the fake: answered like an apiserver panic, with the exception for whoever reads the test output.
            status = 500;
            _requestLog.Enqueue($"fake error: {e}");
            await WriteAsync(context, 500, new ApiError(500, "InternalError", $"fake API server error: {e.GetType().Name}: {e.Message}").ToStatus());
        }
        finally
        {
            _requestLog.Enqueue($"{request.Method} {request.Path}{request.QueryString} → {status}");
        }
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is 0 || HttpMethods.IsGet(request.Method)) return "";
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxRequestBodyBytes)
                throw new ApiError(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxRequestBodyBytes}");
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private async Task<int> RouteAsync(HttpContext context, string body)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (path == "/version")
        {
            await WriteAsync(context, 200, Obj.Parse("""{"major":"1","minor":"33","gitVersion":"v1.33.0","platform":"linux/amd64"}"""));
            return 200;
        }
        var route = ParseRoute(path) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        var query = request.Query;
        var watch = query["watch"] == "true" || query["watch"] == "1";
        var verb = request.Method switch
        {
            "GET" when watch => "watch",
            "GET" when route.Name is null => "list",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => throw new ApiError(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource"),
        };
        var type = route.Type;
        var ns = route.Namespace ?? "";

        if (type.Group == "authorization.k8s.io" && type.Plural == "selfsubjectaccessreviews" && verb == "create")
            return await AccessReviewAsync(context, body);

        if (!Access(new AccessAttributes(verb, type.Group, type.Plural, ns, route.Subresource, route.Name)))
            throw ApiError.Forbidden(User, verb, type, ns);

        var fakeRequest = new FakeRequest(verb, type, ns, route.Name, route.Subresource, body);
        OnRequest?.Invoke(fakeRequest);
        var fault = Faults.Take(fakeRequest);
        if (fault is { AfterApply: false }) throw new ApiError(fault.Status, fault.Status == 500 ? "InternalError" : "", fault.Message);

        var dryRun = query["dryRun"] == "All";
        var (code, result) = verb switch
        {
            "get" when route.Subresource == "log" => (200, (JsonNode?)null),
            "get" when route.Subresource == "scale" => (200, Scale(type, ns, route.Name!)),
            "get" => (200, Store.GetOrThrow(type, ns, route.Name!)),
            "list" => (200, List(type, ns, query)),
            "watch" => (0, null),
            "create" => (201, Store.Create(type, ns, ParseObject(body), dryRun)),
            "update" when route.Subresource == "scale" => (200, WriteScale(type, ns, route.Name!, ParseObject(body), dryRun)),
            "update" => (200, Store.Replace(type, ns, route.Name!, ParseObject(body), route.Subresource, dryRun)),
            "patch" => (200, Patch(type, ns, route.Name!, route.Subresource, request.ContentType ?? "", body, dryRun)),
            "delete" => (200, Delete(type, ns, route.Name!, body, dryRun)),
            _ => throw new InvalidOperationException(verb),
        };
        if (fault is { AfterApply: true }) throw new ApiError(fault.Status, fault.Status == 500 ? "InternalError" : "", fault.Message);

        if (verb == "watch")
        {
            await WatchAsync(context, type, ns, query);
            return 200;
        }
        if (route.Subresource == "log")
        {
            if (Store.Get(type, ns, route.Name!) is null) throw ApiError.NotFound(type, route.Name!);
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(Log(ns, route.Name!), context.RequestAborted);
            return 200;
        }
        await WriteAsync(context, code, (JsonObject)result!);
        return code;
    }

    private sealed record Route(ResourceType Type, string? Namespace, string? Name, string? Subresource);

    private Route? ParseRoute(string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        string[] rest;
        if (parts.Length >= 3 && parts[0] == "api") (group, version, rest) = ("", parts[1], parts[2..]);
        else if (parts.Length >= 4 && parts[0] == "apis") (group, version, rest) = (parts[1], parts[2], parts[3..]);
        else return null;

        if (group == "authorization.k8s.io" && rest is ["selfsubjectaccessreviews"])
            return new Route(new ResourceType(group, version, "selfsubjectaccessreviews", "SelfSubjectAccessReview", false), null, null, null);

        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && _types.TryGetValue((group, version, rest[2]), out var namespacedType) && namespacedType.Namespaced)
        {
            ns = rest[1];
            rest = rest[2..];
        }
        if (!_types.TryGetValue((group, version, rest[0]), out var type)) return null;
        if (type.Namespaced && ns is null && rest.Length > 1) return null; // a namespaced object needs its namespace
        return rest.Length switch
        {
            1 => new Route(type, ns, null, null),
            2 => new Route(type, ns, rest[1], null),
            3 when rest[2] is "status" || (rest[2] == "scale" && type.HasScale) || (rest[2] == "log" && type == ResourceType.Pods) =>
                new Route(type, ns, rest[1], rest[2]),
            _ => null,
        };
    }

    private static JsonObject ParseObject(string body) =>
        JsonNode.Parse(body) as JsonObject ?? throw new ApiError(400, "BadRequest", "the body of the request is not a JSON object");

    private JsonObject List(ResourceType type, string ns, IQueryCollection query)
    {
        var selector = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector(query["fieldSelector"]);
        long revision;
        List<JsonObject> items;
        lock (Store.Gate)
        {
            revision = Store.Revision;
            items = Store.List(type, ns, selector).Where(fields).ToList();
        }
        var start = 0;
        if (query["continue"].ToString() is { Length: > 0 } token)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('|', 2);
            var tokenRevision = long.Parse(decoded[0], System.Globalization.CultureInfo.InvariantCulture);
            if (tokenRevision < Store.CompactedRevision)
                throw ApiError.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            start = items.FindIndex(i => string.CompareOrdinal(i.Namespace() + "/" + i.Name(), decoded[1]) > 0);
            if (start < 0) start = items.Count;
        }
        var limit = int.TryParse(query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var page = items.Skip(start).Take(limit).ToList();
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (start + page.Count < items.Count)
        {
            var last = page[^1];
            metadata["continue"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{revision}|{last.Namespace()}/{last.Name()}"));
            metadata["remainingItemCount"] = items.Count - start - page.Count;
        }
        return new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. page]),
        };
    }

    /// <summary>fieldSelector: <c>a.b=c</c>, <c>a.b==c</c>, <c>a.b!=c</c> on any dotted path (metadata.name,
    /// involvedObject.name, spec.nodeName, status.phase …), comma-separated.</summary>
    private static Func<JsonObject, bool> FieldSelector(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return _ => true;
        var terms = selector.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t =>
        {
            var negate = t.Contains("!=", StringComparison.Ordinal);
            var parts = t.Split(negate ? "!=" : t.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            return (Path: parts[0].Trim(), Value: parts[1].Trim(), Negate: negate);
        }).ToList();
        return o => terms.All(t => (o.Str(t.Path) ?? "") == t.Value != t.Negate);
    }

    private async Task WatchAsync(HttpContext context, ResourceType type, string ns, IQueryCollection query)
    {
        var selector = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector(query["fieldSelector"]);
        var timeout = int.TryParse(query["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        bool Matches(WatchEvent e) =>
            e.Resource == type && (ns.Length == 0 || e.Object.Namespace() == ns) && selector.Matches(e.Object.Labels()) && fields(e.Object);

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        List<WatchEvent> backlog;
        System.Threading.Channels.ChannelReader<WatchEvent> live;
        Action stopWatching;
        var from = query["resourceVersion"].ToString();
        var initialEvents = query["sendInitialEvents"] == "true";
        if (initialEvents && (!WatchList || query["resourceVersionMatch"] != "NotOlderThan"))
        {
            // kube-apiserver's answer when it does not serve watch-lists (or the parameters are incomplete).
            var refusal = new ApiError(422, "Invalid", WatchList
                ? "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires resourceVersionMatch=NotOlderThan"
                : "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled");
            response.StatusCode = refusal.Code;
            await response.WriteAsync(refusal.ToStatus().ToJsonString(Wire), context.RequestAborted);
            return;
        }
        long? initialRevision = null;
        try
        {
            lock (Store.Gate)
            {
                if (initialEvents || from is "" or "0")
                {
                    // No starting point: the current state as synthetic ADDED events, then everything after it.
                    var now = Store.Revision;
                    backlog = [.. Store.List(type, ns, selector).Where(fields).Select(o => new WatchEvent(now, "ADDED", type, o))];
                    (_, live, stopWatching) = Store.Watch(now, Matches);
                    if (initialEvents) initialRevision = now;
                }
                else
                {
                    var (history, reader, stop) = Store.Watch(long.Parse(from, System.Globalization.CultureInfo.InvariantCulture), Matches);
                    (backlog, live, stopWatching) = ([.. history], reader, stop);
                }
            }
        }
        catch (ApiError e) when (e.Code == 410)
        {
            // What the API server does for a watch from a compacted revision: 200, one ERROR event, end of stream.
            await WriteEventAsync(response, "ERROR", e.ToStatus(), context.RequestAborted);
            return;
        }

        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stop.Token);
        end.CancelAfter(timeout);
        try
        {
            await response.StartAsync(end.Token);
            foreach (var e in backlog) await WriteEventAsync(response, e.Type, e.Object, end.Token);
            if (initialRevision is { } revision)
            {
                // A watch-list (KEP-3157): the initial state ends with a bookmark marked initial-events-end.
                await WriteEventAsync(response, "BOOKMARK", new JsonObject
                {
                    ["kind"] = type.Kind,
                    ["apiVersion"] = type.ApiVersion,
                    ["metadata"] = new JsonObject
                    {
                        ["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" },
                    },
                }, end.Token);
            }
            await foreach (var e in live.ReadAllAsync(end.Token)) await WriteEventAsync(response, e.Type, e.Object, end.Token);
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds reached, client gone, or the fake stopping: the stream simply ends
        }
        finally
        {
            stopWatching();
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonObject obj, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString(Wire) + "\n";
        await response.WriteAsync(line, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private JsonObject Patch(ResourceType type, string ns, string name, string? subresource, string contentType, string body, bool dryRun)
    {
        var patch = JsonNode.Parse(body) ?? throw new ApiError(400, "BadRequest", "empty patch");
        if (subresource == "scale")
        {
            var patchedScale = Patches.Apply(Scale(type, ns, name), contentType, patch);
            return WriteScale(type, ns, name, patchedScale, dryRun);
        }
        lock (Store.Gate)
        {
            var current = Store.GetOrThrow(type, ns, name);
            var patched = Patches.Apply(current, contentType, patch);
            return Store.Replace(type, ns, name, patched, subresource, dryRun);
        }
    }

    private JsonObject Delete(ResourceType type, string ns, string name, string body, bool dryRun)
    {
        var options = body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null;
        return Store.Delete(type, ns, name, options.Str("preconditions.uid"), options.Str("preconditions.resourceVersion"), dryRun);
    }

    /// <summary>The autoscaling/v1 Scale of a Deployment, StatefulSet or ReplicaSet.</summary>
    private JsonObject Scale(ResourceType type, string ns, string name)
    {
        var parent = Store.GetOrThrow(type, ns, name);
        var selector = parent["spec"]?["selector"]?["matchLabels"] is JsonObject labels
            ? string.Join(',', labels.Select(l => $"{l.Key}={l.Value}"))
            : "";
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["uid"] = parent.Uid(),
                ["resourceVersion"] = parent.ResourceVersion(),
                ["creationTimestamp"] = parent["metadata"]!["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = parent.Int("spec.replicas") ?? 1 },
            ["status"] = new JsonObject { ["replicas"] = parent.Int("status.replicas") ?? 0, ["selector"] = selector },
        };
    }

    private JsonObject WriteScale(ResourceType type, string ns, string name, JsonObject scale, bool dryRun)
    {
        lock (Store.Gate)
        {
            var parent = Store.GetOrThrow(type, ns, name);
            var version = scale.ResourceVersion();
            if (version.Length > 0 && version != parent.ResourceVersion()) throw ApiError.Conflict(type, name);
            // "spec": {} is a scale to zero (the field is omitted when it is 0).
            var replicas = scale.Int("spec.replicas") ?? 0;
            if (replicas < 0) throw ApiError.Invalid(type, name, "spec.replicas: Invalid value: must be greater than or equal to 0");
            parent.Set("spec.replicas", replicas);
            parent.Metadata().Remove("resourceVersion");
            Store.Replace(type, ns, name, parent, null, dryRun);
            return dryRun ? scale : Scale(type, ns, name);
        }
    }

    private async Task<int> AccessReviewAsync(HttpContext context, string body)
    {
        var review = ParseObject(body);
        var attributes = review["spec"]?["resourceAttributes"];
        var allowed = attributes is not null && Access(new AccessAttributes(
            attributes.Str("verb") ?? "", attributes.Str("group") ?? "", attributes.Str("resource") ?? "",
            attributes.Str("namespace") ?? "", attributes.Str("subresource") is { Length: > 0 } s ? s : null, attributes.Str("name")));
        review["apiVersion"] = "authorization.k8s.io/v1";
        review["kind"] = "SelfSubjectAccessReview";
        review["status"] = allowed
            ? new JsonObject { ["allowed"] = true, ["reason"] = "allowed by the fake's access rules" }
            : new JsonObject { ["allowed"] = false };
        await WriteAsync(context, 201, review);
        return 201;
    }

    private static async Task WriteAsync(HttpContext context, int code, JsonObject body)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Wire), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_controllerLoop is not null) await _controllerLoop;
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _stop.Dispose();
    }
}

/// <summary>A piece of kube-controller-manager: looks at the store and writes what that controller would write.</summary>
public interface IFakeController
{
    void Reconcile(FakeKubeApi api);
}
