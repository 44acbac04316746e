using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RwxGuard.Audit;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Audit;

/// <summary>
/// Issue 13, item 4: input people really have. Concatenated JSON as <c>kubectl apply -f</c> reads it, duplicate keys
/// (last value wins with a warning, as with kubectl), CRLF, tabs, no trailing newline, comment-only documents.
/// </summary>
public sealed class AuditRealInputTests : IDisposable
{
    private readonly ManifestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string text, Encoding? encoding = null) => _dir.Write(name, text, encoding);

    private static string Chart => File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml"));

    /// <summary>The community chart's claim and Deployment as compact JSON, in that order.</summary>
    private static string[] ChartAsJson() =>
        [.. Manifests.Load("community-chart-rendered.yaml").Select(o => KubernetesJson.Serialize(o))];

    [Fact]
    public async Task Kubectls_own_concatenated_json_test_data_is_read_object_by_object()
    {
        // kubernetes/kubernetes hack/testdata/multi-resource-json.json: a Service and a ReplicationController, no separator.
        var path = Path.Combine(Fixtures.Dir, "kubectl", "multi-resource-json.json");

        var run = await Cli.RunAsync("-f", path, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitClean, run.ToString());
        var skipped = run.Json["input"]!["skipped"]!.AsObject();
        Assert.Equal((1, 1), ((int)skipped["Service"]!, (int)skipped["ReplicationController"]!));
        Assert.Equal(2, skipped.Count);
        Assert.Empty(run.Json["input"]!["warnings"]!.AsArray());
    }

    [Theory]
    [InlineData("")]     // }{ on one line
    [InlineData("\n")]   // one object per line, as `kubectl get -o json` piped per object prints them
    [InlineData("\r\n  \t")]
    public async Task Concatenated_json_objects_are_audited_with_their_own_lines(string separator)
    {
        var (claim, deployment) = (ChartAsJson()[0], ChartAsJson()[1]);
        var text = "\n" + claim + separator + deployment + "\n";
        var path = Write("chart.json", text);

        var run = await Cli.RunAsync("-f", path, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal(("fail", "claim server-storage (RWO)"), ((string?)verdict["result"], (string?)verdict["properties"]!["claims"]));
        var deploymentLine = 2 + separator.Count(c => c == '\n');
        Assert.Equal($"{path}:{deploymentLine}", (string?)verdict["origin"]);
        Assert.Equal(2, run.Json["input"]!["checked"]!.AsObject().Sum(c => (int)c.Value!));
    }

    [Fact]
    public async Task An_error_in_the_second_concatenated_object_names_its_own_line_and_column()
    {
        var text = """
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": "two"}}
            """;
        var path = Write("bad.json", text);

        var run = await Cli.RunAsync("-f", path);

        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Contains($"{path}:3:23: cannot read Deployment", run.Stderr); // "two", on the object's third line
    }

    [Fact]
    public async Task Text_after_a_json_object_that_is_not_another_object_is_still_invalid()
    {
        var path = Write("trailing.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}} garbage\n");

        var run = await Cli.RunAsync("-f", path);

        Assert.Equal(AuditCommand.ExitUnusable, run.ExitCode);
        Assert.Contains($"{path}:1:", run.Stderr);
        Assert.Contains("invalid YAML", run.Stderr);
    }

    [Fact]
    public async Task A_duplicate_key_takes_the_last_value_with_a_warning_naming_file_and_line()
    {
        var path = Write("dup.yaml", """
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: data, namespace: web}
            spec: {accessModes: [ReadWriteOnce]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: web
            spec:
              replicas: 1
              template:
                spec:
                  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
              replicas: 3
            """);

        var run = await Cli.RunAsync("-f", path, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString()); // 3 replicas, as kubectl would apply
        Assert.Equal(("fail", "3"), ((string?)Assert.Single(run.For("Deployment", "web"))["result"],
            (string?)Assert.Single(run.For("Deployment", "web"))["properties"]!["replicas"]));
        var warning = $"{path}:16:3: duplicate key \"replicas\" (first at line 12): the last value is used, as with kubectl";
        Assert.Contains($"warning: {warning}", run.Stderr);
        Assert.Equal(warning, (string?)Assert.Single(run.Json["input"]!["warnings"]!.AsArray()));
    }

    [Fact]
    public async Task Duplicate_kind_and_metadata_keys_never_lose_the_object()
    {
        // The reader's own lookups (kind, apiVersion, items) and the object loader agree on the last value.
        var path = Write("dup-kind.yaml", """
            apiVersion: v1
            kind: ConfigMap
            kind: PersistentVolumeClaim
            metadata: {name: first}
            metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce]}
            ---
            {"apiVersion": "v1", "kind": "List", "items": [], "items": [
              {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 2, "template": {"spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}}}]}
            """);

        var run = await Cli.RunAsync("-f", path, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal("claim data (RWO)", (string?)Assert.Single(run.For("Deployment", "web"))["properties"]!["claims"]);
        var checkedKinds = run.Json["input"]!["checked"]!.AsObject();
        Assert.Equal((1, 1), ((int)checkedKinds["PersistentVolumeClaim"]!, (int)checkedKinds["Deployment"]!));
        Assert.Equal(
            [$"{path}:3:1: duplicate key \"kind\" (first at line 2): the last value is used, as with kubectl",
             $"{path}:5:1: duplicate key \"metadata\" (first at line 4): the last value is used, as with kubectl",
             $"{path}:8:51: duplicate key \"items\" (first at line 8): the last value is used, as with kubectl"],
            run.Json["input"]!["warnings"]!.AsArray().Select(w => (string)w!));
    }

    [Fact]
    public async Task Crlf_files_read_like_lf_files_with_the_same_lines()
    {
        var path = Write("crlf.yaml", Chart.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        var script = Write("crlf-script.yaml", "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: script\r\ndata:\r\n  run.sh: |\r\n    set -e\r\n    echo done\r\n");

        var run = await Cli.RunAsync("-f", path, "-f", script, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal($"{path}:21", (string?)verdict["origin"]); // the LF file's line
        Assert.Equal("claim server-storage (RWO)", (string?)verdict["properties"]!["claims"]);
        Assert.Equal(1, (int)run.Json["input"]!["skipped"]!["ConfigMap"]!);
    }

    [Fact]
    public async Task Tabs_inside_block_scalars_are_content_and_tab_indentation_is_an_error_at_its_line()
    {
        var scalar = Write("tabs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: makefile\ndata:\n  Makefile: |\n    all:\n    \techo \"tab-indented recipe\"\n    \tmake -C sub\n---\n" +
                                         File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml")));
        var indented = Write("tab-indent.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n");
        var later = Write("tab-later.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n \tlabels: {}\n");

        var good = await Cli.RunAsync("-f", scalar, "-o", "json");
        var bad = await Cli.RunAsync("-f", indented, "-f", later);

        Assert.True(good.ExitCode == AuditCommand.ExitViolations, good.ToString());
        Assert.Equal(1, (int)good.Json["input"]!["skipped"]!["ConfigMap"]!);
        Assert.Equal(AuditCommand.ExitUnusable, bad.ExitCode);
        // YAML forbids tabs for indentation (kubectl: "line 4: found character that cannot start any token"); the
        // message names the tab's line and column, not the mapping YamlDotNet was reading.
        Assert.Contains($"{indented}:4:1: invalid YAML: While scanning a mapping, found invalid tab as indentation.", bad.Stderr);
        Assert.Contains($"{later}:5:2: invalid YAML:", bad.Stderr);
    }

    [Fact]
    public async Task A_file_without_a_trailing_newline_loses_nothing()
    {
        var path = Write("no-newline.yaml", Chart.TrimEnd('\n', '\r'));

        var run = await Cli.RunAsync("-f", path, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal("claim server-storage (RWO)", (string?)Assert.Single(run.For("Deployment", "anything-llm-team-a"))["properties"]!["claims"]);
    }

    [Fact]
    public async Task Comment_only_documents_are_skipped_and_a_file_of_nothing_else_is_no_input()
    {
        // What `helm template` prints for templates that render to nothing.
        var path = Write("helm.yaml", "---\n# Source: chart/templates/empty.yaml\n---\n# Source: chart/templates/app.yaml\n" + Chart +
                                      "\n---\n# Source: chart/templates/disabled.yaml\n# nothing here\n...\n---\n");
        var empty = Write("only-comments.yaml", "# Source: chart/templates/a.yaml\n---\n# Source: chart/templates/b.yaml\n");

        var run = await Cli.RunAsync("-f", path, "-o", "json");
        var none = await Cli.RunWithStdinAsync(File.ReadAllText(empty), "-f", "-");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Equal(2, run.Json["input"]!["checked"]!.AsObject().Sum(c => (int)c.Value!));
        Assert.Empty(run.Json["input"]!["skipped"]!.AsObject());
        // A failed `helm template … | webhook audit -f -` prints nothing: that must not pass CI.
        Assert.Equal(AuditCommand.ExitUnusable, none.ExitCode);
        Assert.Contains("<stdin>: no Kubernetes object: only empty documents, comments or YAML without apiVersion and kind", none.Stderr);
    }

    [Fact]
    public async Task Utf16_with_a_byte_order_mark_is_read_as_PowerShell_writes_it()
    {
        var path = Write("ps.yaml", Chart, new UnicodeEncoding(bigEndian: false, byteOrderMark: true)); // `kubectl … > ps.yaml` in PowerShell 5

        var run = await Cli.RunAsync("-f", path, "-o", "json");

        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        Assert.Single(run.For("Deployment", "anything-llm-team-a"));
    }
}
