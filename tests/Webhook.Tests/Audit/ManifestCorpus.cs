using System.Text;

namespace RwxGuard.Tests.Audit;

/// <summary>
/// Inputs for the manifest reader's limits, shared by the tests and the benchmark (tests/Webhook.Benchmarks links
/// this file): the hostile inputs of issue 11 and a large realistic stream.
/// </summary>
public static class ManifestCorpus
{
    /// <summary>
    /// A v1 List whose items are Lists of aliases to the level below: <paramref name="levels"/> levels of
    /// <paramref name="fan"/> aliases each, so a naive walk visits fan^levels claims (6 levels: 10⁶ claims from 638 bytes).
    /// </summary>
    public static string AliasBomb(int levels, int fan = 10)
    {
        var text = new StringBuilder("apiVersion: v1\nkind: List\nitems:\n");
        text.Append("- &l1 {apiVersion: v1, kind: List, items: [&c {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: a}, ")
            .Append("spec: {accessModes: [ReadWriteOnce]}}").Append(string.Concat(Enumerable.Repeat(",*c", fan - 1))).Append("]}\n");
        for (var level = 2; level <= levels; level++)
        {
            text.Append($"- &l{level} {{apiVersion: v1, kind: List, items: [")
                .Append(string.Join(',', Enumerable.Repeat($"*l{level - 1}", fan))).Append("]}\n");
        }
        return text.ToString();
    }

    /// <summary>A flow sequence nested <paramref name="depth"/> deep: <c>[[[…]]]</c> (100,000 deep: 200 KB).</summary>
    public static string DeepFlowSequence(int depth) => new string('[', depth) + new string(']', depth) + "\n";

    /// <summary>What <see cref="HelmTemplateLike"/> put in its stream.</summary>
    public sealed record Render(string Text, int Deployments, int Claims, int CustomResourceDefinitions);

    /// <summary>
    /// A <c>helm template</c>-like stream of at least <paramref name="minBytes"/> (a big umbrella chart): per release, the
    /// three real AnythingLLM manifests of Fixtures/anythingllm in a namespace of their own, a ConfigMap holding a
    /// Grafana-style dashboard every third release, and a CustomResourceDefinition with a controller-gen-style schema
    /// (descriptions as block scalars, object properties 20 levels deep) every tenth, each document after a
    /// <c># Source:</c> comment as helm prints them.
    /// </summary>
    public static Render HelmTemplateLike(string fixturesDir, int minBytes)
    {
        var manifests = new[] { "official-helm-chart-rendered.yaml", "community-chart-rendered.yaml", "official-raw-manifest.yaml" }
            .Select(f => File.ReadAllText(Path.Combine(fixturesDir, "anythingllm", f)).Replace("\r\n", "\n", StringComparison.Ordinal))
            .ToArray();
        var text = new StringBuilder();
        int deployments = 0, claims = 0, crds = 0;
        for (var release = 0; text.Length < minBytes; release++)
        {
            foreach (var manifest in manifests)
            {
                var renamed = manifest
                    .Replace("namespace: ai\n", $"namespace: ai-{release}\n", StringComparison.Ordinal)
                    .Replace("namespace: team-a\n", $"namespace: team-a-{release}\n", StringComparison.Ordinal)
                    .Replace("{{ namespace }}", $"raw-{release}", StringComparison.Ordinal);
                text.Append($"---\n# Source: umbrella/charts/release-{release}/templates/all.yaml\n").Append(renamed.TrimEnd('\n')).Append('\n');
                deployments++;
                claims++;
            }
            if (release % 3 == 0)
            {
                text.Append($"---\n# Source: umbrella/templates/dashboards/dashboard-{release}.yaml\n").Append(Dashboard(release));
            }
            if (release % 10 == 0)
            {
                text.Append($"---\n# Source: umbrella/crds/crd-{release}.yaml\n").Append(CustomResourceDefinition(release));
                crds++;
            }
        }
        return new Render(text.ToString(), deployments, claims, crds);
    }

    private static string Dashboard(int n)
    {
        var json = new StringBuilder("    {\n      \"title\": \"Release " + n + "\",\n      \"panels\": [\n");
        for (var panel = 0; panel < 40; panel++)
        {
            json.Append($"        {{\"id\": {panel}, \"type\": \"timeseries\", \"title\": \"Requests {panel}\", \"gridPos\": {{\"h\": 8, \"w\": 12, ")
                .Append($"\"x\": {panel % 2 * 12}, \"y\": {panel / 2 * 8}}}, \"targets\": [{{\"expr\": \"sum(rate(http_requests_total{{job=\\\"app-{n}\\\", ")
                .Append($"code=~\\\"5..\\\"}}[5m])) by (route)\", \"legendFormat\": \"{{{{route}}}}\"}}]}}{(panel < 39 ? "," : "")}\n");
        }
        json.Append("      ]\n    }\n");
        return $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboard-{n}\n  namespace: monitoring\n  labels:\n    grafana_dashboard: \"1\"\n" +
               $"data:\n  dashboard-{n}.json: |-\n{json}";
    }

    private static string CustomResourceDefinition(int n)
    {
        var text = new StringBuilder($"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              annotations:
                controller-gen.kubebuilder.io/version: v0.16.4
              name: widgets{n}.example.com
            spec:
              group: example.com
              names:
                kind: Widget{n}
                listKind: Widget{n}List
                plural: widgets{n}
                singular: widget{n}
              scope: Namespaced
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:

            """);
        for (var spine = 0; spine < 4; spine++) Properties(text, $"field{spine}", 14, 20);
        return text.ToString();
    }

    /// <summary>An object property with six scalar siblings per level, <paramref name="levels"/> levels deep.</summary>
    private static void Properties(StringBuilder text, string name, int indent, int levels)
    {
        var pad = new string(' ', indent);
        text.Append($"{pad}{name}:\n{pad}  description: |-\n");
        text.Append($"{pad}    {name} configures the part of the workload this level describes. It is copied into the generated\n");
        text.Append($"{pad}    objects as is; changing it rolls the pods. More info: https://example.com/docs/{name}\n");
        text.Append($"{pad}  type: object\n{pad}  properties:\n");
        for (var scalar = 0; scalar < 6; scalar++)
        {
            text.Append($"{pad}    setting{scalar}:\n{pad}      description: |-\n");
            text.Append($"{pad}        setting{scalar} is one of the values the controller reads on every reconcile; an empty value\n");
            text.Append($"{pad}        means the default of the release. It requires controller >= v0.{scalar}.0.\n");
            text.Append($"{pad}      type: {(scalar % 3 == 0 ? "integer" : "string")}\n");
        }
        if (levels > 1) Properties(text, "nested", indent + 4, levels - 1);
    }
}
