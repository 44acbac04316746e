using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RwxGuard.CommandLine;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Infrastructure.FakeKube;

namespace RwxGuard.Tests.Verify;

/// <summary>
/// <c>webhook verify</c> against objects shaped like <c>kubectl get -o json</c> output of three real situations
/// (Fixtures/verify): a healthy RWX install, the Multi-Attach error of a second replica on an RWO claim, and a pod
/// stuck in ContainerCreating on an RWX class.
/// </summary>
public sealed partial class VerifyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed record Run(int ExitCode, string Stdout, string Stderr)
    {
        public JsonObject Json => JsonNode.Parse(Stdout)!.AsObject();
        public override string ToString() => $"exit {ExitCode}\n{Stdout}\n{Stderr}";
    }

    /// <summary>Loads a fixture into a fake API server: "{{now-N}}" becomes the time N seconds ago.</summary>
    private static async Task<FakeKubeApi> ClusterAsync(string fixture)
    {
        var api = await FakeKubeApi.StartAsync();
        var text = Now().Replace(await File.ReadAllTextAsync(Path.Combine(Fixtures.Dir, "verify", fixture), Ct), m =>
            DateTimeOffset.UtcNow.AddSeconds(-int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        foreach (var item in JsonNode.Parse(text)!["items"]!.AsArray().OfType<JsonObject>())
            api.Seed(ResourceType.BuiltIn.Single(t => t.Kind == (string)item["kind"]!), item.Clone());
        return api;
    }

    private static async Task<Run> VerifyAsync(FakeKubeApi api, params string[] args)
    {
        var kubeconfig = api.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"rwx-guard-verify-{Guid.NewGuid():N}.kubeconfig"));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        try
        {
            var code = await WebhookCommandLine.RunAsync(["verify", "--kubeconfig", kubeconfig, .. args], new CliConsole(new StringReader(""), stdout, stderr, false), Ct);
            return new Run(code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Fact]
    public async Task A_healthy_RWX_install_passes_every_check_and_exits_0()
    {
        await using var api = await ClusterAsync("healthy-rwx.json");

        var run = await VerifyAsync(api, "-n", "ai", "deployment/anythingllm");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("✓ deployment/anythingllm claim: anythingllm-storage-claim is RWX on efs-sc", run.Stdout);
        Assert.Contains("✓ deployment/anythingllm class: efs-sc (efs.csi.aws.com) supports ReadWriteMany", run.Stdout);
        Assert.Contains("✓ deployment/anythingllm replicas: 2/2 ready, on ip-10-0-1-17.ec2.internal, ip-10-0-2-33.ec2.internal", run.Stdout);
        Assert.Contains("✓ rwx-guard webhook: installed (validatingwebhookconfiguration/rwx-guard, failurePolicy Fail) and applies to namespace ai", run.Stdout);
        Assert.Contains("✓ rwx-guard mode: Enforce in namespace ai", run.Stdout);
        Assert.DoesNotContain("✗", run.Stdout);
        Assert.DoesNotContain("⚠", run.Stdout);
    }

    [Fact]
    public async Task A_Multi_Attach_error_is_a_problem_with_its_evidence_and_exits_1()
    {
        await using var api = await ClusterAsync("multi-attach.json");

        var run = await VerifyAsync(api, "-n", "ai");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("✗ deployment/anythingllm claim: anythingllm-storage-claim is RWO on gp3: only pods on one node can mount it, and 2 replicas want it", run.Stdout);
        Assert.Contains("✗ deployment/anythingllm replicas: 1/2 ready", run.Stdout);
        Assert.Contains("✗ deployment/anythingllm pods: pod anythingllm-7d9f8b6c5d-x9w2v stuck in ContainerCreating for 15m on ip-10-0-2-33.ec2.internal", run.Stdout);
        Assert.Matches(@"✗ deployment/anythingllm events: FailedAttachVolume ×1 in the last hour, latest 15m ago on pod/anythingllm-7d9f8b6c5d-x9w2v: Multi-Attach error for volume ""pvc-0e9d8c7b", run.Stdout);
        Assert.Contains("✗ deployment/anythingllm events: FailedMount ×6 in the last hour", run.Stdout);
        // The policy's own verdict, and its AnythingLLM rules, come from the policy code.
        Assert.Contains("✗ deployment/anythingllm policy replicated-single-attach:", run.Stdout);
    }

    [Fact]
    public async Task A_pod_stuck_creating_on_an_RWX_claim_is_found_without_any_event()
    {
        await using var api = await ClusterAsync("stuck-creating.json");

        var run = await VerifyAsync(api, "-n", "ai", "-o", "json");

        Assert.True(run.ExitCode == 1, run.ToString());
        var checks = run.Json["checks"]!.AsArray().Select(c => ((string)c!["status"]!, (string)c["check"]!, (string)c["evidence"]!)).ToList();
        Assert.Contains(("pass", "claim", "anythingllm-storage-claim is RWX on efs-sc"), checks);
        Assert.Contains(checks, c => c is ("fail", "pods", var e) && e.StartsWith("pod anythingllm-7d9f8b6c5d-q5r8t stuck in ContainerCreating for 25m on ip-10-0-3-41", StringComparison.Ordinal));
        Assert.Contains(checks, c => c is ("fail", "replicas", "1/2 ready, on ip-10-0-1-17.ec2.internal, ip-10-0-3-41.ec2.internal"));
        Assert.Equal(1, (int)run.Json["exitCode"]!);
        Assert.True((int)run.Json["summary"]!["fail"]! >= 2);
    }

    [Fact]
    public async Task The_SQLite_warning_comes_from_the_policy_and_is_a_warning_not_a_problem()
    {
        await using var api = await ClusterAsync("healthy-rwx.json");
        api.Store.Mutate(ResourceType.Deployments, "ai", "anythingllm", d =>
        {
            var container = d["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
            container["image"] = "mintplexlabs/anythingllm:1.8.4";
            container["env"] = new JsonArray(new JsonObject { ["name"] = "STORAGE_DIR", ["value"] = "/app/server/storage" });
        });

        var run = await VerifyAsync(api, "-n", "ai");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("⚠ deployment/anythingllm policy anythingllm-sqlite: Deployment ai/anythingllm: 2 replicas share SQLite; use image :pg + postgresql:// DATABASE_URL", run.Stdout);
        Assert.Contains("⚠ deployment/anythingllm policy anythingllm-lancedb:", run.Stdout);
    }

    [Theory]
    [InlineData("deployment/nope", "error: deployment/nope not found in namespace ai")]
    [InlineData("daemonset/x", "is not deployment/NAME or statefulset/NAME")]
    public async Task Unusable_input_exits_2(string workload, string message)
    {
        await using var api = await ClusterAsync("healthy-rwx.json");
        var run = await VerifyAsync(api, "-n", "ai", workload);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
    }

    [Fact]
    public async Task An_unreachable_cluster_exits_2_naming_the_problem()
    {
        var kubeconfig = FakeKubeApiKubeconfig("http://127.0.0.1:9");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await WebhookCommandLine.RunAsync(["verify", "-n", "ai", "--kubeconfig", kubeconfig], new CliConsole(new StringReader(""), stdout, stderr, false), Ct);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", stderr.ToString());
    }

    private static string FakeKubeApiKubeconfig(string server)
    {
        var path = Path.Combine(Path.GetTempPath(), $"rwx-guard-unreachable-{Guid.NewGuid():N}.kubeconfig");
        File.WriteAllText(path, $"apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {{server: {server}}}\ncontexts:\n- name: x\n  context: {{cluster: x, user: x}}\ncurrent-context: x\nusers:\n- name: x\n  user: {{token: t}}\n");
        return path;
    }

    [GeneratedRegex(@"\{\{now-(\d+)\}\}")]
    private static partial Regex Now();
}
