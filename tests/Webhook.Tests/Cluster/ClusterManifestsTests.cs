using System.Text;
using System.Text.Json.Nodes;
using RwxGuard.Cluster;
using RwxGuard.Domain;
using RwxGuard.Options;
using RwxGuard.Tests.Deploy;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Cluster;

/// <summary>
/// --cluster-manifests FILE|DIR (Cluster:Manifests, issue 13 item 5): the server's view read from manifests with the
/// reader of <c>webhook audit</c>, and the README's "Try a decision by hand", run for real.
/// </summary>
public sealed class ClusterManifestsTests
{
    private static string TryIt(params string[] parts) => Repo.Path(["examples", "try-it", .. parts]);

    private static Task<RunningWebhook> StartAsync(string manifests) =>
        RunningWebhook.StartAsync(["--cluster-manifests", manifests], new Dictionary<string, string?> { ["Cluster:Connection"] = "Auto" });

    private static async Task<JsonNode> PostAsync(RunningWebhook webhook, string path, string file)
    {
        using var content = new StringContent(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), Encoding.UTF8, "application/json");
        using var response = await webhook.Client.PostAsync(path, content, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["response"]!;
    }

    /// <summary>The README's example, file for file: the scale-out of AnythingLLM on its RWO claim is denied, and its claim's
    /// CREATE through /mutate is patched to ReadWriteMany on the cluster's EFS class.</summary>
    [Fact]
    public async Task The_README_example_denies_the_scale_out_and_patches_the_claim()
    {
        var readme = await File.ReadAllTextAsync(Repo.Path("README.md"), TestContext.Current.CancellationToken);
        Assert.Contains("dotnet run --project src/Webhook -- --cluster-manifests \"$PWD/examples/try-it/cluster\"", readme);
        Assert.Contains("--data-binary @examples/try-it/scale-to-2.json https://localhost:8443/validate", readme);
        Assert.Contains("--data-binary @examples/try-it/create-claim.json https://localhost:8443/mutate", readme);
        await using var webhook = await StartAsync(TryIt("cluster"));

        var ready = await webhook.Client.GetStringAsync("/readyz", TestContext.Current.CancellationToken);
        Assert.Contains("[+]cluster-view ok: manifests: 1 claims, 1 workloads, 0 autoscalers, 2 storage classes", ready);

        var scale = await PostAsync(webhook, "/validate", TryIt("scale-to-2.json"));
        Assert.False(scale["allowed"]!.GetValue<bool>());
        var denial = scale["status"]!["message"]!.GetValue<string>();
        Assert.StartsWith("Deployment ai/anythingllm is being scaled to 2 replicas but mounts single-attach claim " +
                          "anythingllm-storage-claim (ReadWriteOnce).", denial);
        Assert.Contains(denial, readme.Replace("\n", " ", StringComparison.Ordinal)); // the README shows the real text

        var create = await PostAsync(webhook, "/mutate", TryIt("create-claim.json"));
        Assert.True(create["allowed"]!.GetValue<bool>());
        Assert.Equal("rwx-guard: claim anythingllm-storage-claim changed: RWO -> RWX, StorageClass gp3 -> efs-sc",
            Assert.Single(create["warnings"]!.AsArray())!.GetValue<string>());
        var patch = JsonNode.Parse(Convert.FromBase64String(create["patch"]!.GetValue<string>()))!.AsArray();
        Assert.Equal(["/spec/accessModes", "/spec/storageClassName", "/metadata/annotations/rwx-guard.io~1mutated"],
            patch.Select(op => op!["path"]!.GetValue<string>()));
        Assert.Equal("efs-sc", patch[1]!["value"]!.GetValue<string>());
        Assert.Contains("\"value\": \"efs-sc\"", readme); // the decoded patch the README shows
    }

