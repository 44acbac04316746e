using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RwxGuard.Audit;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Audit;

/// <summary>What <c>webhook audit</c> accepts as input, and how it refuses what it cannot use.</summary>
public sealed class AuditInputTests : IDisposable
{
    private readonly ManifestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string relative, string text) => _dir.Write(relative, text);

    [Fact]
    public async Task Stdin_is_read_with_dash()
    {
        var run = await Cli.RunWithStdinAsync(File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml")), "-f", "-", "-o", "json");

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal("<stdin>:21", (string?)verdict["origin"]);
        Assert.Equal("<stdin>", (string?)Assert.Single(run.Json["input"]!["sources"]!.AsArray()));
    }

    [Fact]
    public async Task Malformed_yaml_exits_2_naming_file_line_and_column()
    {
        var path = Write("bad.yaml", """
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: data
            spec:
              accessModes: [ReadWriteOnce
            ---
            apiVersion: apps/v1
            """);

        var run = await Cli.RunAsync("-f", path, "-f", Cli.Anythingllm("community-chart-rendered.yaml"));

        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Equal("", run.Stdout); // nothing checked, nothing printed as if it were a result
        Assert.Contains($"{path}:7:1: invalid YAML: While parsing a flow sequence", run.Stderr);
        Assert.Contains("unusable input", run.Stderr);
    }

    [Fact]
    public async Task Wrongly_typed_field_exits_2_at_its_own_line()
    {
        var path = Write("typed.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: x}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: two
            """);

        var run = await Cli.RunAsync("-f", path);

        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Contains($"{path}:10:13: cannot read Deployment", run.Stderr);
    }

    [Fact]
    public async Task Missing_file_and_empty_directory_are_unusable_input()
    {
        var run = await Cli.RunAsync("-f", Path.Combine(_dir.FullName, "nope.yaml"));
        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Contains("nope.yaml: no such file or directory", run.Stderr);

        Directory.CreateDirectory(Path.Combine(_dir.FullName, "empty"));
        Write("empty/readme.txt", "not a manifest");
        run = await Cli.RunAsync("-f", Path.Combine(_dir.FullName, "empty"));
        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Contains("directory has no *.yaml, *.yml or *.json file", run.Stderr);
    }

    [Fact]
    public async Task Directories_are_read_recursively()
    {
        Write("app/claim.yml", """
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: data, namespace: web}
            spec: {accessModes: [ReadWriteOnce]}
            """);
        Write("app/nested/deeper/deployment.json", """
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "web", "namespace": "web"},
             "spec": {"replicas": 2, "template": {"spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}}}
            """);
        Write("app/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n"); // not a Kubernetes object: counted, skipped
        Write("app/notes.txt", "ignored");

        var run = await Cli.RunAsync("-f", Path.Combine(_dir.FullName, "app"), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal(3, run.Json["input"]!["sources"]!.AsArray().Count);
        Assert.Equal(1, (int)run.Json["input"]!["skipped"]![ManifestReader.NotAnObject]!);
        var verdict = Assert.Single(run.For("Deployment", "web"));
        Assert.Equal("claim data (RWO)", (string?)verdict["properties"]!["claims"]);
        Assert.EndsWith("deployment.json:1", (string)verdict["origin"]!);
    }

    [Fact]
    public async Task The_three_manifests_of_the_fixture_directory_are_audited_together()
    {
        var run = await Cli.RunAsync("-f", Path.Combine(Fixtures.Dir, "anythingllm"), "-o", "json");

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        Assert.Equal(3, run.Json["input"]!["sources"]!.AsArray().Count);
        Assert.Equal(["ai", "team-a", "{{ namespace }}"], run.Results.Select(r => (string)r["namespace"]!).Distinct());
        Assert.Equal(2, run.Results.Count(r => (string?)r["result"] == "fail"));
    }

    [Fact]
    public async Task A_v1_List_in_yaml_is_unpacked()
    {
        // What `kubectl get pvc,deploy -o yaml` prints: a v1 List whose items carry their own kinds.
        var documents = File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml"))
            .Split("\n---\n").Select(d => string.Join('\n', d.Split('\n').Where(l => !l.StartsWith('#'))));
        var list = new StringBuilder("apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n");
        foreach (var document in documents)
        {
            var lines = document.Trim('\n').Split('\n');
            list.Append("- ").Append(lines[0]).Append('\n');
            foreach (var line in lines.Skip(1)) list.Append("  ").Append(line).Append('\n');
        }

        var run = await Cli.RunWithStdinAsync(list.ToString(), "-f", "-", "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal("fail", (string?)Assert.Single(run.For("Deployment", "anything-llm-team-a"))["result"]);
        Assert.Equal("<stdin>:6", (string?)Assert.Single(run.For("PersistentVolumeClaim", "server-storage"))["origin"]); // "- apiVersion: v1"
    }

    [Fact]
    public async Task A_json_List_and_a_typed_StorageClassList_are_unpacked()
    {
        // The chart as a JSON v1 List, plus eks.json, a StorageClassList whose items carry no kind.
        var items = new JsonArray(Manifests.Load("official-helm-chart-rendered.yaml")
            .Select(o => JsonNode.Parse(KubernetesJson.Serialize(o))).ToArray());
        var list = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items };
        var path = Write("chart.json", list.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        var run = await Cli.RunAsync("-f", path, "-f", Cli.StorageClasses("eks.json"), "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        Assert.Equal(3, (int)run.Json["input"]!["checked"]!["StorageClass"]!);
        var claim = Assert.Single(run.For("PersistentVolumeClaim", "anythingllm-storage-claim"));
        Assert.Equal("efs-sc", (string?)claim["properties"]!["storageClass"]);
    }

    [Fact]
    public async Task Real_admission_captures_are_read_through_their_request_object()
    {
        var run = await Cli.RunAsync("-f", Path.Combine(Fixtures.Dir, "admission"), "-o", "json");

        // None of the captured workloads mounts a claim (SOURCES.md): nothing to report, and nothing unreadable.
        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        Assert.Empty(run.Results);
        var input = run.Json["input"]!;
        Assert.Equal(Directory.GetFiles(Path.Combine(Fixtures.Dir, "admission"), "*.json", SearchOption.AllDirectories).Length,
            input["sources"]!.AsArray().Count);
        var checkedKinds = input["checked"]!.AsObject();
        Assert.Equal((8, 1, 1, 1), ((int)checkedKinds["Deployment"]!, (int)checkedKinds["ReplicaSet"]!, (int)checkedKinds["StatefulSet"]!,
            (int)checkedKinds["PersistentVolumeClaim"]!));
        var skipped = input["skipped"]!.AsObject();
        Assert.Equal(5, (int)skipped["Pod"]!); // v1 and v1beta1 reviews, the bare request bodies, the hybrid Scale-over-Pod
        Assert.Equal(1, (int)skipped[ManifestReader.AdmissionReviewWithoutObject]!); // DELETE carries only oldObject
    }

    [Fact]
    public async Task A_claim_from_a_captured_review_resolves_a_manifest_deployment()
    {
        // kw-pvc-create…: a real PVC CREATE (default/example-pv-claim, RWO, class "fast"); the Deployment mounting it is a manifest.
        var deployment = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app}
            spec:
              replicas: 2
              strategy: {type: Recreate}
              template:
                spec:
                  volumes: [{name: data, persistentVolumeClaim: {claimName: example-pv-claim}}]
            """;

        var run = await Cli.RunWithStdinAsync(deployment, "-f", Cli.Admission("kw-pvc-create-rwo-storageclass-fast-v1req.json"), "-f", "-",
            "-o", "json");

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        var verdict = Assert.Single(run.For("Deployment", "app"));
        Assert.Equal(("fail", "default"), ((string?)verdict["result"], (string?)verdict["namespace"])); // -n defaults to "default"
        Assert.Contains("single-attach claim example-pv-claim (ReadWriteOnce)", (string)verdict["message"]!);
        // The capture's claim is not an AnythingLLM claim and gets no result of its own.
        Assert.Empty(run.For("PersistentVolumeClaim", "example-pv-claim"));
    }

    [Fact]
    public async Task Uids_of_captured_objects_are_kept()
    {
        var path = Write("claim-and-app.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: default, uid: 11111111-2222-3333-4444-555555555555}
            spec:
              replicas: 1
              template: {spec: {volumes: [{name: d, persistentVolumeClaim: {claimName: example-pv-claim}}]}}
            """);

        var run = await Cli.RunAsync("-f", path, "-f", Cli.Admission("kw-pvc-create-rwo-storageclass-fast-v1req.json"), "-o", "json");

        Assert.Equal("11111111-2222-3333-4444-555555555555", (string?)Assert.Single(run.For("Deployment", "app"))["uid"]);
    }

    [Theory]
    [InlineData("autoscaling/v2")]
    [InlineData("autoscaling/v1")]
    public async Task An_autoscaler_in_the_manifests_is_checked_and_counted_into_its_target(string apiVersion)
    {
        var manifests = $$$"""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: data, namespace: web}
            spec: {accessModes: [ReadWriteOnce]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: web}
            spec:
              replicas: 1
              strategy: {type: Recreate}
              template: {spec: {volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]}}
            ---
            apiVersion: {{{apiVersion}}}
            kind: HorizontalPodAutoscaler
            metadata: {name: api, namespace: web}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
              minReplicas: 1
              maxReplicas: 4
            """;

        var run = await Cli.RunWithStdinAsync(manifests, "-f", "-", "-o", "json");

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        var deployment = Assert.Single(run.For("Deployment", "api"));
        Assert.Equal(("fail", "4"), ((string?)deployment["result"], (string?)deployment["properties"]!["replicas"]));
        Assert.Contains("can be scaled to 4 replicas by HorizontalPodAutoscaler web/api", (string)deployment["message"]!);
        var hpa = Assert.Single(run.For("HorizontalPodAutoscaler", "api"));
        Assert.Equal(("fail", "Deployment web/api"), ((string?)hpa["result"], (string?)hpa["properties"]!["target"]));
    }

    [Fact]
    public async Task Namespace_flag_fills_objects_that_name_none()
    {
        var chart = File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml"))
            .Replace("  namespace: team-a\n", "", StringComparison.Ordinal); // what `helm template` prints for most charts

        var run = await Cli.RunWithStdinAsync(chart, "-f", "-", "-n", "llm", "-o", "json");

        Assert.Equal(AuditCommand.ExitViolations, run.ExitCode);
        Assert.Equal("llm", (string?)Assert.Single(run.For("Deployment", "anything-llm-team-a"))["namespace"]);
    }

    [Theory]
    [InlineData("--bogus", "-f", "{chart}")]
    [InlineData("stray-argument", "-f", "{chart}")]
    [InlineData("-f", "{chart}", "-o", "xml")]
    [InlineData("-f", "{chart}", "--report-api", "example.com/v1")]
    [InlineData("-f", "{chart}", "--cluster-timeout", "soon")]
    [InlineData("-f")]
    public async Task Bad_flags_exit_2(params string[] args)
    {
        var chart = Cli.Anythingllm("community-chart-rendered.yaml");

        var run = await Cli.RunAsync([.. args.Select(a => a == "{chart}" ? chart : a)]);

        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.StartsWith("error: ", run.Stderr);
        Assert.Contains("webhook audit --help", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task No_input_and_bad_settings_exit_2()
    {
        var none = await Cli.RunAsync();
        Assert.Equal(AuditCommand.ExitUnusable, none.ExitCode);
        Assert.Contains("no input", none.Stderr);

        var mode = await Cli.RunAsync("-f", Cli.Anythingllm("community-chart-rendered.yaml"), "--mode", "Sometimes");
        Assert.Equal(AuditCommand.ExitUnusable, mode.ExitCode);
        Assert.Contains("Policy:Mode", mode.Stderr);

        var storageClass = await Cli.RunAsync("-f", Cli.Anythingllm("community-chart-rendered.yaml"), "--storage-class", "EFS_SC");
        Assert.Equal(AuditCommand.ExitUnusable, storageClass.ExitCode);
        Assert.Contains("Mutation:StorageClass", storageClass.Stderr);
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var run = await Cli.RunAsync("--help");

        Assert.Equal(AuditCommand.ExitClean, run.ExitCode);
        Assert.Contains("Usage: webhook audit", run.Stdout);
        Assert.Contains("Exit codes:", run.Stdout);
    }
}
