using System.Text.Json.Nodes;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure.FakeKube;
using RwxGuard.Tests.Infrastructure.FakeKube.Controllers;

namespace RwxGuard.Tests.FakeKubeTests;

/// <summary>The controllers of <see cref="KubeControllers"/>: what a real cluster does to claims, volumes, workloads and jobs.</summary>
public sealed class ControllerTests
{
    private static async Task<(FakeKubeApi Api, KubeControllers Controllers)> StartAsync()
    {
        KubeControllers? controllers = null;
        var api = await FakeKubeApi.StartAsync(a => controllers = KubeControllers.Install(a));
        api.Seed(ResourceType.StorageClasses, """{"metadata":{"name":"gp3","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"ebs.csi.aws.com","reclaimPolicy":"Delete"}""");
        api.Seed(ResourceType.StorageClasses, """{"metadata":{"name":"efs-sc"},"provisioner":"efs.csi.aws.com","reclaimPolicy":"Delete"}""");
        return (api, controllers!);
    }

    private static JsonObject Claim(string name, string mode = "ReadWriteOnce", string? storageClass = "gp3", string? volumeName = null)
    {
        var spec = new JsonObject
        {
            ["accessModes"] = new JsonArray(mode),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "8Gi" } },
        };
        if (storageClass is not null) spec["storageClassName"] = storageClass;
        if (volumeName is not null) spec["volumeName"] = volumeName;
        return new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "ai" }, ["spec"] = spec };
    }

    private static JsonObject Deployment(string name, int replicas, string claim) => Obj.Parse("""
        {"metadata":{"name":"NAME","namespace":"ai"},"spec":{"replicas":REPLICAS,"strategy":{"type":"Recreate"},
         "selector":{"matchLabels":{"app":"NAME"}},
         "template":{"metadata":{"labels":{"app":"NAME"}},"spec":{"containers":[{"name":"main","image":"mintplexlabs/anythingllm:1.8.4"}],
         "volumes":[{"name":"storage","persistentVolumeClaim":{"claimName":"CLAIM"}}]}}}}
        """.Replace("NAME", name).Replace("REPLICAS", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("CLAIM", claim));

    private static JsonObject Get(FakeKubeApi api, ResourceType type, string name, string? ns = "ai") => api.Store.GetOrThrow(type, ns, name);

    [Fact]
    public async Task A_claim_with_a_class_is_provisioned_and_bound_and_the_default_class_fills_an_absent_one()
    {
        var (api, _) = await StartAsync();
        await using var _api = api;
        api.Seed(ResourceType.Claims, Claim("data", storageClass: null));

        await Poll.UntilAsync(() => Get(api, ResourceType.Claims, "data").Str("status.phase") == "Bound", "the claim binds");
        var claim = Get(api, ResourceType.Claims, "data");
        Assert.Equal("gp3", claim.Str("spec.storageClassName"));
        Assert.Contains(PersistentVolumeController.ClaimProtection, claim.Finalizers());
        var volume = Get(api, ResourceType.Volumes, claim.Str("spec.volumeName")!, null);
        Assert.Equal(claim.Uid(), volume.Str("spec.claimRef.uid"));
        Assert.Equal("Bound", volume.Str("status.phase"));
        Assert.Equal("Delete", volume.Str("spec.persistentVolumeReclaimPolicy"));
    }

    [Fact]
    public async Task A_single_attach_provisioner_refuses_ReadWriteMany()
    {
        var (api, _) = await StartAsync();
        await using var _api = api;
        api.Seed(ResourceType.Claims, Claim("rwx-on-ebs", "ReadWriteMany"));
        await Poll.UntilAsync(() => api.Store.List(ResourceType.Events, "ai").Any(e => e.Str("reason") == "ProvisioningFailed"), "a ProvisioningFailed event");
        Assert.Equal("Pending", Get(api, ResourceType.Claims, "rwx-on-ebs").Str("status.phase"));
    }

    [Fact]
    public async Task Pvc_protection_holds_a_deleted_claim_while_a_pod_mounts_it()
    {
        var (api, controllers) = await StartAsync();
        await using var _api = api;
        controllers.Workloads.TerminationDelay = TimeSpan.FromMilliseconds(300);
        api.Seed(ResourceType.Claims, Claim("data"));
        api.Seed(ResourceType.Deployments, Deployment("app", 1, "data"));
        await Poll.UntilAsync(() => Get(api, ResourceType.Deployments, "app").Int("status.readyReplicas") == 1, "one pod runs");

        api.Store.Delete(ResourceType.Claims, "ai", "data");
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.True(Get(api, ResourceType.Claims, "data").IsDeleting(), "still there, terminating, while the pod runs");

        api.Store.Mutate(ResourceType.Deployments, "ai", "app", d => d.Set("spec.replicas", 0));
        await Poll.UntilAsync(() => api.Store.Get(ResourceType.Claims, "ai", "data") is null, "the claim goes once its pod is gone");
        Assert.Empty(api.Store.List(ResourceType.Pods, "ai"));
    }

    [Fact]
    public async Task Deleting_a_claim_releases_a_Retain_volume_with_its_old_claimRef_and_deletes_a_Delete_volume()
    {
        var (api, _) = await StartAsync();
        await using var _api = api;
        api.Seed(ResourceType.Claims, Claim("kept"));
        api.Seed(ResourceType.Claims, Claim("lost"));
        await Poll.UntilAsync(() => api.Store.List(ResourceType.Claims, "ai").All(c => c.Str("status.phase") == "Bound"), "both bind");
        var kept = Get(api, ResourceType.Claims, "kept");
        var keptVolume = kept.Str("spec.volumeName")!;
        var lostVolume = Get(api, ResourceType.Claims, "lost").Str("spec.volumeName")!;
        api.Store.Mutate(ResourceType.Volumes, null, keptVolume, v => v.Set("spec.persistentVolumeReclaimPolicy", "Retain"));

        api.Store.Delete(ResourceType.Claims, "ai", "kept");
        api.Store.Delete(ResourceType.Claims, "ai", "lost");
        await Poll.UntilAsync(() => api.Store.Get(ResourceType.Volumes, null, lostVolume) is null, "the Delete volume is deleted");
        await Poll.UntilAsync(() => Get(api, ResourceType.Volumes, keptVolume, null).Str("status.phase") == "Released", "the Retain volume is Released");
        Assert.Equal(kept.Uid(), Get(api, ResourceType.Volumes, keptVolume, null).Str("spec.claimRef.uid")); // the old uid stays

        // A new claim naming the volume cannot bind while the stale claimRef is there ...
        api.Seed(ResourceType.Claims, Claim("kept", volumeName: keptVolume));
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal("Pending", Get(api, ResourceType.Claims, "kept").Str("status.phase"));
        // ... and binds once it is cleared.
        api.Store.Mutate(ResourceType.Volumes, null, keptVolume, v => v["spec"]!.AsObject().Remove("claimRef"));
        await Poll.UntilAsync(() => Get(api, ResourceType.Claims, "kept").Str("status.phase") == "Bound", "the new claim binds the retained volume");
        Assert.Equal(keptVolume, Get(api, ResourceType.Claims, "kept").Str("spec.volumeName"));
    }

    [Fact]
    public async Task Replicas_become_pods_scale_to_zero_takes_the_grace_period_and_RWO_on_two_nodes_is_a_Multi_Attach_error()
    {
        var (api, controllers) = await StartAsync();
        await using var _api = api;
        controllers.Workloads.TerminationDelay = TimeSpan.FromMilliseconds(400);
        api.Seed(ResourceType.Claims, Claim("data"));
        api.Seed(ResourceType.Deployments, Deployment("app", 2, "data"));

        await Poll.UntilAsync(() => api.Store.List(ResourceType.Events, "ai").Any(e => e.Str("reason") == "FailedAttachVolume"), "a Multi-Attach event");
        var multiAttach = api.Store.List(ResourceType.Events, "ai").First(e => e.Str("reason") == "FailedAttachVolume");
        Assert.StartsWith("Multi-Attach error for volume \"pvc-", multiAttach.Str("message"));
        var pods = api.Store.List(ResourceType.Pods, "ai");
        Assert.Equal(2, pods.Count);
        Assert.Single(pods, p => p.Str("status.phase") == "Running");
        var stuck = Assert.Single(pods, p => p.Str("status.phase") == "Pending");
        Assert.Equal("ContainerCreating", (stuck["status"]!["containerStatuses"] as JsonArray)![0].Str("state.waiting.reason"));
        Assert.Equal(1, Get(api, ResourceType.Deployments, "app").Int("status.readyReplicas"));

        api.Store.Mutate(ResourceType.Deployments, "ai", "app", d => d.Set("spec.replicas", 0));
        await Poll.UntilAsync(() => api.Store.List(ResourceType.Pods, "ai") is { Count: 2 } pods && pods.All(p => p.IsDeleting()), "both pods terminate");
        Assert.Equal(2, api.Store.List(ResourceType.Pods, "ai").Count); // still there during the grace period
        await Poll.UntilAsync(() => api.Store.List(ResourceType.Pods, "ai").Count == 0, "then they are gone");
    }

    [Fact]
    public async Task A_job_runs_its_runner_once_its_claims_are_bound_and_reports_success_or_failure()
    {
        var (api, controllers) = await StartAsync();
        await using var _api = api;
        controllers.Jobs.Runner = (run, _) =>
        {
            run.Log("copying\n");
            return Task.FromResult(run.Job.Name() == "good");
        };
        api.Seed(ResourceType.Claims, Claim("data"));
        foreach (var name in new[] { "good", "bad" })
            api.Seed(ResourceType.Jobs, Obj.Parse("""{"metadata":{"name":"NAME","namespace":"ai"},"spec":{"backoffLimit":0,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"copy","image":"busybox"}],"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}}}}""".Replace("NAME", name)));

        await Poll.UntilAsync(() => api.Store.List(ResourceType.Jobs, "ai").All(j => j.At("status.conditions") is not null), "both jobs finish");
        Assert.Equal(1, Get(api, ResourceType.Jobs, "good").Int("status.succeeded"));
        Assert.Equal("Complete", (Get(api, ResourceType.Jobs, "good")["status"]!["conditions"] as JsonArray)![0].Str("type"));
        Assert.Equal(1, Get(api, ResourceType.Jobs, "bad").Int("status.failed"));
        var pod = api.Store.List(ResourceType.Pods, "ai").Single(p => p.Labels()["job-name"] == "good");
        Assert.Equal("Succeeded", pod.Str("status.phase"));
        using var http = new HttpClient { BaseAddress = api.Url };
        Assert.Equal("copying\n", await http.GetStringAsync($"/api/v1/namespaces/ai/pods/{pod.Name()}/log", TestContext.Current.CancellationToken));

        api.Store.Delete(ResourceType.Jobs, "ai", "good");
        await Poll.UntilAsync(() => api.Store.List(ResourceType.Pods, "ai").All(p => p.Labels()["job-name"] != "good"), "the job's pod is garbage-collected");
    }

    [Fact]
    public async Task A_snapshot_is_ready_only_with_a_snapshot_class_for_the_volumes_driver()
    {
        var (api, _) = await StartAsync();
        await using var _api = api;
        api.Seed(ResourceType.Claims, Claim("data"));
        await Poll.UntilAsync(() => Get(api, ResourceType.Claims, "data").Str("status.phase") == "Bound", "bound");
        api.Seed(ResourceType.VolumeSnapshots, """{"metadata":{"name":"early","namespace":"ai"},"spec":{"source":{"persistentVolumeClaimName":"data"}}}""");
        await Poll.UntilAsync(() => Get(api, ResourceType.VolumeSnapshots, "early").At("status") is not null, "the snapshot is looked at");
        Assert.False((bool)Get(api, ResourceType.VolumeSnapshots, "early").At("status.readyToUse")!);

        api.Seed(ResourceType.VolumeSnapshotClasses, """{"metadata":{"name":"ebs-snap","annotations":{"snapshot.storage.kubernetes.io/is-default-class":"true"}},"driver":"ebs.csi.aws.com","deletionPolicy":"Retain"}""");
        api.Seed(ResourceType.VolumeSnapshots, """{"metadata":{"name":"later","namespace":"ai"},"spec":{"source":{"persistentVolumeClaimName":"data"}}}""");
        await Poll.UntilAsync(() => Get(api, ResourceType.VolumeSnapshots, "later").At("status.readyToUse") is JsonValue v && (bool)v, "ready");
        Assert.Equal("ebs-snap", Get(api, ResourceType.VolumeSnapshots, "later").Str("spec.volumeSnapshotClassName"));
    }
}
