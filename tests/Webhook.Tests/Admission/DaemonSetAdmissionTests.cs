using System.Text.Json.Nodes;
using RwxGuard.Domain;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;

namespace RwxGuard.Tests.Admission;

/// <summary>DaemonSets through the real server: routed, decided by the shared-claim rule, never as a Scale.</summary>
public sealed class DaemonSetAdmissionTests
{
    private static JsonObject Review(string json, string resource, string? subResource = null, string kind = "DaemonSet") => Fixtures.Wrap(new JsonObject
    {
        ["uid"] = Guid.NewGuid().ToString(),
        ["kind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = kind },
        ["resource"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["resource"] = resource },
        ["subResource"] = subResource,
        ["name"] = "collector",
        ["namespace"] = Ns,
        ["operation"] = subResource is null ? "CREATE" : "UPDATE",
        ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:logging:deployer" },
        ["object"] = JsonNode.Parse(json),
        ["oldObject"] = subResource is null ? null : JsonNode.Parse(json),
    });

    [Fact]
    public async Task A_DaemonSet_on_an_RWO_claim_is_warned_or_with_Deny_denied()
    {
        var view = new FakeClusterView().Add(Claim("spool", AccessModes.ReadWriteOnce));
        var daemonSet = Json.DaemonSet(Ns, "collector", "12", ["spool"]);

        await using (var webhook = await RunningWebhook.StartAsync(view))
        {
            var (_, body) = await webhook.Client.PostAsync("/validate", Review(daemonSet, "daemonsets"));
            var response = body["response"]!;
            Assert.True(response["allowed"]!.GetValue<bool>());
            Assert.Equal("shared-single-attach", response["auditAnnotations"]!["rules"]!.GetValue<string>());
            Assert.Equal("rwx-guard: DaemonSet ai/collector runs 1 pod per node on RWO claim spool; use RWX or one node only",
                Assert.Single(response["warnings"]!.AsArray())!.GetValue<string>());
        }

        await using (var webhook = await RunningWebhook.StartAsync(view, new Dictionary<string, string?> { ["Policy:SharedClaim"] = "Deny" }))
        {
            var (_, body) = await webhook.Client.PostAsync("/validate", Review(daemonSet, "daemonsets"));
            Assert.False(body["response"]!["allowed"]!.GetValue<bool>());
            Assert.StartsWith("DaemonSet ai/collector runs one pod per node and mounts single-attach claim spool (ReadWriteOnce)",
                body["response"]!["status"]!["message"]!.GetValue<string>());
        }
    }

    /// <summary>DaemonSets have no scale subresource: a request claiming one is not an entry point rwx-guard decides.</summary>
    [Fact]
    public async Task A_daemonsets_scale_request_is_not_taken_for_a_scale()
    {
        var view = new FakeClusterView().Add(Claim("spool", AccessModes.ReadWriteOnce)).Add(Workload(WorkloadKind.DaemonSet, "collector", null, "spool"));
        await using var webhook = await RunningWebhook.StartAsync(view);
        var scale = """{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"collector","namespace":"ai"},"spec":{"replicas":5}}""";

        var (_, body) = await webhook.Client.PostAsync("/validate", Review(scale, "daemonsets", "scale", kind: "Scale"));

        Assert.True(body["response"]!["allowed"]!.GetValue<bool>());
        Assert.Null(body["response"]!["warnings"]);
        Assert.Null(body["response"]!["auditAnnotations"]);
    }
}
