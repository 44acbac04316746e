using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace RwxGuard.Benchmarks;

/// <summary>What the fake API server does wrong, for the soak (the load benchmark leaves it at None).</summary>
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

/// <summary>
/// A stand-in Kubernetes API for the load benchmark and the soak: the real list paths, paginated with limit/continue,
/// objects shaped like a real cluster's (managedFields included), and watches that stay open (quiet, or with a MODIFIED
/// event every <see cref="EventInterval"/>). Objects are generated per page, so 100k of each costs no memory here.
/// For the soak it injects <see cref="Fault"/>s and can go away and come back on the same port (<see cref="GoAwayAsync"/>).
/// </summary>
public sealed class FakeApiServer(int count, int port = 0) : IAsyncDisposable
{
    /// <summary>DaemonSets served (each mounting the claim of the same index); none by default, as in most clusters'
    /// application namespaces. Set to measure what the DaemonSet cache costs (docs/cluster-view.md).</summary>
    public int DaemonSets { get; init; }

    private static readonly Regex ResourceVersion = new("\"resourceVersion\":\"\\d+\"", RegexOptions.Compiled);

    private WebApplication? _app;
    private CancellationTokenSource _disrupt = new();
    private volatile ApiFault _fault;
    private long _resourceVersion = 1000;
    private long _lists;
    private long _watches;
    private long _faulted;
    private long _events;

    public Uri Address { get; private set; } = null!;
    /// <summary>Zero: watches stay quiet until their timeoutSeconds.</summary>
    public TimeSpan EventInterval { get; init; }
    public long Lists => Interlocked.Read(ref _lists);
    public long Watches => Interlocked.Read(ref _watches);
    public long FaultedAnswers => Interlocked.Read(ref _faulted);
    public long Events => Interlocked.Read(ref _events);

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

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        Map("/api/v1/persistentvolumeclaims", "PersistentVolumeClaimList", "v1", Claim);
        Map("/apis/apps/v1/deployments", "DeploymentList", "apps/v1", Deployment);
        Map("/apis/apps/v1/statefulsets", "StatefulSetList", "apps/v1", null);
        Map("/apis/apps/v1/replicasets", "ReplicaSetList", "apps/v1", null);
        Map("/apis/apps/v1/daemonsets", "DaemonSetList", "apps/v1", DaemonSet, fixedCount: DaemonSets);
        Map("/apis/autoscaling/v2/horizontalpodautoscalers", "HorizontalPodAutoscalerList", "autoscaling/v2", null);
        Map("/apis/storage.k8s.io/v1/storageclasses", "StorageClassList", "storage.k8s.io/v1", StorageClass, fixedCount: 3);
        Map("/api/v1/namespaces", "NamespaceList", "v1", Namespace, fixedCount: 100);
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

