using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Cluster.ApiResource;
using static RwxGuard.Tests.Cluster.KubeApiFake;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// The API server goes away (nothing listens on its port) and comes back on the same port with a cluster that changed
/// meanwhile: objects added, modified and deleted. The whole webhook, HTTPS and the watched view, must notice the loss
/// (readiness, decisions that follow Policy:OnClusterUnavailable and say so), retry with backoff rather than hammer,
/// recover by itself, and end up with exactly the API server's state: no object lost, no phantom left.
/// </summary>
public sealed class ApiServerOutageTests(ITestOutputHelper output)
{
    /// <summary>The resources this test gives a before and after state; namespaces keep the fake's defaults.</summary>
    private static readonly ApiResource[] Modelled = [Claims, Deployments, StatefulSets, ReplicaSets, Autoscalers, StorageClasses];

    private const string Ns = "tzlil-tets"; // the namespace of the datree capture used for decisions
    private static readonly string[] Rwo = ["ReadWriteOnce"];
    private static readonly string[] Rwx = ["ReadWriteMany"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>How the returning API server brings the view up to date.</summary>
    public enum Return
    {
        /// <summary>The view's resourceVersion was compacted away: 410 Expired on the watch, then a relist.</summary>
        ExpiredThenRelist,
        /// <summary>The view's resourceVersion is still in the watch cache: the events since then are replayed.</summary>
        EventsReplayed,
    }

    [Theory]
    [InlineData(Return.ExpiredThenRelist, "Deny")]
    [InlineData(Return.EventsReplayed, "Warn")]
    public async Task An_api_server_that_disappears_and_returns_changed_is_mirrored_exactly(Return how, string onUnavailable)
    {
        await using var api = new KubeApiFake();
        var port = api.Server.Port;
        ServeBefore(api);
        using var kubeconfig = new Kubeconfig(api.Url);
        await using var webhook = await RunningWebhook.StartAsync(args: ["--kubeconfig", kubeconfig.Path], settings: new Dictionary<string, string?>
        {
            ["Cluster:Connection"] = "Kubeconfig",
            ["Cluster:BackoffInitialSeconds"] = "0.05",
            ["Cluster:BackoffMaxSeconds"] = "0.4",
            ["Cluster:StaleAfterSeconds"] = "1",
            ["Policy:OnClusterUnavailable"] = onUnavailable,
        });
        var view = webhook.Services.GetRequiredService<ClusterView>();
        using var readiness = new ReadinessRecorder(webhook);
        await Poll.UntilAsync(() => view.Status.Ready, "the view syncs", state: () => view.Status.Detail);

        AssertMirrors(view, Before);
        var denied = await DecideAsync(webhook);
        Assert.False(denied["allowed"]!.GetValue<bool>());
        Assert.Contains("data (ReadWriteOnce)", denied["status"]!["message"]!.GetValue<string>());

        // The API server disappears: nothing listens on its port any more (the using's dispose is then a no-op).
        await api.DisposeAsync();
        var gone = Stopwatch.StartNew();
        await Poll.UntilAsync(() => !view.Status.Ready, "the view notices the outage", state: () => view.Status.Detail);
        output.WriteLine($"not ready {gone.Elapsed.TotalSeconds:0.00} s after the API server went away: {view.Status.Detail}");
        Assert.Contains("API connection failing for more than 1 s", view.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("refused", view.Status.Detail, StringComparison.OrdinalIgnoreCase);
        using (var readyz = await webhook.Client.GetAsync("/readyz", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
            Assert.Contains("[-]cluster-view failed: API connection failing", await readyz.Content.ReadAsStringAsync(Ct));
        }

        // Decisions during the outage follow the setting and say why.
        var during = await DecideAsync(webhook);
        if (onUnavailable == "Deny")
        {
            Assert.False(during["allowed"]!.GetValue<bool>());
            Assert.Contains("its view of the cluster is not available", during["status"]!["message"]!.GetValue<string>());
        }
        else
        {
            Assert.True(during["allowed"]!.GetValue<bool>());
            Assert.Contains("cluster view unavailable", during["warnings"]![0]!.GetValue<string>());
        }
        Assert.Contains("cluster-unavailable", during["auditAnnotations"]!["rules"]!.GetValue<string>());
        // Reporting sees nothing rather than a stale picture.
        Assert.Empty(view.ListClaims());
        Assert.Empty(view.ListWorkloads());

        // Backoff, not a busy loop: count the connection attempts of one cache over three seconds of outage.
        var failuresBefore = view.GetStats()["persistentvolumeclaims"].Failures;
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var attempts = view.GetStats()["persistentvolumeclaims"].Failures - failuresBefore;
        output.WriteLine($"claims: {attempts} reconnect attempts in 3 s with backoff 0.05 s doubling to 0.4 s");
        Assert.InRange(attempts, 4, 30);

        // It returns on the same port, with the cluster changed while it was gone.
        await using (var back = new KubeApiFake(port))
        {
            ServeAfter(back, how);
            var returned = Stopwatch.StartNew();
            await Poll.UntilAsync(() => view.Status.Ready, "the view recovers by itself", TimeSpan.FromSeconds(10), () => view.Status.Detail);
            output.WriteLine($"ready again {returned.Elapsed.TotalSeconds:0.00} s after the API server returned ({how})");
            await Poll.UntilAsync(() => Mirrors(view, After), "the view equals the returned API server's state",
                state: () => Describe(view));
            AssertMirrors(view, After);

            if (how == Return.ExpiredThenRelist)
                Assert.All(Modelled, r => Assert.NotEmpty(back.ListRequests(r)));
            else
                Assert.All(Modelled, r => Assert.Empty(back.ListRequests(r))); // resumed from its resourceVersion, no relist

            var allowed = await DecideAsync(webhook); // "data" is bound ReadWriteMany now
            Assert.True(allowed["allowed"]!.GetValue<bool>(), allowed.ToJsonString());
            Assert.DoesNotContain("cluster-unavailable", allowed["auditAnnotations"]?["rules"]?.GetValue<string>() ?? "");
            await Poll.UntilAsync(async () => (await webhook.Client.GetAsync("/readyz", Ct)).StatusCode == HttpStatusCode.OK, "readyz passes");

            await Poll.UntilAsync(() => readiness.Transitions().Length >= 3, "the readiness recorder sees the recovery",
                state: () => string.Join(" → ", readiness.Transitions()));
            var seen = readiness.Transitions();
            output.WriteLine("readyz: " + string.Join(" → ", seen));
            Assert.Equal([200, 503, 200], seen.Take(3).ToArray());
        }
    }

    // ---- the two states of the cluster ------------------------------------------------------------------------------

    private sealed record State(
        (string Name, AccessModes Modes)[] Claims,
        (WorkloadKind Kind, string Name, int? Replicas, string Claims)[] Workloads,
        (string Hpa, string Target)[] Autoscalers,
        string[] StorageClasses);

    private static readonly State Before = new(
        [("cache", AccessModes.ReadWriteMany), ("data", AccessModes.ReadWriteOnce), ("logs", AccessModes.ReadWriteOnce)],
        [(WorkloadKind.Deployment, "web", 1, "data"), (WorkloadKind.Deployment, "worker", 1, "logs"),
         (WorkloadKind.StatefulSet, "db", 1, ""), (WorkloadKind.ReplicaSet, "web-7d9", 1, "data")],
        [("web-hpa", "web")],
        ["efs-sc", "gp3"]);

    private static readonly State After = new(
        [("cache", AccessModes.ReadWriteMany), ("data", AccessModes.ReadWriteMany), ("uploads", AccessModes.ReadWriteOnce)],
        [(WorkloadKind.Deployment, "web", 1, "data"), (WorkloadKind.Deployment, "api", 1, "uploads"),
         (WorkloadKind.StatefulSet, "db", 3, ""), (WorkloadKind.ReplicaSet, "web-5f8", 1, "data")],
        [("api-hpa", "api")],
        ["files", "gp3"]);

    private static readonly string ClaimCache = Json.Claim(Ns, "cache", "90", Rwx, phase: "Bound", storageClass: "efs-sc");
    private static readonly string ClaimData = Json.Claim(Ns, "data", "91", Rwo);
    private static readonly string ClaimLogs = Json.Claim(Ns, "logs", "92", Rwo);
    private static readonly string ClaimDataRwx = Json.Claim(Ns, "data", "151", Rwx, phase: "Bound", storageClass: "efs-sc");
    private static readonly string ClaimUploads = Json.Claim(Ns, "uploads", "153", Rwo);
    private static readonly string Web = Json.Deployment(Ns, "web", "93", 1, ["data"], """{"type":"Recreate"}""");
    private static readonly string Worker = Json.Deployment(Ns, "worker", "94", 1, ["logs"], """{"type":"Recreate"}""");
    private static readonly string Api = Json.Deployment(Ns, "api", "155", 1, ["uploads"], """{"type":"Recreate"}""");
    private static readonly string Db = Json.StatefulSet(Ns, "db", "95", 1, [], ["pg"]);
    private static readonly string Db3 = Json.StatefulSet(Ns, "db", "156", 3, [], ["pg"]);
    private static readonly string WebRs7 = Json.ReplicaSet(Ns, "web-7d9", "96", 1, ["data"], "web");
    private static readonly string WebRs5 = Json.ReplicaSet(Ns, "web-5f8", "158", 1, ["data"], "web");
    private static readonly string WebHpa = Json.Autoscaler(Ns, "web-hpa", "97", "Deployment", "web", 1, 1);
    private static readonly string ApiHpa = Json.Autoscaler(Ns, "api-hpa", "160", "Deployment", "api", 1, 3);
    private static readonly string Gp3 = Json.StorageClass("gp3", "98", "ebs.csi.aws.com", isDefault: true);
    private static readonly string Efs = Json.StorageClass("efs-sc", "99", "efs.csi.aws.com");
    private static readonly string Files = Json.StorageClass("files", "162", "file.csi.azure.com");

    private static void ServeBefore(KubeApiFake api)
    {
        api.OnList(Claims, Ok(Json.List(Claims, "100", ClaimCache, ClaimData, ClaimLogs)));
        api.OnList(Deployments, Ok(Json.List(Deployments, "100", Web, Worker)));
        api.OnList(StatefulSets, Ok(Json.List(StatefulSets, "100", Db)));
        api.OnList(ReplicaSets, Ok(Json.List(ReplicaSets, "100", WebRs7)));
        api.OnList(Autoscalers, Ok(Json.List(Autoscalers, "100", WebHpa)));
        api.OnList(StorageClasses, Ok(Json.List(StorageClasses, "100", Gp3, Efs)));
    }

    private static void ServeAfter(KubeApiFake api, Return how)
    {
        // A list always answers with the current state.
        api.OnList(Claims, Ok(Json.List(Claims, "200", ClaimCache, ClaimDataRwx, ClaimUploads)));
        api.OnList(Deployments, Ok(Json.List(Deployments, "200", Web, Api)));
        api.OnList(StatefulSets, Ok(Json.List(StatefulSets, "200", Db3)));
        api.OnList(ReplicaSets, Ok(Json.List(ReplicaSets, "200", WebRs5)));
        api.OnList(Autoscalers, Ok(Json.List(Autoscalers, "200", ApiHpa)));
        api.OnList(StorageClasses, Ok(Json.List(StorageClasses, "200", Gp3, Files)));

        // A watch from the view's resourceVersion (100): expired, or the events that happened meanwhile.
        var events = new Dictionary<ApiResource, string[]>
        {
            [Claims] = [Json.Modified(ClaimDataRwx), Json.Deleted(Json.Claim(Ns, "logs", "152", Rwo)), Json.Added(ClaimUploads)],
            [Deployments] = [Json.Deleted(Json.Deployment(Ns, "worker", "154", 1, ["logs"], """{"type":"Recreate"}""")), Json.Added(Api)],
            [StatefulSets] = [Json.Modified(Db3)],
            [ReplicaSets] = [Json.Deleted(Json.ReplicaSet(Ns, "web-7d9", "157", 1, ["data"], "web")), Json.Added(WebRs5)],
            [Autoscalers] = [Json.Deleted(Json.Autoscaler(Ns, "web-hpa", "159", "Deployment", "web", 1, 1)), Json.Added(ApiHpa)],
            [StorageClasses] = [Json.Deleted(Json.StorageClass("efs-sc", "161", "efs.csi.aws.com")), Json.Added(Files)],
        };
        foreach (var resource in Modelled)
            api.OnWatch(resource, "100", how == Return.ExpiredThenRelist
                ? Error(410, "Expired", "too old resource version: 100 (180)")
                : Events(events[resource]));
    }

    // ---- comparing the view with a state ----------------------------------------------------------------------------

    private static bool Mirrors(ClusterView view, State state)
    {
        try
        {
            AssertMirrors(view, state);
            return true;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return false;
        }
    }

    private static void AssertMirrors(ClusterView view, State state)
    {
        Assert.True(view.Status.Ready, view.Status.Detail);
        Assert.Equal(state.Claims.OrderBy(c => c.Name, StringComparer.Ordinal),
            view.ListClaims().Select(c => (c.Name, c.EffectiveModes)).OrderBy(c => c.Name, StringComparer.Ordinal));
        Assert.All(view.ListClaims(), c => Assert.Equal(Ns, c.Namespace));
        Assert.Equal(state.Workloads.OrderBy(w => (w.Kind, w.Name)),
            view.ListWorkloads().Select(w => (w.Kind, w.Name, w.Replicas, Claims: string.Join(",", w.Template.ClaimNames))).OrderBy(w => (w.Kind, w.Name)));
        Assert.Equal(state.StorageClasses, view.StorageClasses.Value!.Select(c => c.Name).Order(StringComparer.Ordinal));

        // The indexes follow: no phantom entries for deleted objects, every live one found.
        foreach (var name in new[] { "cache", "data", "logs", "uploads" })
        {
            var expected = state.Workloads.Where(w => w.Claims == name).Select(w => w.Name).Order(StringComparer.Ordinal);
            Assert.Equal(expected, view.WorkloadsMountingClaim(Ns, name).Select(w => w.Name).Order(StringComparer.Ordinal));
            Assert.Equal(state.Claims.Any(c => c.Name == name) ? LookupOutcome.Found : LookupOutcome.NotFound, view.GetClaim(Ns, name).Outcome);
        }
        foreach (var target in new[] { "web", "api", "worker" })
            Assert.Equal(state.Autoscalers.Where(a => a.Target == target).Select(a => a.Hpa),
                view.AutoscalersTargeting(WorkloadKind.Deployment, Ns, target).Select(h => h.Name));
    }

    private static string Describe(ClusterView view) =>
        $"{view.Status.Detail}; claims {string.Join(", ", view.ListClaims().Select(c => $"{c.Name}:{c.EffectiveModes}"))}; " +
        $"workloads {string.Join(", ", view.ListWorkloads().Select(w => $"{w.Kind}/{w.Name}:{w.Replicas}"))}";

    private static async Task<JsonNode> DecideAsync(RunningWebhook webhook)
    {
        var review = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10)); // a decision never waits on the API server
        using var response = await webhook.Client.PostAsync("/validate", Fixtures.Json(review), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token))!["response"]!;
    }

