using k8s.Models;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Admission;

/// <summary>How AnythingLLM is really deployed (official chart, community chart, official raw manifest), admitted for real.</summary>
public sealed class AnythingLlmManifestTests
{
    public static TheoryData<string, int> Scaled => new()
    {
        { "official-helm-chart-rendered.yaml", 2 },
        { "community-chart-rendered.yaml", 3 },
    };

    private static (V1PersistentVolumeClaim Claim, V1Deployment Deployment) Pair(string file)
    {
        var objects = Manifests.Load(file);
        return (objects.OfType<V1PersistentVolumeClaim>().Single(), objects.OfType<V1Deployment>().Single());
    }

    private static FakeClusterView ViewWithClaim(V1PersistentVolumeClaim claim, AccessModes modes) =>
        new FakeClusterView().Add(new ClaimInfo
        {
            Namespace = claim.Metadata.NamespaceProperty,
            Name = claim.Metadata.Name,
            SpecModes = modes,
        });

    [Theory]
    [MemberData(nameof(Scaled))]
    public async Task Scaled_deployment_is_denied_on_its_rwo_claim(string file, int replicas)
    {
        var (claim, deployment) = Pair(file);
        Assert.Equal("ReadWriteOnce", Assert.Single(claim.Spec.AccessModes)); // as shipped
        await using var webhook = await RunningWebhook.StartAsync(ViewWithClaim(claim, AccessModes.ReadWriteOnce));

        var (_, body) = await webhook.Client.PostAsync("/validate",
            Manifests.CreateReview(deployment, "apps", "v1", "deployments"));

        var response = body["response"]!;
        Assert.False(response["allowed"]!.GetValue<bool>());
        var message = response["status"]!["message"]!.GetValue<string>();
        Assert.Contains($"Deployment {deployment.Metadata.NamespaceProperty}/{deployment.Metadata.Name} runs {replicas} replicas", message);
        Assert.Contains($"{claim.Metadata.Name} (ReadWriteOnce)", message);
    }

    [Theory]
    [MemberData(nameof(Scaled))]
    public async Task Scaled_deployment_is_allowed_on_rwx_with_the_sqlite_and_lancedb_warnings(string file, int replicas)
    {
        var (claim, deployment) = Pair(file);
        await using var webhook = await RunningWebhook.StartAsync(ViewWithClaim(claim, AccessModes.ReadWriteMany));

        var (_, body) = await webhook.Client.PostAsync("/validate",
            Manifests.CreateReview(deployment, "apps", "v1", "deployments"));

        var response = body["response"]!;
        Assert.True(response["allowed"]!.GetValue<bool>());
        var warnings = response["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains($"{replicas} replicas share SQLite; use image :pg + postgresql:// DATABASE_URL", warnings[0]);
        Assert.Contains($"{replicas} replicas share LanceDB unless envFrom sets an external VECTOR_DB", warnings[1]);
        Assert.Equal("anythingllm-sqlite,anythingllm-lancedb", response["auditAnnotations"]!["rules"]!.GetValue<string>());
    }

    [Fact]
    public async Task Official_raw_manifest_is_allowed_at_one_replica_and_denied_when_scaled()
    {
        var (claim, deployment) = Pair("official-raw-manifest.yaml");
        Assert.Null(claim.Metadata.Labels); // the unlabeled claim
        var view = ViewWithClaim(claim, AccessModes.ReadWriteOnce);
        await using var webhook = await RunningWebhook.StartAsync(view);

        // replicas 1 with maxSurge 0%: no surge either, so nothing to say.
        var (_, created) = await webhook.Client.PostAsync("/validate",
            Manifests.CreateReview(deployment, "apps", "v1", "deployments"));
        Assert.True(created["response"]!["allowed"]!.GetValue<bool>());
        Assert.Null(created["response"]!["warnings"]);

        deployment.Spec.Replicas = 2;
        var (_, scaled) = await webhook.Client.PostAsync("/validate",
            Manifests.CreateReview(deployment, "apps", "v1", "deployments"));
        Assert.False(scaled["response"]!["allowed"]!.GetValue<bool>());
        Assert.Contains("anything-llm-volume-claim (ReadWriteOnce)", scaled["response"]!["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Claim_applied_after_the_scaled_chart_deployment_is_denied()
    {
        var (claim, deployment) = Pair("community-chart-rendered.yaml");
        var view = new FakeClusterView().Add(new WorkloadInfo
        {
            Kind = WorkloadKind.Deployment,
            Namespace = deployment.Metadata.NamespaceProperty,
            Name = deployment.Metadata.Name,
            Replicas = deployment.Spec.Replicas,
            Template = new PodTemplateInfo { ClaimNames = [claim.Metadata.Name] },
        });
        await using var webhook = await RunningWebhook.StartAsync(view);

        var (_, body) = await webhook.Client.PostAsync("/validate",
            Manifests.CreateReview(claim, "", "v1", "persistentvolumeclaims"));
        Assert.False(body["response"]!["allowed"]!.GetValue<bool>());
        Assert.Contains("Deployment team-a/anything-llm-team-a runs 3 replicas", body["response"]!["status"]!["message"]!.GetValue<string>());
    }
}