    private static string Status(int code, string reason, string message) =>
        $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message}}","reason":"{{reason}}","code":{{code}}}""";

    /// <summary>Answers with the current fault (429 and 500 for lists and watches, 410 for watches); false: serve it.</summary>
    private async Task<bool> FailedAsync(HttpContext http, bool watch)
    {
        var (code, body) = _fault switch
        {
            ApiFault.ServerError => (500, Status(500, "InternalError", "etcdserver: request timed out")),
            ApiFault.TooManyRequests => (429, Status(429, "TooManyRequests", "Too many requests, please try again later.")),
            ApiFault.Expired when watch => (410, Status(410, "Expired", "too old resource version")),
            _ => (0, ""),
        };
        if (code == 0) return false;
        Interlocked.Increment(ref _faulted);
        http.Response.StatusCode = code;
        http.Response.ContentType = "application/json";
        if (code == 429) http.Response.Headers.RetryAfter = "2";
        await http.Response.WriteAsync(body);
        return true;
    }

    private void Map(string path, string listKind, string apiVersion, Func<int, string>? item, int? fixedCount = null)
    {
        var total = item is null ? 0 : fixedCount ?? count;
        _app!.MapGet(path, async (HttpContext http) =>
        {
            var watch = http.Request.Query["watch"] == "true" || http.Request.Query["watch"] == "1";
            if (await FailedAsync(http, watch)) return;
            if (watch)
            {
                Interlocked.Increment(ref _watches);
                await WatchAsync(http, item, total);
                return;
            }
            Interlocked.Increment(ref _lists);
            var limit = int.TryParse(http.Request.Query["limit"], out var l) && l > 0 ? l : total;
            var start = int.TryParse(http.Request.Query["continue"], out var c) ? c : 0;
            var end = Math.Min(total, start + limit);
            var next = end < total ? end.ToString() : "";
            var page = new StringBuilder(Math.Max(256, (end - start) * 1600));
            page.Append($$"""{"kind":"{{listKind}}","apiVersion":"{{apiVersion}}","metadata":{"resourceVersion":"{{Interlocked.Read(ref _resourceVersion)}}","continue":"{{next}}"},"items":[""");
            for (var i = start; i < end; i++)
            {
                if (i > start) page.Append(',');
                page.Append(item!(i));
            }
            page.Append("]}");
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(page.ToString());
        });
    }

    /// <summary>
    /// A watch: headers at once, then a MODIFIED event every <see cref="EventInterval"/> (when set), until timeoutSeconds,
    /// the client leaves, or a fault or GoAwayAsync disrupts it. Under <see cref="ApiFault.DropWatches"/> the stream is
    /// cut half-way through an event line.
    /// </summary>
    private async Task WatchAsync(HttpContext http, Func<int, string>? item, int total)
    {
        http.Response.ContentType = "application/json";
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
            if (EventInterval <= TimeSpan.Zero || item is null || total == 0)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, linked.Token);
                return;
            }
            while (true)
            {
                await Task.Delay(EventInterval, linked.Token);
                var rv = Interlocked.Increment(ref _resourceVersion);
                var obj = ResourceVersion.Replace(item(random.Next(total)), $"\"resourceVersion\":\"{rv}\"", 1);
                await http.Response.WriteAsync($$"""{"type":"MODIFIED","object":{{obj}}}""" + "\n", linked.Token);
                await http.Response.Body.FlushAsync(linked.Token);
                Interlocked.Increment(ref _events);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds, the client left, or a disruption: end the stream (a normal end for the client)
        }
    }

    public static string Ns(int i) => $"ns-{i % 100}";

    private static string Claim(int i) => Fill(i, """
        {"metadata":{"name":"claim-__I__","namespace":"__NS__","uid":"__G1__","resourceVersion":"__RV1__","creationTimestamp":"2026-11-01T10:00:00Z","labels":{"app.kubernetes.io/name":"app-__I__"},"annotations":{"pv.kubernetes.io/bind-completed":"yes","pv.kubernetes.io/bound-by-controller":"yes","volume.beta.kubernetes.io/storage-provisioner":"ebs.csi.aws.com"},"finalizers":["kubernetes.io/pvc-protection"],"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-11-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:volumeMode":{}}}}]},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}},"storageClassName":"gp3","volumeMode":"Filesystem","volumeName":"pvc-__G2__"},"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"10Gi"}}}
        """);

    // A DaemonSet as a log or backup agent is written: no replicas, an updateStrategy, the status the controller keeps.
    private static string DaemonSet(int i) => Fill(i, """
        {"metadata":{"name":"agent-__I__","namespace":"__NS__","uid":"__G4__","resourceVersion":"__RV2__","generation":1,"creationTimestamp":"2026-11-01T10:00:00Z","labels":{"app":"agent-__I__"},"annotations":{"deprecated.daemonset.template.generation":"1"},"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"apps/v1","time":"2026-11-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{}}}}}}]},"spec":{"selector":{"matchLabels":{"app":"agent-__I__"}},"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}},"template":{"metadata":{"labels":{"app":"agent-__I__"}},"spec":{"containers":[{"name":"agent","image":"registry.example.com/agent:1.__M__","env":[{"name":"SPOOL_DIR","value":"/spool"}],"resources":{"requests":{"cpu":"50m","memory":"64Mi"}},"volumeMounts":[{"name":"spool","mountPath":"/spool"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"volumes":[{"name":"spool","persistentVolumeClaim":{"claimName":"claim-__I__"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler","securityContext":{}}}},"status":{"currentNumberScheduled":3,"numberMisscheduled":0,"desiredNumberScheduled":3,"numberReady":3,"observedGeneration":1,"updatedNumberScheduled":3,"numberAvailable":3}}
        """);

    private static string Deployment(int i) => Fill(i, """
        {"metadata":{"name":"app-__I__","namespace":"__NS__","uid":"__G3__","resourceVersion":"__RV2__","generation":1,"creationTimestamp":"2026-11-01T10:00:00Z","labels":{"app":"app-__I__"},"annotations":{"deployment.kubernetes.io/revision":"1"},"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"apps/v1","time":"2026-11-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{}}}}}}]},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"app-__I__"}},"strategy":{"type":"Recreate"},"template":{"metadata":{"labels":{"app":"app-__I__"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.__M__","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"STORAGE_DIR","value":"/data"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"data","mountPath":"/data"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"claim-__I__"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler","securityContext":{}}}},"status":{"observedGeneration":1,"replicas":1,"readyReplicas":1,"availableReplicas":1,"updatedReplicas":1}}
        """);

    private static string StorageClass(int i) => i switch
    {
        0 => """{"metadata":{"name":"gp3","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"ebs.csi.aws.com","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"}""",
        1 => """{"metadata":{"name":"gp2"},"provisioner":"kubernetes.io/aws-ebs","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"}""",
        _ => """{"metadata":{"name":"efs-sc"},"provisioner":"efs.csi.aws.com","reclaimPolicy":"Delete","volumeBindingMode":"Immediate","parameters":{"provisioningMode":"efs-ap","fileSystemId":"fs-0123456789abcdef0","directoryPerms":"700"}}""",
    };

    private static string Namespace(int i) => Fill(i,
        """{"metadata":{"name":"__NS__","uid":"__G4__","resourceVersion":"__RV3__","labels":{"kubernetes.io/metadata.name":"__NS__"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}""");

    private static string Guid(int i, int salt) => $"{salt:x8}-0000-4000-8000-{i:x12}";

    private static string Fill(int i, string template) => template
        .Replace("__I__", i.ToString()).Replace("__NS__", Ns(i)).Replace("__M__", (i % 10).ToString())
        .Replace("__G1__", Guid(i, 1)).Replace("__G2__", Guid(i, 2)).Replace("__G3__", Guid(i, 3)).Replace("__G4__", Guid(i, 4))
        .Replace("__RV1__", (500 + i).ToString()).Replace("__RV2__", (600 + i).ToString()).Replace("__RV3__", (i + 1).ToString());

    public async ValueTask DisposeAsync()
    {
        Disrupt();
        if (_app is not null) await _app.DisposeAsync();
    }
}
