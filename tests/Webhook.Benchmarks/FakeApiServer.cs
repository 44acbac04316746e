using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RwxGuard.Benchmarks.FakeApi;
using RwxGuard.Benchmarks.Shape;

namespace RwxGuard.Benchmarks;

/// <summary>What the fake API server does wrong, for the soak (the other benchmarks leave it at None).</summary>
public enum ApiFault
{
    None,
    /// <summary>Every watch is cut in the middle of an event line.</summary>
    DropWatches,
    /// <summary>Every watch answers 410 Expired ("too old resource version"): the client must list again.</summary>
    Expired,
    /// <summary>Lists and watches answer 429 with Retry-After: 2.</summary>
    TooManyRequests,
    /// <summary>Lists and watches answer 500.</summary>
    ServerError,
}

/// <summary>How lists are answered.</summary>
public enum ListServing
{
    /// <summary>limit/continue honoured: pages of at most <c>limit</c> objects, a continue token while more remain.</summary>
    Paged,
    /// <summary>limit ignored: every object in one response, as an API server answering from its watch cache does
    /// (kube-apiserver serves <c>resourceVersion=0</c> lists from the cache and ignores the limit there).</summary>
    Unpaged,
}

/// <summary>What the server does with a streaming list (WatchList: <c>watch=true&amp;sendInitialEvents=true&amp;resourceVersionMatch=NotOlderThan</c>).</summary>
public enum WatchListSupport
{
    /// <summary>Kubernetes 1.32, 1.34+ (feature gate WatchList on by default): every object as ADDED, then a BOOKMARK
    /// annotated <c>k8s.io/initial-events-end: "true"</c> with the list's resourceVersion, then the watch goes on.</summary>
    Streams,
    /// <summary>Kubernetes 1.27–1.31 and 1.33 (the gate off by default): 422 Invalid, "sendInitialEvents is forbidden for
    /// watch unless the WatchList feature gate is enabled" (apimachinery's ValidateListOptions).</summary>
    GateOff,
    /// <summary>Before 1.27 (sendInitialEvents unknown, so ignored): 422 Invalid, "resourceVersionMatch is forbidden for
    /// watch".</summary>
    Before127,
}

/// <summary>Requests the fake answered for one resource.</summary>
public sealed class ResourceCounters
{
    public long Lists, Pages, Items, Watches, WatchLists, WatchListRefusals, Events;

    public override string ToString() =>
        $"{Interlocked.Read(ref Lists)} lists ({Interlocked.Read(ref Pages)} pages, {Interlocked.Read(ref Items):N0} objects), " +
        $"{Interlocked.Read(ref Watches)} watches, {Interlocked.Read(ref WatchLists)} WatchList streams, " +
        $"{Interlocked.Read(ref WatchListRefusals)} WatchList refusals, {Interlocked.Read(ref Events):N0} events";
}

/// <summary>
/// A stand-in Kubernetes API for the benchmarks: the cluster of a <see cref="ClusterShape"/> on the real list and watch
/// paths, lists paged (limit/continue) or in one piece (<see cref="Lists"/>), streaming lists (WatchList) served or
/// refused as each Kubernetes version does (<see cref="WatchList"/>), watches that stay open (quiet, or a MODIFIED event
/// every <see cref="EventInterval"/>), and the Lease and PolicyReport endpoints the webhook's reporter writes to
/// (<see cref="Reports"/>). Objects are rendered per request from templates: 10× the realistic shape costs no memory here.
/// For the soak it injects <see cref="Fault"/>s and can go away and come back on the same port (<see cref="GoAwayAsync"/>).
/// </summary>
public sealed class FakeApiServer(ClusterShape shape, int port = 0) : IAsyncDisposable
{
    /// <summary>Flush list and stream bodies every this many bytes: nothing here holds more than a chunk of a list.</summary>
    private const int FlushBytes = 64 * 1024;

    public const string InitialEventsEndAnnotation = "k8s.io/initial-events-end";

    private readonly IReadOnlyList<ServedResource> _resources = ServedResource.Of(shape);
    private readonly ConcurrentDictionary<string, ResourceCounters> _counters = new();
    private WebApplication? _app;
    private CancellationTokenSource _disrupt = new();
    private volatile ApiFault _fault;
    private long _resourceVersion = 100_000_000;
    private long _faulted;

    public ClusterShape Shape { get; } = shape;
    public Uri Address { get; private set; } = null!;
    public ListServing Lists { get; init; } = ListServing.Paged;
    public WatchListSupport WatchList { get; init; } = WatchListSupport.Streams;
    /// <summary>Zero: watches stay quiet until their timeoutSeconds.</summary>
    public TimeSpan EventInterval { get; init; }
    /// <summary>Leases and reports written by the webhook's reporter.</summary>
    public ReportStore Reports { get; } = new();

    public IReadOnlyList<ServedResource> Resources => _resources;
    public ResourceCounters Counters(string plural) => _counters.GetOrAdd(plural, _ => new ResourceCounters());
    public long ListRequests => _counters.Values.Sum(c => Interlocked.Read(ref c.Lists));
    public long Watches => _counters.Values.Sum(c => Interlocked.Read(ref c.Watches));
    public long Events => _counters.Values.Sum(c => Interlocked.Read(ref c.Events));
    public long FaultedAnswers => Interlocked.Read(ref _faulted);
    public string CurrentVersion => Interlocked.Read(ref _resourceVersion).ToString();

