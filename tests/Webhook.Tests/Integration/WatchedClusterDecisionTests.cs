using System.Net;
using System.Text.Json.Nodes;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Cluster.KubeApiFake;
using static RwxGuard.Tests.Cluster.ApiResource;

namespace RwxGuard.Tests.Integration;

/// <summary>
/// The whole server: HTTPS, the real cluster view fed by list and watch from WireMock.Net speaking the real API paths,
/// and decisions that follow what the API server says (and says plainly when it cannot be reached).
/// </summary>
public sealed class WatchedClusterDecisionTests : IAsyncLifetime
{
    private const string Ns = "tzlil-tets"; // the namespace of the datree capture
    private static readonly string[] Rwo = ["ReadWriteOnce"];
    private readonly KubeApiFake _api = new();
    private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), $"rwx-guard-kubeconfig-{Guid.NewGuid():N}");

    public ValueTask InitializeAsync()
    {
        _api.WriteKubeconfig(_kubeconfig);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    private Task<RunningWebhook> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Cluster:Connection"] = "Kubeconfig",
            ["Cluster:BackoffInitialSeconds"] = "0.02",
            ["Cluster:BackoffMaxSeconds"] = "0.2",
        };
        foreach (var (k, v) in settings ?? []) all[k] = v;
        return RunningWebhook.StartAsync(args: ["--kubeconfig", _kubeconfig], settings: all);
    }

    /// <summary>The real datree Deployment CREATE (replicas 2) mounting claim "data".</summary>
    private static JsonObject ScaledDeployment() =>
        Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");

    private static async Task<JsonNode> DecideAsync(RunningWebhook webhook)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15)); // a decision that waited on the API server would hang here
        using var response = await webhook.Client.PostAsync("/validate", Fixtures.Json(ScaledDeployment()), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token))!["response"]!;
    }

    private static async Task<JsonNode> UntilDecisionAsync(RunningWebhook webhook, Func<JsonNode, bool> condition, string what)
    {
        JsonNode last = null!;
        await Poll.UntilAsync(async () => condition(last = await DecideAsync(webhook)), what, state: () => last?.ToJsonString() ?? "");
        return last;
    }

    private static async Task<HttpStatusCode> ReadyzAsync(RunningWebhook webhook) =>
        (await webhook.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode;

    [Fact]
    public async Task Not_ready_until_every_cache_synced_and_the_decision_says_why_meanwhile()
    {
        var release = new TaskCompletionSource();
        _api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim(Ns, "data", "100", Rwo))));
        _api.OnList(StorageClasses, Ok(Json.List(StorageClasses, "7")) with { Gate = release.Task });
        await using var webhook = await StartAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyzAsync(webhook));
        var waiting = await DecideAsync(webhook);
        Assert.True(waiting["allowed"]!.GetValue<bool>()); // Policy:OnClusterUnavailable defaults to Warn
        Assert.Contains("cluster view unavailable", waiting["warnings"]![0]!.GetValue<string>());
        Assert.Equal("cluster-unavailable", waiting["auditAnnotations"]!["rules"]!.GetValue<string>());

        release.SetResult();
        await Poll.UntilAsync(async () => await ReadyzAsync(webhook) == HttpStatusCode.OK, "readyz passes");
        var synced = await DecideAsync(webhook);
        Assert.False(synced["allowed"]!.GetValue<bool>());
        Assert.Contains("data (ReadWriteOnce)", synced["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_claim_bound_as_rwx_through_a_watch_event_changes_the_decision()
    {
        var release = new TaskCompletionSource();
        _api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim(Ns, "data", "100", Rwo))));
        _api.OnWatch(Claims, "100", Events(Json.Modified(
            Json.Claim(Ns, "data", "101", Rwo, phase: "Bound", statusModes: ["ReadWriteMany"]))) with { Gate = release.Task });
        await using var webhook = await StartAsync();

        var before = await UntilDecisionAsync(webhook, r => r["status"]?["code"]?.GetValue<int>() == 403, "denied on RWO");
        Assert.Contains("data (ReadWriteOnce)", before["status"]!["message"]!.GetValue<string>());

        release.SetResult();
        var after = await UntilDecisionAsync(webhook, r => r["allowed"]!.GetValue<bool>(), "allowed once bound RWX");
        Assert.Null(after["status"]);
    }

    [Fact]
    public async Task A_410_on_the_watch_relists_and_the_relisted_state_decides()
    {
        var release = new TaskCompletionSource();
        _api.OnList(Claims,
            Ok(Json.List(Claims, "100", Json.Claim(Ns, "data", "100", Rwo))),
            Ok(Json.List(Claims, "300", Json.Claim(Ns, "data", "300", ["ReadWriteMany"]))));
        _api.OnWatch(Claims, "100", Error(410, "Expired", "too old resource version: 100 (250)") with { Gate = release.Task });
        await using var webhook = await StartAsync();

        await UntilDecisionAsync(webhook, r => r["status"]?["code"]?.GetValue<int>() == 403, "denied on RWO");
        release.SetResult();
        await UntilDecisionAsync(webhook, r => r["allowed"]!.GetValue<bool>(), "allowed after the relist");
        Assert.True(_api.ListRequests(Claims).Count >= 2, "the 410 made the view list claims again");
    }

    [Theory]
    [InlineData("Deny", false)]
    [InlineData("Warn", true)]
    public async Task An_api_server_answering_500_leaves_the_configured_behaviour(string behaviour, bool allowed)
    {
        _api.OnList(Claims, Error(500, "InternalError", "etcdserver: request timed out"));
        await using var webhook = await StartAsync(new() { ["Policy:OnClusterUnavailable"] = behaviour });

        var response = await DecideAsync(webhook);
        Assert.Equal(allowed, response["allowed"]!.GetValue<bool>());
        var said = allowed ? response["warnings"]![0]!.GetValue<string>() : response["status"]!["message"]!.GetValue<string>();
        Assert.Contains(allowed ? "cluster view unavailable" : "its view of the cluster is not available", said);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyzAsync(webhook));
        using var readyz = await webhook.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        Assert.Contains("persistentvolumeclaims", await readyz.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_slow_api_server_never_holds_up_a_decision()
    {
        var never = new TaskCompletionSource();
        var claimsList = _api.OnList(Claims, Ok(Json.List(Claims, "100")) with { Gate = never.Task });
        await using var webhook = await StartAsync();

        // The claims list is still hanging while ten decisions are answered from memory.
        for (var i = 0; i < 10; i++)
        {
            var response = await DecideAsync(webhook);
            Assert.True(response["allowed"]!.GetValue<bool>());
        }
        Assert.False(never.Task.IsCompleted);
        Assert.Equal(1, claimsList.Hits); // the one list request, still unanswered
    }
}
