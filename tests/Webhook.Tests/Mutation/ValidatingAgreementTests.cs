using System.Text.Json.Nodes;
using k8s.Models;
using RwxGuard.Mapping;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Mutation.StorageClassFixtures;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>
/// Policy 1 and Policy 2 agree: validating webhooks see the mutated object, so a claim /mutate turned ReadWriteMany is
/// not single-attach for /validate, at the claim's CREATE and afterwards when the workload is scaled.
/// </summary>
public sealed class ValidatingAgreementTests
{
    [Theory]
    [InlineData("official-helm-chart-rendered.yaml")]
    [InlineData("community-chart-rendered.yaml")]
    [InlineData("official-raw-manifest.yaml")]
    public async Task Mutated_claim_passes_validation_under_a_replicated_workload(string file)
    {
        var claim = MutateEndpointTests.ClaimAsAdmitted(file, "gp3");
        var deployment = Manifests.Load(file).OfType<V1Deployment>().Single();
        deployment.Metadata.NamespaceProperty = claim.Metadata.NamespaceProperty;
        deployment.Spec.Replicas = 3;
        var view = View("eks.json").Add(new WorkloadInfo
        {
            Kind = WorkloadKind.Deployment,
            Namespace = claim.Metadata.NamespaceProperty,
            Name = deployment.Metadata.Name,
            Replicas = 3,
            Strategy = new RolloutStrategy("Recreate", null),
            Template = ShapeMapping.ToTemplate(new PodTemplate
            {
                Spec = new PodSpec { Volumes = [new Volume { Name = "storage", PersistentVolumeClaim = new ClaimVolumeSource { ClaimName = claim.Metadata.Name } }] },
            }),
        });
        await using var webhook = await RunningWebhook.StartAsync(view);
        var review = Manifests.CreateReview(claim, "", "v1", "persistentvolumeclaims");

        // As written, the claim is refused: the Deployment with 3 replicas already mounts it.
        var (_, unmutated) = await webhook.Client.PostAsync("/validate", review);
        Assert.False(unmutated["response"]!["allowed"]!.GetValue<bool>());
        Assert.Contains(Rules.ReplicatedSingleAttach, unmutated["response"]!["auditAnnotations"]!["rules"]!.GetValue<string>());

        // The API server calls /mutate first, then /validate with the patched object.
        var (_, mutated) = await webhook.Client.PostAsync("/mutate", review);
        var patched = ClaimJson.ApplyToJson(review["request"]!["object"]!.AsObject(), mutated["response"]!["patch"]!.GetValue<string>());
        var validated = review.DeepClone().AsObject();
        validated["request"]!["object"] = patched;
        var (_, afterMutation) = await webhook.Client.PostAsync("/validate", validated);
        var response = afterMutation["response"]!;
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["patch"]);
        Assert.Null(response["auditAnnotations"]);

        // Once created, the cached claim is RWX: scaling the Deployment is not a single-attach violation any more.
        view.Add(ClaimJson.Info(patched) with { Namespace = claim.Metadata.NamespaceProperty });
        var (_, scaled) = await webhook.Client.PostAsync("/validate", Manifests.CreateReview(deployment, "apps", "v1", "deployments"));
        Assert.True(scaled["response"]!["allowed"]!.GetValue<bool>());
        var rules = scaled["response"]!["auditAnnotations"]?["rules"]?.GetValue<string>() ?? "";
        Assert.DoesNotContain(Rules.ReplicatedSingleAttach, rules);
        // What remains is the honest caveat: RWX fixes attachment, not SQLite's concurrent writers.
        Assert.Contains(Rules.AnythingLlmSqlite, rules);
    }
}