    /// <summary>Polls /readyz every 50 ms and keeps the status each time it changes.</summary>
    private sealed class ReadinessRecorder : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<int> _transitions = new();
        private readonly Task _loop;

        public ReadinessRecorder(RunningWebhook webhook)
        {
            _loop = Task.Run(async () =>
            {
                var last = -1;
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using var response = await webhook.Client.GetAsync("/readyz", _stop.Token);
                        var status = (int)response.StatusCode;
                        if (status != last) _transitions.Enqueue(last = status);
                        await Task.Delay(50, _stop.Token);
                    }
                    catch (Exception) when (_stop.IsCancellationRequested)
                    {
                        break;
                    }
                }
            });
        }

        /// <summary>The statuses seen, from the first answer on, dropping the 503 of the start (before the first sync).</summary>
        public int[] Transitions() => [.. _transitions.SkipWhile(s => s != 200)];

        public void Dispose()
        {
            _stop.Cancel();
            try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            _stop.Dispose();
        }
    }
}

/// <summary>A kubeconfig file for a fake API server, with a bearer token; deleted at dispose.</summary>
public sealed class Kubeconfig : IDisposable
{
    public Kubeconfig(string server, string token = "fake-token")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rwx-guard-kubeconfig-{Guid.NewGuid():N}");
        KubeApiFake.WriteKubeconfig(Path, server, token);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
