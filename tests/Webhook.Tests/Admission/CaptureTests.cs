using System.Text.Json.Nodes;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Admission;

/// <summary>Every real capture in Fixtures/admission through the real HTTPS server.</summary>
public sealed class CaptureTests : IAsyncLifetime
{
    private readonly FakeClusterView _view = new FakeClusterView()
        .Add(Claim("rwo-claim", AccessModes.ReadWriteOnce))
        .Add(Claim("rwx-claim", AccessModes.ReadWriteMany));
    private RunningWebhook _webhook = null!;

    public async ValueTask InitializeAsync() => _webhook = await RunningWebhook.StartAsync(_view);
    public async ValueTask DisposeAsync() => await _webhook.DisposeAsync();

    public static TheoryData<string> Captures => new(Fixtures.AdmissionCaptures());

    [Theory]
    [MemberData(nameof(Captures))]
    public async Task Every_capture_is_answered_in_its_own_version_with_its_uid_and_allowed(string capture)
    {
        var review = Fixtures.Review(capture);
        var (status, body) = await _webhook.Client.PostAsync("/validate", review);

        Assert.Equal(200, status);
        Assert.Equal(review["apiVersion"]!.GetValue<string>(), body["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", body["kind"]!.GetValue<string>());
        var response = body["response"]!.AsObject();
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response["uid"]!.GetValue<string>());
        // None of the captures mounts a claim; DELETE and Pods are not ours: all pass untouched.
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["warnings"]);
        Assert.Null(response["patch"]);
        Assert.Null(response["patchType"]);
    }

    /// <summary>
    /// The reproduction from the hardening review: a ReplicaSet that names a controlling Deployment of another API
    /// group passed with 5 replicas on an RWO claim. It is denied now, and the denial says why it was checked.
    /// </summary>
    [Fact]
    public async Task A_replicaset_with_a_forged_deployment_owner_is_denied_and_told_why()
    {
        var review = Fixtures.MountClaim(Fixtures.Review("kw-replicaset-create-replicas2-v1req.json"), "rwo-claim");
        var request = review["request"]!.AsObject();
        var ns = request["namespace"]!.GetValue<string>();
        _view.Add(Claim("rwo-claim", AccessModes.ReadWriteOnce) with { Namespace = ns });
        var obj = request["object"]!.AsObject();
        obj["spec"]!["replicas"] = 5;
        obj["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "example.com/v1", ["kind"] = "Deployment", ["name"] = "web", ["uid"] = "6c1d1d63-0000-4000-8000-000000000001",
            ["controller"] = true, ["blockOwnerDeletion"] = true,
        });

        var (_, body) = await _webhook.Client.PostAsync("/validate", review);

        var response = body["response"]!;
        Assert.False(response["allowed"]!.GetValue<bool>());
        var message = response["status"]!["message"]!.GetValue<string>();
        Assert.Contains("runs 5 replicas but mounts single-attach claim rwo-claim", message);
        Assert.Contains("checked on its own because its controller example.com/v1 Deployment web", message);
    }

    [Fact]
    public async Task V1beta1_capture_is_answered_as_v1beta1()
    {
        var (_, body) = await _webhook.Client.PostAsync("/validate", Fixtures.Review("imageswap-deployment-create-replicas3-v1beta1.json"));
        Assert.Equal("admission.k8s.io/v1beta1", body["apiVersion"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("datree-deployment-create-replicas2-v1.json")]
    [InlineData("imageswap-deployment-create-replicas3-v1beta1.json")]
    [InlineData("kw-deployment-create-replicas3-v1req.json")]
    [InlineData("kw-replicaset-create-replicas2-v1req.json")]
    public async Task Replicated_capture_mounting_an_rwo_claim_is_denied_and_rwx_allowed(string capture)
    {
        var denied = Fixtures.MountClaim(Fixtures.Review(capture), "rwo-claim");
        var ns = denied["request"]!["namespace"]!.GetValue<string>();
        _view.Add(Claim("rwo-claim", AccessModes.ReadWriteOnce) with { Namespace = ns });
        _view.Add(Claim("rwx-claim", AccessModes.ReadWriteMany) with { Namespace = ns });
        var (status, body) = await _webhook.Client.PostAsync("/validate", denied);
        Assert.Equal(200, status);
        var response = body["response"]!;
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Equal(403, response["status"]!["code"]!.GetValue<int>());
        var message = response["status"]!["message"]!.GetValue<string>();
        Assert.Contains("rwo-claim (ReadWriteOnce)", message);
        Assert.Contains(denied["request"]!["name"]?.GetValue<string>() ?? denied["request"]!["object"]!["metadata"]!["name"]!.GetValue<string>(), message);
        Assert.Null(response["patch"]);
        Assert.Equal("denied", response["auditAnnotations"]!["decision"]!.GetValue<string>());

        var (_, allowedBody) = await _webhook.Client.PostAsync("/validate", Fixtures.MountClaim(Fixtures.Review(capture), "rwx-claim"));
        Assert.True(allowedBody["response"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Statefulset_capture_with_rwo_volume_claim_templates_is_allowed()
    {
        // Per-pod storage: each replica gets its own claim from volumeClaimTemplates.
        var (_, body) = await _webhook.Client.PostAsync("/validate", Fixtures.Review("kw-statefulset-create-vct-replicas3-v1req.json"));
        Assert.True(body["response"]!["allowed"]!.GetValue<bool>());
        Assert.Null(body["response"]!["warnings"]);
    }

    [Fact]
    public async Task Dry_run_gets_exactly_the_real_decision()
    {
        var real = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "rwo-claim");
        var dry = real.DeepClone().AsObject();
        dry["request"]!["dryRun"] = true;
        var (_, realBody) = await _webhook.Client.PostAsync("/validate", real);
        var (_, dryBody) = await _webhook.Client.PostAsync("/validate", dry);
        Assert.Equal(realBody.ToJsonString(), dryBody.ToJsonString());
    }

    [Fact]
    public async Task Scale_built_from_a_capture_envelope_is_checked_against_the_cached_parent()
    {
        _view.Add(Workload("api", 1, "rwo-claim") with { Namespace = "customer-1" });
        _view.Add(Claim("rwo-claim", AccessModes.ReadWriteOnce) with { Namespace = "customer-1" });

        var (_, up) = await _webhook.Client.PostAsync("/validate", ScaleReview(3, 1));
        Assert.False(up["response"]!["allowed"]!.GetValue<bool>());
        Assert.Contains("is being scaled to 3 replicas", up["response"]!["status"]!["message"]!.GetValue<string>());

        // Scale to zero arrives as "spec": {}.
        var (_, zero) = await _webhook.Client.PostAsync("/validate", ScaleReview(null, 1));
        Assert.True(zero["response"]!["allowed"]!.GetValue<bool>());
    }

    /// <summary>The kw Deployment UPDATE envelope turned into a deployments/scale UPDATE, as kubectl scale sends it.</summary>
    private static JsonObject ScaleReview(int? replicas, int oldReplicas)
    {
        var review = Fixtures.Review("kw-deployment-update-with-oldobject-v1req.json");
        var request = review["request"]!.AsObject();
        JsonObject Scale(int? r) => new()
        {
            ["apiVersion"] = "autoscaling/v1",
            ["kind"] = "Scale",
            ["metadata"] = new JsonObject { ["name"] = "api", ["namespace"] = "customer-1" },
            ["spec"] = r is { } n ? new JsonObject { ["replicas"] = n } : new JsonObject(),
            ["status"] = new JsonObject { ["replicas"] = oldReplicas, ["selector"] = "app=api" },
        };
        request["kind"] = new JsonObject { ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale" };
        request["requestKind"] = request["kind"]!.DeepClone();
        request["subResource"] = "scale";
        request["requestSubResource"] = "scale";
        request["name"] = "api";
        request["namespace"] = "customer-1";
        request["object"] = Scale(replicas);
        request["oldObject"] = Scale(oldReplicas);
        return review;
    }
}
