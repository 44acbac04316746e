using System.Net;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// The NetworkPolicy (kustomize component network-policy, chart networkPolicy.*): the admission port only from the
/// API server's address, the metrics/probe port only from the monitoring namespace, nothing else, never an empty
/// `from` (which would admit everyone).
/// </summary>
public sealed class NetworkPolicyTests
{
    public static TheoryData<string> PolicyTargets => new(Renderer.NetworkPolicyTarget, Renderer.ChartEverythingTarget);

    [Theory, MemberData(nameof(PolicyTargets))]
    public async Task Admission_only_from_the_api_server_and_metrics_only_from_monitoring(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var policy = r.Single("NetworkPolicy");
        var spec = policy["spec"]!;
        Assert.True(K8s.Matches(spec["podSelector"], ManifestInvariantTests.PodLabels(r)), $"{target}: the policy does not select the webhook pods");
        Assert.Equal(["Ingress"], K8s.Strings(spec["policyTypes"]));
        Assert.Equal(r.WorkloadNamespace, Rendered.Namespace(policy));

        var rules = spec["ingress"]!.AsArray().Select(x => x!).ToList();
        Assert.All(rules, rule => Assert.True(rule["from"] is JsonArray { Count: > 0 }, $"{target}: a rule without peers admits every source"));
        Assert.All(rules, rule => Assert.True(rule["ports"] is JsonArray { Count: > 0 }, $"{target}: a rule without ports opens every port"));
        int Port(JsonNode p) => K8s.ResolvePort(r.Container, p["port"]!);
        var https = K8s.ResolvePort(r.Container, "https");
        var metrics = K8s.ResolvePort(r.Container, "metrics");
        var byPort = rules.SelectMany(rule => rule["ports"]!.AsArray().Select(p => (Port: Port(p!), Rule: rule))).ToLookup(x => x.Port, x => x.Rule);
        Assert.Equal(new[] { https, metrics }.Order(), byPort.Select(g => g.Key).Order());

        var admission = Assert.Single(byPort[https]);
        var apiServer = Assert.Single(admission["from"]!.AsArray())!;
        Assert.Equal(Renderer.ApiServerCidr, (string?)apiServer["ipBlock"]?["cidr"]);
        Assert.Null(apiServer["namespaceSelector"]);
        Assert.Null(apiServer["podSelector"]);

        var scrape = Assert.Single(byPort[metrics]);
        var monitoring = Assert.Single(scrape["from"]!.AsArray())!;
        Assert.Null(monitoring["ipBlock"]);
        Assert.True(K8s.Matches(monitoring["namespaceSelector"], K8s.NamespaceLabels("monitoring")));
        Assert.False(K8s.Matches(monitoring["namespaceSelector"], K8s.NamespaceLabels("team-a")));
    }

    [Fact]
    public async Task The_unpatched_component_cannot_be_applied_silently_wrong()
    {
        // Added without the patch, the admission rule carries a placeholder the API server rejects as a CIDR, so
        // `kubectl apply` fails for this object instead of cutting the API server off (or admitting everyone).
        var yaml = await Kubectl.KustomizeAsync(Path.Combine(Repo.Manifests, "components", "network-policy"));
        var policy = Assert.Single(KubeYaml.Parse(yaml), o => (string?)o["kind"] == "NetworkPolicy");
        var cidr = (string)policy["spec"]!["ingress"]![0]!["from"]![0]!["ipBlock"]!["cidr"]!;
        Assert.False(IPNetwork.TryParse(cidr, out _), $"placeholder '{cidr}' parses as a CIDR");
        Assert.True(IPNetwork.TryParse(Renderer.ApiServerCidr, out _));
    }

    [Fact]
    public async Task Chart_is_off_by_default_and_an_empty_metrics_peer_list_closes_the_port_instead_of_opening_it()
    {
        Assert.Empty((await Renderer.RenderAsync(Renderer.ChartTarget)).OfKind("NetworkPolicy"));
        var r = await Renderer.RenderChartAsync("np no metrics", new()
        {
            ["networkPolicy"] = new JsonObject
            {
                ["enabled"] = true,
                ["apiServer"] = new JsonArray(new JsonObject { ["ipBlock"] = new JsonObject { ["cidr"] = Renderer.ApiServerCidr } }),
                ["metrics"] = new JsonArray(),
            },
        });
        var rules = r.Single("NetworkPolicy")["spec"]!["ingress"]!.AsArray();
        var rule = Assert.Single(rules)!;
        Assert.Equal("https", (string?)rule["ports"]![0]!["port"]);
    }
}
