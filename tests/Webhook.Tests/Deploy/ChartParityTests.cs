using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// The chart installs what the kustomizations install: each pair below is rendered both ways and every object is
/// compared field by field (spec, rules, webhooks, data, subjects, roleRef …). What legitimately differs is removed
/// first and listed in <see cref="Normalized"/>; anything else that drifts fails here.
/// </summary>
public sealed class ChartParityTests
{
    /// <summary>kustomize target → the chart values that should install the same thing.</summary>
    public static TheoryData<string, string> Pairs => new()
    {
        { "overlays/cert-manager", Renderer.ChartCertManagerTarget },
        { MonitoringTests.CertManagerMonitoring, Renderer.ChartMonitoringTarget },
    };

    [Theory, MemberData(nameof(Pairs))]
    public async Task Chart_and_kustomize_render_the_same_objects(string kustomizeTarget, string chartTarget)
    {
        var kustomize = await Renderer.RenderAsync(kustomizeTarget);
        var chart = await Renderer.RenderAsync(chartTarget);
        AssertSameObjects(kustomize, chart);
    }

    [Fact]
    public async Task Rollout_values_match_the_rollout_component()
    {
        // The rollout component on the cert-manager overlay ↔ the chart with failurePolicy Ignore and Mode Warn
        // (rendered with cert-manager so that both sides carry the same certificate objects).
        var chart = await Renderer.RenderChartAsync("chart rollout+cert-manager", new()
        {
            ["certManager"] = new JsonObject { ["enabled"] = true },
            ["webhook"] = new JsonObject { ["failurePolicy"] = "Ignore" },
            ["settings"] = new JsonObject { ["Policy"] = new JsonObject { ["Mode"] = "Warn", ["OnClaimNotFound"] = "Warn", ["OnClusterUnavailable"] = "Warn" } },
        });
        AssertSameObjects(await Renderer.RenderAsync(Renderer.RolloutTarget), chart);
    }

    [Fact]
    public async Task Optional_parts_match_their_components()
    {
        // NetworkPolicy (component patched as docs/deploy.md says) and the PolicyReport CRD, from the chart's
        // every-option render: the same objects, field by field.
        var everything = await Renderer.RenderAsync(Renderer.ChartEverythingTarget);
        foreach (var (target, kind) in new[] { (Renderer.NetworkPolicyTarget, "NetworkPolicy"), (Renderer.PolicyReportCrdTarget, "CustomResourceDefinition") })
        {
            var expected = (await Renderer.RenderAsync(target)).Single(kind);
            var actual = everything.Single(kind);
            AssertEqual(expected, actual, $"{kind} from {target}");
        }
    }

    [Fact]
    public async Task Comparison_notices_a_drifted_rule()
    {
        // The comparison itself must fail on drift: change one verb in a copy of the chart's render.
        var kustomize = await Renderer.RenderAsync("overlays/cert-manager");
        var chart = await Renderer.RenderAsync(Renderer.ChartCertManagerTarget);
        var drifted = chart.Objects.Select(o => o.DeepClone().AsObject()).ToList();
        var role = drifted.Single(o => (string?)o["kind"] == "ClusterRole" && Rendered.Name(o) == "rwx-guard-reports");
        role["rules"]![0]!["verbs"]!.AsArray().Add("patch");
        var error = Assert.ThrowsAny<Exception>(() => AssertSameObjects(kustomize, new Rendered("drifted", drifted, new Dictionary<string, byte[]>())));
        Assert.Contains("rwx-guard-reports", error.Message);
    }

    internal static void AssertSameObjects(Rendered kustomize, Rendered chart)
    {
        var expected = kustomize.Objects.Where(o => !KustomizeOnly(o)).ToDictionary(Key, o => o);
        var actual = chart.Objects.Where(o => !ChartOnly(o)).ToDictionary(Key, o => o);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, node) in expected) AssertEqual(node, actual[key], key);
    }

    private static void AssertEqual(JsonNode expected, JsonNode actual, string what)
    {
        var (e, a) = (Normalized(expected.AsObject()), Normalized(actual.AsObject()));
        Assert.True(JsonNode.DeepEquals(e, a), $"{what} differs between kustomize and the chart:\n--- kustomize\n{e}\n--- chart\n{a}");
    }

    /// <summary>kind/namespace/name; cluster-scoped kinds have no namespace (kustomize sometimes writes one).</summary>
    private static string Key(JsonObject o) =>
        $"{o["kind"]}/{(K8s.ClusterScoped.Contains((string)o["kind"]!) ? "" : Rendered.Namespace(o))}/{Rendered.Name(o)}";

    /// <summary>The kustomizations create the Namespace (pod-security labels); a chart never owns its namespace.</summary>
    private static bool KustomizeOnly(JsonObject o) => (string?)o["kind"] == "Namespace";

    /// <summary>Helm hooks exist for `helm uninstall` only (webhook cleanup).</summary>
    private static bool ChartOnly(JsonObject o) => o["metadata"]?["annotations"]?["helm.sh/hook"] is not null;

    /// <summary>
    /// What may differ: labels (helm.sh/chart, managed-by), Helm's resource-policy annotation, the kustomize namespace on cluster-scoped kinds, comments
    /// and formatting of settings.json and the dashboard (compared as parsed JSON), and the chart's explicit
    /// --metrics-port (the server's default, which kustomize leaves implicit).
    /// </summary>
    internal static JsonObject Normalized(JsonObject o)
    {
        var copy = o.DeepClone().AsObject();
        var metadata = copy["metadata"]!.AsObject();
        metadata.Remove("labels");
        // The chart keeps the PolicyReport CRD on uninstall (other tools' reports may live in it).
        if (metadata["annotations"] is JsonObject annotations && annotations.Remove("helm.sh/resource-policy") && annotations.Count == 0)
            metadata.Remove("annotations");
        if (K8s.ClusterScoped.Contains((string)copy["kind"]!)) metadata.Remove("namespace");
        if (copy["spec"]?["template"]?["metadata"] is JsonObject template) template.Remove("labels");
        foreach (var container in copy["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? [])
        {
            if (container!["args"] is not JsonArray args) continue;
            var kept = args.Select(a => (string)a!).Where(a => a != $"--metrics-port={new RwxGuard.Options.ServerOptions().MetricsPort}");
            container["args"] = new JsonArray(kept.Select(a => (JsonNode)a).ToArray());
        }
        if ((string?)copy["kind"] == "ConfigMap" && copy["data"] is JsonObject data)
        {
            foreach (var key in data.Select(kv => kv.Key).Where(k => k.EndsWith(".json", StringComparison.Ordinal)).ToList())
                data[key] = JsonNode.Parse((string)data[key]!);
        }
        return copy;
    }
}
