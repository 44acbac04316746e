using RwxGuard.Audit;
using RwxGuard.Tests.Cluster;

namespace RwxGuard.Tests.Audit;

/// <summary><c>--kubeconfig</c>: manifests resolved against a live (fake) API server.</summary>
public sealed class AuditClusterTests : IAsyncDisposable
{
    private readonly KubeApiFake _api = new();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rwx-guard-audit-kube-");

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string Kubeconfig()
    {
        return _api.WriteKubeconfig(Path.Combine(_dir.FullName, "kubeconfig"), token: "not-a-real-token");
    }

    private void ClusterHasTheChartClaimAndEfs(string[] modes)
    {
        _api.OnList(ApiResource.Claims, KubeApiFake.Ok(Json.List(ApiResource.Claims, "10",
            Json.Claim("ai", "anythingllm-storage-claim", "9", modes, phase: "Bound", storageClass: "gp3",
                labels: new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" }))));
        _api.OnList(ApiResource.StorageClasses, KubeApiFake.Ok(Json.List(ApiResource.StorageClasses, "11",
            Json.StorageClass("gp3", "3", "ebs.csi.aws.com", isDefault: true),
            Json.StorageClass("efs-sc", "4", "efs.csi.aws.com"))));
    }

    [Fact]
    public async Task A_claim_the_cluster_already_has_is_not_created_again_so_the_chart_still_fails()
    {
        // The chart's claim exists as RWO (created before rwx-guard): its modes cannot change, whatever the class list offers.
        ClusterHasTheChartClaimAndEfs(["ReadWriteOnce"]);

        var run = await Cli.RunAsync("-f", Cli.Anythingllm("official-helm-chart-rendered.yaml"), "--kubeconfig", Kubeconfig(), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal("fail", (string?)Assert.Single(run.For("Deployment", "anythingllm"))["result"]);
        var claim = Assert.Single(run.For("PersistentVolumeClaim", "anythingllm-storage-claim"));
        Assert.Equal(("warn", "claim-rwx"), ((string?)claim["result"], (string?)claim["rule"]));
        Assert.Contains("only 1 pod can use it", (string)claim["summary"]!);
        Assert.NotNull(claim["uid"]); // the cluster's object
    }

    [Fact]
    public async Task A_new_claim_is_mutated_on_the_cluster_class_and_a_cluster_claim_resolves_a_manifest_deployment()
    {
        ClusterHasTheChartClaimAndEfs(["ReadWriteMany"]);
        var deploymentOnly = File.ReadAllText(Cli.Anythingllm("official-helm-chart-rendered.yaml")).Split("\n---\n")[1];
        var newClaim = File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml")).Split("\n---\n")[0];

        var run = await Cli.RunWithStdinAsync(deploymentOnly + "\n---\n" + newClaim, "-f", "-", "--kubeconfig", Kubeconfig(), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        // The Deployment mounts the cluster's RWX claim: allowed, with the SQLite and LanceDB warnings.
        Assert.Equal(["anythingllm-lancedb", "anythingllm-sqlite"], run.For("Deployment", "anythingllm").Select(r => (string?)r["rule"]));
        // The community claim is new: it gets the cluster default (gp3), then the mutator moves it to the cluster's EFS class.
        var mutation = Assert.Single(run.For("PersistentVolumeClaim", "server-storage"));
        Assert.Equal("mutation: would set ReadWriteMany on efs-sc (was RWO on gp3)", (string?)mutation["summary"]);
    }

    [Fact]
    public async Task Without_manifests_the_whole_cluster_is_audited()
    {
        ClusterHasTheChartClaimAndEfs(["ReadWriteOnce"]);
        _api.OnList(ApiResource.Deployments, KubeApiFake.Ok(Json.List(ApiResource.Deployments, "12",
            Json.Deployment("ai", "anythingllm", "5", 2, ["anythingllm-storage-claim"], strategy: """{"type":"Recreate"}"""))));

        var run = await Cli.RunAsync("--kubeconfig", Kubeconfig(), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal("fail", (string?)Assert.Single(run.For("Deployment", "anythingllm"))["result"]);
        Assert.Equal("warn", (string?)Assert.Single(run.For("PersistentVolumeClaim", "anythingllm-storage-claim"))["result"]);
    }

    [Fact]
    public async Task An_unreachable_cluster_exits_2()
    {
        _api.OnList(ApiResource.Claims, KubeApiFake.Error(403, "Forbidden", "persistentvolumeclaims is forbidden"));

        var run = await Cli.RunAsync("-f", Cli.Anythingllm("official-helm-chart-rendered.yaml"), "--kubeconfig", Kubeconfig(),
            "--cluster-timeout", "2");

        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Contains("the cluster could not be read within 2 s", run.Stderr);
        Assert.Contains("403", run.Stderr);
    }
}