    /// <summary>The view answers from the manifests only, and never as "offline": what they do not contain is not found.</summary>
    [Fact]
    public async Task The_view_is_the_manifests_and_nothing_else()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Manifests"] = TryIt("cluster"),
        }).Build();
        var services = new ServiceCollection().AddLogging().AddClusterView(configuration).BuildServiceProvider();

        var view = services.GetRequiredService<IClusterView>();
        var connection = services.GetRequiredService<ClusterConnectionInfo>();

        Assert.Equal(ClusterConnectionSource.Manifests, connection.Source);
        Assert.False(connection.IsOffline);
        Assert.Null(services.GetService<ClusterView>()); // no API client, nothing watched, no reports written
        Assert.Equal((false, true), (view.Status.Offline, view.Status.Ready));
        Assert.Equal(AccessModes.ReadWriteOnce, view.GetClaim("ai", "anythingllm-storage-claim").Value!.EffectiveModes);
        Assert.Equal(LookupOutcome.NotFound, view.GetClaim("ai", "other").Outcome);
        Assert.Equal(["anythingllm"], view.WorkloadsMountingClaim("ai", "anythingllm-storage-claim").Select(w => w.Name));
        Assert.Equal(["efs-sc", "gp3"], view.StorageClasses.Value!.Select(c => c.Name).Order());
    }

    public static TheoryData<string, Dictionary<string, string?>, string> BadSettings => new()
    {
        { "a path that does not exist", new() { ["Cluster:Manifests"] = "/nonexistent/rwx-guard/manifests" },
            "Cluster:Manifests: '/nonexistent/rwx-guard/manifests' is neither a file nor a directory" },
        { "Manifests without a path", new() { ["Cluster:Connection"] = "Manifests" },
            "Cluster:Manifests: is required when Cluster:Connection is Manifests" },
        { "manifests and an API connection", new() { ["Cluster:Connection"] = "Kubeconfig", ["Cluster:Manifests"] = "{try-it}" },
            "Cluster:Connection: is Kubeconfig, but Cluster:Manifests is set" },
        { "manifests and offline", new() { ["Cluster:Connection"] = "Offline", ["Cluster:Manifests"] = "{try-it}" },
            "Cluster:Connection: is Offline, but Cluster:Manifests is set" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Bad_settings_stop_the_start_naming_the_key(string @case, Dictionary<string, string?> settings, string error)
    {
        foreach (var key in settings.Keys.ToList())
            settings[key] = settings[key]?.Replace("{try-it}", TryIt("cluster"), StringComparison.Ordinal);

        var thrown = Assert.Throws<SettingsException>(() => WebhookHost.Build([], b => b.Configuration.AddInMemoryCollection(settings)));

        Assert.True(thrown.Errors.Any(e => e.StartsWith(error, StringComparison.Ordinal)), $"{@case}: {thrown.Message}");
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        // case, file content, error (after "Cluster:Manifests: <file>")
        { "invalid YAML", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: [unclosed\n", ":5:1: invalid YAML" },
        { "a claim without a name", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {}\nspec: {}\n", ":1:1: PersistentVolumeClaim has no metadata.name" },
        { "only objects rwx-guard does not read", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
            ": no PersistentVolumeClaim, workload, HorizontalPodAutoscaler or StorageClass found (only 1 ConfigMap)" },
    };

    /// <summary>A manifest the reader cannot use stops the start with file:line:column, like any bad setting; never a
    /// server that quietly runs on an empty view.</summary>
    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Unusable_manifests_stop_the_start_with_where_they_are(string @case, string content, string error)
    {
        using var dir = new TempDir("cluster-manifests");
        var file = Path.Combine(dir.FullName, "cluster.yaml");
        File.WriteAllText(file, content);

        var thrown = Assert.Throws<SettingsException>(() => WebhookHost.Build(["--cluster-manifests", dir.FullName], b =>
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cluster:Connection"] = "Auto" })));

        var expected = error.StartsWith(": no ", StringComparison.Ordinal) ? $"Cluster:Manifests: {dir.FullName}{error}" : $"Cluster:Manifests: {file}{error}";
        Assert.True(thrown.Errors.Any(e => e.StartsWith(expected, StringComparison.Ordinal)), $"{@case}: {thrown.Message}");
    }

    [Fact]
    public void An_empty_directory_is_said_too()
    {
        using var dir = new TempDir("cluster-manifests");

        var thrown = Assert.Throws<SettingsException>(() => WebhookHost.Build(["--cluster-manifests", dir.FullName], b =>
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cluster:Connection"] = "Auto" })));

        Assert.Equal($"Cluster:Manifests: {dir.FullName}: directory has no *.yaml, *.yml or *.json file", Assert.Single(thrown.Errors));
    }
}
