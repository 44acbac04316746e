using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using RwxGuard.Benchmarks;
using RwxGuard.Benchmarks.FakeApi;
using RwxGuard.Benchmarks.Shape;

namespace RwxGuard.Tests.FakeKubeTests;

/// <summary>
/// The benchmarks' fake API server (tests/Webhook.Benchmarks, linked here): what the product's list/watch client and
/// reporter will be measured against must answer as an API server does. The realistic shape at 1/100 scale (100
/// Deployments, 400 owned ReplicaSets …) keeps each test well under a second.
/// </summary>
public sealed class BenchmarkFakeApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ClusterShape Small = ClusterShape.Realistic(0.01);

    private static async Task<FakeApiServer> StartAsync(ListServing lists = ListServing.Paged, WatchListSupport watchList = WatchListSupport.Streams,
        TimeSpan eventInterval = default)
    {
        var api = new FakeApiServer(Small) { Lists = lists, WatchList = watchList, EventInterval = eventInterval };
        await api.StartAsync();
        return api;
    }

    private static Kubernetes Client(FakeApiServer api) => new(new KubernetesClientConfiguration { Host = api.Address.ToString().TrimEnd('/') });

    /// <summary>Every name in a list, following continue tokens; the resourceVersion of each page.</summary>
    private static async Task<(List<string> Names, List<string> Versions, int Pages)> ListAllAsync(HttpClient http, Uri api, string path, int limit)
    {
        var (names, versions, pages) = (new List<string>(), new List<string>(), 0);
        string? token = null;
        do
        {
            var page = JsonNode.Parse(await http.GetStringAsync(new Uri(api, $"{path}?limit={limit}" + (token is null ? "" : $"&continue={token}")), Ct))!;
            pages++;
            versions.Add(page["metadata"]!["resourceVersion"]!.GetValue<string>());
            names.AddRange(page["items"]!.AsArray().Select(i => $"{i!["metadata"]!["namespace"]}/{i["metadata"]!["name"]}"));
            token = page["metadata"]!["continue"]?.GetValue<string>();
        }
        while (!string.IsNullOrEmpty(token));
        return (names, versions, pages);
    }

    [Fact]
    public async Task Paged_lists_hold_every_object_once_in_one_snapshot_and_unpaged_lists_ignore_the_limit()
    {
        using var http = new HttpClient();
        await using var paged = await StartAsync();
        var (names, versions, pages) = await ListAllAsync(http, paged.Address, "/apis/apps/v1/replicasets", limit: 37);
        Assert.Equal(Small.ReplicaSets, names.Count);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal((Small.ReplicaSets + 36) / 37, pages);
        Assert.Single(versions.Distinct()); // the continue token carries the first page's resourceVersion

        await using var unpaged = await StartAsync(ListServing.Unpaged);
        var (all, _, onePage) = await ListAllAsync(http, unpaged.Address, "/apis/apps/v1/replicasets", limit: 37);
        Assert.Equal(1, onePage);
        Assert.Equal(names, all);
    }

    [Fact]
    public async Task The_shape_decodes_with_KubernetesClient_and_owned_ReplicaSets_point_at_their_Deployment()
    {
        await using var api = await StartAsync();
        using var client = Client(api);
        var deployments = (await client.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: Ct)).Items;
        var replicaSets = (await client.AppsV1.ListReplicaSetForAllNamespacesAsync(cancellationToken: Ct)).Items;
        var claims = (await client.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(cancellationToken: Ct)).Items;
        var statefulSets = (await client.AppsV1.ListStatefulSetForAllNamespacesAsync(cancellationToken: Ct)).Items;
        var autoscalers = (await client.AutoscalingV2.ListHorizontalPodAutoscalerForAllNamespacesAsync(cancellationToken: Ct)).Items;
        Assert.Equal(Small.Deployments, deployments.Count);
        Assert.Equal(Small.Claims, claims.Count);
        Assert.Equal(Small.Autoscalers, autoscalers.Count);
        Assert.All(statefulSets, s => Assert.Equal("data", Assert.Single(s.Spec.VolumeClaimTemplates).Metadata.Name));
        Assert.All(claims, c => Assert.Equal("Bound", c.Status.Phase));
        Assert.All(claims, c => Assert.StartsWith("pvc-", c.Spec.VolumeName));
        Assert.All(deployments, d => Assert.Contains("kubectl.kubernetes.io/last-applied-configuration", d.Metadata.Annotations.Keys));
        Assert.All(deployments, d => Assert.Equal(2, d.Metadata.ManagedFields.Count));

        var byUid = deployments.ToDictionary(d => d.Metadata.Uid);
        var owned = replicaSets.Where(r => r.Metadata.OwnerReferences is { Count: > 0 }).ToList();
        Assert.Equal(Small.Deployments * 4, owned.Count);
        Assert.Equal(Small.StandaloneReplicaSets, replicaSets.Count - owned.Count);
        foreach (var group in owned.GroupBy(r => r.Metadata.OwnerReferences.Single().Uid))
        {
            var owner = byUid[group.Key];
            var reference = group.First().Metadata.OwnerReferences.Single();
            Assert.Equal(("apps/v1", "Deployment", owner.Metadata.Name, true), (reference.ApiVersion, reference.Kind, reference.Name, reference.Controller ?? false));
            Assert.All(group, r => Assert.Equal(owner.Metadata.NamespaceProperty, r.Metadata.NamespaceProperty));
            // A year of rollouts: the newest revision at the Deployment's replicas, three older at 0, each with the template.
            var byRevision = group.OrderByDescending(r => int.Parse(r.Metadata.Annotations["deployment.kubernetes.io/revision"])).ToList();
            Assert.Equal(owner.Spec.Replicas, byRevision[0].Spec.Replicas);
            Assert.All(byRevision.Skip(1), r => Assert.Equal(0, r.Spec.Replicas));
            Assert.All(group, r => Assert.Equal(owner.Spec.Template.Spec.Volumes.Count, r.Spec.Template.Spec.Volumes.Count));
        }
    }

    [Fact]
    public async Task WatchList_streams_every_object_as_ADDED_then_the_initial_events_end_bookmark_then_keeps_watching()
    {
        await using var api = await StartAsync(eventInterval: TimeSpan.FromMilliseconds(50));
        using var http = new HttpClient();
        var listVersion = JsonNode.Parse(await http.GetStringAsync(new Uri(api.Address, "/apis/apps/v1/deployments?limit=1"), Ct))!["metadata"]!["resourceVersion"]!.GetValue<string>();

        using var response = await http.GetAsync(new Uri(api.Address,
            "/apis/apps/v1/deployments?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=30"),
            HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct), Encoding.UTF8);
        var added = new HashSet<string>();
        JsonNode? line;
        while ((line = JsonNode.Parse((await reader.ReadLineAsync(Ct))!)) is not null && line["type"]!.GetValue<string>() == "ADDED")
        {
            Assert.Equal("Deployment", line["object"]!["kind"]!.GetValue<string>());
            added.Add($"{line["object"]!["metadata"]!["namespace"]}/{line["object"]!["metadata"]!["name"]}");
        }
        Assert.Equal(Small.Deployments, added.Count);
        Assert.Equal("BOOKMARK", line!["type"]!.GetValue<string>());
        var bookmark = line["object"]!["metadata"]!;
        Assert.Equal("true", bookmark["annotations"]![FakeApiServer.InitialEventsEndAnnotation]!.GetValue<string>());
        Assert.Equal(listVersion, bookmark["resourceVersion"]!.GetValue<string>());

        // The same stream goes on as a watch: the next line is a change after the bookmark's resourceVersion.
        var next = JsonNode.Parse((await reader.ReadLineAsync(Ct))!)!;
        Assert.Equal("MODIFIED", next["type"]!.GetValue<string>());
        Assert.True(long.Parse(next["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()) > long.Parse(listVersion));
        Assert.Equal(1, Interlocked.Read(ref api.Counters("deployments").WatchLists));
    }

    [Theory]
    [InlineData(WatchListSupport.GateOff, "sendInitialEvents", "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled")]
    [InlineData(WatchListSupport.Before127, "resourceVersionMatch", "resourceVersionMatch is forbidden for watch")]
    public async Task A_server_without_WatchList_refuses_the_streaming_list_with_422_and_still_serves_plain_watches(
        WatchListSupport support, string field, string message)
    {
        await using var api = await StartAsync(watchList: support);
        using var http = new HttpClient();
        using var refused = await http.GetAsync(new Uri(api.Address,
            "/api/v1/persistentvolumeclaims?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var status = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(("Status", "Invalid", 422), (status["kind"]!.GetValue<string>(), status["reason"]!.GetValue<string>(), status["code"]!.GetValue<int>()));
        Assert.Equal($"ListOptions.meta.k8s.io \"\" is invalid: {field}: Forbidden: {message}", status["message"]!.GetValue<string>());
        Assert.Equal(field, status["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(1, Interlocked.Read(ref api.Counters("persistentvolumeclaims").WatchListRefusals));

        // What the fallback does next works: a paged list, then a watch from its resourceVersion.
        using var client = Client(api);
        var list = await client.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(limit: 500, cancellationToken: Ct);
        Assert.Equal(Small.Claims, list.Items.Count);
        using var watch = await http.GetAsync(new Uri(api.Address, $"/api/v1/persistentvolumeclaims?watch=true&allowWatchBookmarks=true&resourceVersion={list.Metadata.ResourceVersion}&timeoutSeconds=1"),
            HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
    }

    [Fact]
    public async Task Reports_and_leases_are_kept_like_the_API_server_keeps_them()
    {
        await using var api = await StartAsync();
        using var client = Client(api);
        JsonObject Report(string name, int results) => new()
        {
            ["apiVersion"] = "wgpolicyk8s.io/v1alpha2",
            ["kind"] = "PolicyReport",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "ns-1", ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "rwx-guard" } },
            ["results"] = new JsonArray([.. Enumerable.Range(0, results).Select(i => (JsonNode)new JsonObject { ["policy"] = "rwx-guard", ["message"] = new string('x', 1000) + i })]),
        };
        var created = JsonNode.Parse(((System.Text.Json.JsonElement)await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            Report("rwx-guard", 10), "wgpolicyk8s.io", "v1alpha2", "ns-1", "policyreports", cancellationToken: Ct)).GetRawText())!;
        var version = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(created["metadata"]!["uid"]?.GetValue<string>()));
        Assert.NotNull(created["metadata"]!["managedFields"]);

        var listed = (System.Text.Json.JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync("wgpolicyk8s.io", "v1alpha2", "policyreports",
            labelSelector: "app.kubernetes.io/managed-by=rwx-guard", cancellationToken: Ct);
        Assert.Equal(1, listed.GetProperty("items").GetArrayLength());
        var none = (System.Text.Json.JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync("wgpolicyk8s.io", "v1alpha2", "policyreports",
            labelSelector: "app.kubernetes.io/managed-by=someone-else", cancellationToken: Ct);
        Assert.Equal(0, none.GetProperty("items").GetArrayLength());

        var update = Report("rwx-guard", 11);
        update["metadata"]!["resourceVersion"] = version;
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(update, "wgpolicyk8s.io", "v1alpha2", "ns-1", "policyreports", "rwx-guard", cancellationToken: Ct);
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(
            update, "wgpolicyk8s.io", "v1alpha2", "ns-1", "policyreports", "rwx-guard", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);

        // Over etcd's 1.5 MiB: refused as kube-apiserver passes etcd's answer on, and nothing is stored.
        var tooLarge = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.CreateNamespacedCustomObjectAsync(
            Report("rwx-guard-2", 1600), "wgpolicyk8s.io", "v1alpha2", "ns-1", "policyreports", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.InternalServerError, tooLarge.Response.StatusCode);
        Assert.Contains("etcdserver: request is too large", tooLarge.Response.Content);
        Assert.Equal(1, api.Reports.Count(RwxGuard.Tests.Infrastructure.FakeKube.ResourceType.PolicyReports));
        Assert.Equal(11, api.Reports.Get(RwxGuard.Tests.Infrastructure.FakeKube.ResourceType.PolicyReports, "ns-1", "rwx-guard")!["results"]!.AsArray().Count);

        var lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(new k8s.Models.V1Lease
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "rwx-guard-reporter" },
            Spec = new k8s.Models.V1LeaseSpec { HolderIdentity = "pod-a", LeaseDurationSeconds = 15 },
        }, "rwx-guard", cancellationToken: Ct);
        Assert.Equal("pod-a", api.Reports.LeaseHolder("rwx-guard", "rwx-guard-reporter"));
        lease.Spec.HolderIdentity = "pod-b";
        await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "rwx-guard-reporter", "rwx-guard", cancellationToken: Ct);
        Assert.Equal("pod-b", (await client.CoordinationV1.ReadNamespacedLeaseAsync("rwx-guard-reporter", "rwx-guard", cancellationToken: Ct)).Spec.HolderIdentity);
    }
}
