using System.Text.Json.Nodes;
using k8s.Models;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Cluster.KubeApiFake;
using static RwxGuard.Tests.Cluster.ApiResource;

namespace RwxGuard.Tests.Integration;

/// <summary>
/// kubectl --dry-run=server: the same decision, warnings and patch as a real request, and no write to the API server
/// (sideEffects: None).
/// </summary>
public sealed class DryRunTests
{
    [Fact]
    public async Task Dry_run_denial_and_mutation_match_the_real_ones_and_nothing_is_written()
    {
        await using var api = new KubeApiFake();
        api.OnList(Claims, Ok(Json.List(Claims, "100", Json.Claim("tzlil-tets", "data", "100", ["ReadWriteOnce"]))));
        api.OnList(StorageClasses, Ok(Json.List(StorageClasses, "7",
            Json.StorageClass("gp3", "7", "ebs.csi.aws.com", isDefault: true), Json.StorageClass("efs-sc", "8", "efs.csi.aws.com"))));
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"rwx-guard-kubeconfig-{Guid.NewGuid():N}");
        api.WriteKubeconfig(kubeconfig);
        try
        {
            await using var webhook = await RunningWebhook.StartAsync(args: ["--kubeconfig", kubeconfig],
                settings: new Dictionary<string, string?>
                {
                    ["Cluster:Connection"] = "Kubeconfig",
                    // The background reporter is the one component that writes (by design, on its own schedule): off here,
                    // so every request the API server sees below comes from admission.
                    ["Reporting:Enabled"] = "false",
                });
            await Poll.UntilAsync(async () =>
                (await webhook.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).IsSuccessStatusCode, "synced");

            var denial = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");
            var claim = Manifests.CreateReview(
                Manifests.Load("official-helm-chart-rendered.yaml").OfType<V1PersistentVolumeClaim>().Single(), "", "v1", "persistentvolumeclaims");

            foreach (var (path, real) in new[] { ("/validate", denial), ("/mutate", claim) })
            {
                var dry = real.DeepClone().AsObject();
                dry["request"]!["dryRun"] = true;
                var (_, realBody) = await webhook.Client.PostAsync(path, real);
                var (_, dryBody) = await webhook.Client.PostAsync(path, dry);
                Assert.Equal(realBody.ToJsonString(), dryBody.ToJsonString());
            }
            Assert.False(((JsonObject)(await webhook.Client.PostAsync("/validate", denial)).Body["response"]!)["allowed"]!.GetValue<bool>());

            // Everything the webhook asked of the API server: reads only.
            var writes = api.Server.LogEntries.Where(e => e.RequestMessage.Method != "GET").Select(e => $"{e.RequestMessage.Method} {e.RequestMessage.Path}").ToList();
            Assert.Empty(writes);
            Assert.NotEmpty(api.Server.LogEntries);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }
}