    /// <summary>Setting a fault also ends every open watch, so the next request meets it.</summary>
    public ApiFault Fault
    {
        get => _fault;
        set
        {
            _fault = value;
            Disrupt();
        }
    }

    /// <summary>Objects of the resources the client has listed or streamed at least once (what its view holds).</summary>
    public int ObjectsSynced() => _resources
        .Where(r => _counters.TryGetValue(r.Plural, out var c) && (Interlocked.Read(ref c.Lists) > 0 || Interlocked.Read(ref c.WatchLists) > 0))
        .Sum(r => r.Count);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ReportStore.MaxRequestBodyBytes);
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        foreach (var resource in _resources) Map(resource);
        Reports.Map(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address);
        port = Address.Port; // a restart after GoAwayAsync binds the same port
    }

    /// <summary>The API server disappears (nothing listens on its port) for <paramref name="pause"/>, then comes back.</summary>
    public async Task GoAwayAsync(TimeSpan pause)
    {
        Disrupt();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
        await Task.Delay(pause);
        await StartAsync();
    }

    private void Disrupt() => Interlocked.Exchange(ref _disrupt, new CancellationTokenSource()).Cancel();

    /// <summary>Answers with the current fault (429 and 500 for lists and watches, 410 for watches); false: serve it.</summary>
    private async Task<bool> FailedAsync(HttpContext http, bool watch)
    {
        var error = _fault switch
        {
            ApiFault.ServerError => new ApiAnswer(500, "InternalError", "etcdserver: request timed out"),
            ApiFault.TooManyRequests => new ApiAnswer(429, "TooManyRequests", "Too many requests, please try again later."),
            ApiFault.Expired when watch => new ApiAnswer(410, "Expired", "too old resource version"),
            _ => null,
        };
        if (error is null) return false;
        Interlocked.Increment(ref _faulted);
        if (error.Code == 429) http.Response.Headers.RetryAfter = "2";
        await error.WriteAsync(http);
        return true;
    }

    private void Map(ServedResource resource)
    {
        _app!.MapGet(resource.Path, async (HttpContext http) =>
        {
            var query = http.Request.Query;
            var watch = query["watch"] == "true" || query["watch"] == "1";
            var counters = Counters(resource.Plural);
            if (await FailedAsync(http, watch)) return;
            if (ListOptionsError(watch, query) is { } invalid)
            {
                if (watch) Interlocked.Increment(ref counters.WatchListRefusals);
                await invalid.WriteAsync(http);
                return;
            }
            if (!watch)
            {
                await ListAsync(http, resource, counters);
                return;
            }
            Interlocked.Increment(ref counters.Watches);
            if (query["sendInitialEvents"] == "true" && WatchList == WatchListSupport.Streams)
                await StreamInitialEventsAsync(http, resource, counters);
            await WatchAsync(http, resource, counters);
        });
    }

    /// <summary>
    /// apimachinery's ValidateListOptions for the options a streaming list uses, as the configured version has it; null:
    /// valid. Before 1.27 resourceVersionMatch was refused on any watch and sendInitialEvents did not exist.
    /// </summary>
    private ApiAnswer? ListOptionsError(bool watch, IQueryCollection query)
    {
        var match = query["resourceVersionMatch"].ToString();
        var sendInitial = query.ContainsKey("sendInitialEvents") && WatchList != WatchListSupport.Before127 ? query["sendInitialEvents"].ToString() : null;
        var causes = new List<(string Field, string Message)>();
        if (!watch)
        {
            if (sendInitial is not null) causes.Add(("sendInitialEvents", "sendInitialEvents is forbidden for list"));
        }
        else if (WatchList == WatchListSupport.Before127)
        {
            if (match.Length > 0) causes.Add(("resourceVersionMatch", "resourceVersionMatch is forbidden for watch"));
        }
        else
        {
            if (sendInitial is not null)
            {
                if (match != "NotOlderThan")
                    causes.Add(("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
                if (WatchList == WatchListSupport.GateOff)
                    causes.Add(("sendInitialEvents", "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"));
            }
            if (match.Length > 0 && sendInitial is null)
                causes.Add(("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
        }
        return causes.Count == 0 ? null : ApiAnswer.InvalidListOptions(causes);
    }

    private async Task ListAsync(HttpContext http, ServedResource resource, ResourceCounters counters)
    {
        var query = http.Request.Query;
        var limit = Lists == ListServing.Paged && int.TryParse(query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var (version, start) = (CurrentVersion, 0);
        if (Lists == ListServing.Paged && query["continue"].ToString() is { Length: > 0 } token)
        {
            // The token carries the first page's resourceVersion: every page of one list is the same snapshot.
            var parts = token.Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], out _) || !int.TryParse(parts[1], out start) || start < 0)
            {
                await new ApiAnswer(400, "BadRequest", $"continue key is not valid: {token}").WriteAsync(http);
                return;
            }
            version = parts[0];
        }
        else
        {
            Interlocked.Increment(ref counters.Lists);
        }
        var end = (int)Math.Min(resource.Count, (long)start + limit);
        var meta = end < resource.Count
            ? $$"""{"resourceVersion":"{{version}}","continue":"{{version}}:{{end}}","remainingItemCount":{{resource.Count - end}}}"""
            : $$"""{"resourceVersion":"{{version}}"}""";

        http.Response.ContentType = "application/json";
        var output = http.Response.BodyWriter;
        Write(output, $$"""{"kind":"{{resource.ListKind}}","apiVersion":"{{resource.ApiVersion}}","metadata":{{meta}},"items":[""");
        for (var i = start; i < end; i++)
        {
            if (i > start) Write(output, ",");
            Write(output, "{");
            resource.Render(output, i, resource.InitialVersion(i));
            if (output.UnflushedBytes >= FlushBytes) await output.FlushAsync(http.RequestAborted);
        }
        Write(output, "]}");
        await output.FlushAsync(http.RequestAborted);
        Interlocked.Increment(ref counters.Pages);
        Interlocked.Add(ref counters.Items, end - start);
    }

    /// <summary>A streaming list's initial part: every object as ADDED, then the BOOKMARK that ends it.</summary>
    private async Task StreamInitialEventsAsync(HttpContext http, ServedResource resource, ResourceCounters counters)
    {
        http.Response.ContentType = "application/json";
        var version = CurrentVersion;
        var output = http.Response.BodyWriter;
        for (var i = 0; i < resource.Count; i++)
        {
            WriteEvent(output, "ADDED", resource, i, resource.InitialVersion(i));
            if (output.UnflushedBytes >= FlushBytes) await output.FlushAsync(http.RequestAborted);
        }
        Write(output, BookmarkLine(resource, version, initialEventsEnd: true));
        await output.FlushAsync(http.RequestAborted);
        Interlocked.Add(ref counters.Items, resource.Count);
        Interlocked.Increment(ref counters.WatchLists);
    }

    /// <summary>A BOOKMARK event: an object of the kind with only its resourceVersion (and the end-of-initial-events
    /// annotation when it closes a streaming list's initial part).</summary>
    public static string BookmarkLine(ServedResource resource, string version, bool initialEventsEnd)
    {
        var annotations = initialEventsEnd ? $$""","annotations":{"{{InitialEventsEndAnnotation}}":"true"}""" : "";
        return $$"""{"type":"BOOKMARK","object":{"kind":"{{resource.Kind}}","apiVersion":"{{resource.ApiVersion}}","metadata":{"resourceVersion":"{{version}}","creationTimestamp":null""" +
               annotations + "}}}\n";
    }

    /// <summary>
    /// A watch: headers at once, then a MODIFIED event every <see cref="EventInterval"/> (when set), until timeoutSeconds,
    /// the client leaves, or a fault or GoAwayAsync disrupts it. Under <see cref="ApiFault.DropWatches"/> the stream is
    /// cut half-way through an event line.
    /// </summary>
    private async Task WatchAsync(HttpContext http, ServedResource resource, ResourceCounters counters)
    {
        if (!http.Response.HasStarted) http.Response.ContentType = "application/json"; // started: after a streaming list's initial events
        await http.Response.Body.FlushAsync();
        var timeout = int.TryParse(http.Request.Query["timeoutSeconds"], out var t) ? t : 300;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _disrupt.Token);
        linked.CancelAfter(TimeSpan.FromSeconds(timeout));
        var random = new Random();
        try
        {
            if (_fault == ApiFault.DropWatches)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), linked.Token);
                await http.Response.WriteAsync("""{"type":"MODIFIED","object":{"metadata":{"name":"claim-1","namesp""");
                await http.Response.Body.FlushAsync();
                http.Abort();
                return;
            }
            if (EventInterval <= TimeSpan.Zero || resource.Count == 0)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, linked.Token);
                return;
            }
            var output = http.Response.BodyWriter;
            while (true)
            {
                await Task.Delay(EventInterval, linked.Token);
                var version = Interlocked.Increment(ref _resourceVersion).ToString();
                WriteEvent(output, "MODIFIED", resource, random.Next(resource.Count), version);
                await output.FlushAsync(linked.Token);
                Interlocked.Increment(ref counters.Events);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds, the client left, or a disruption: end the stream (a normal end for the client)
        }
    }

    /// <summary>One watch event line; the object carries kind and apiVersion, as in every watch event.</summary>
    private static void WriteEvent(PipeWriter output, string type, ServedResource resource, int index, string version)
    {
        Write(output, $$"""{"type":"{{type}}","object":{"kind":"{{resource.Kind}}","apiVersion":"{{resource.ApiVersion}}",""");
        resource.Render(output, index, version);
        Write(output, "}\n");
    }

    private static void Write(IBufferWriter<byte> output, string text) => output.Write(Encoding.UTF8.GetBytes(text));

    public async ValueTask DisposeAsync()
    {
        Disrupt();
        if (_app is not null) await _app.DisposeAsync();
    }
}
