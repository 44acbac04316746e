using System.Text.Json.Nodes;
using RwxGuard.Tests.Cluster;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// What `helm template --dry-run=server` needs from an API server, on the real paths: the version, discovery documents
/// for the kinds the chart renders (to map each object to its resource), and GETs of single objects (its existence
/// checks and the chart's `lookup`), answered from the objects put here or with a NotFound Status.
/// </summary>
public sealed class HelmApiFake : IDisposable
{
    private static readonly (string GroupVersion, string Resource, string Kind, bool Namespaced)[] Resources =
    [
        ("v1", "secrets", "Secret", true), ("v1", "configmaps", "ConfigMap", true), ("v1", "services", "Service", true),
        ("v1", "serviceaccounts", "ServiceAccount", true), ("v1", "namespaces", "Namespace", false),
        ("apps/v1", "deployments", "Deployment", true), ("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", true),
        ("batch/v1", "jobs", "Job", true),
        ("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false),
        ("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", false),
        ("rbac.authorization.k8s.io/v1", "roles", "Role", true), ("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", true),
        ("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false),
        ("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false),
        ("admissionregistration.k8s.io/v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false),
        ("admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false),
    ];

    private readonly WireMockServer _server = WireMockServer.Start();

    public HelmApiFake()
    {
        Json("/version", new JsonObject { ["major"] = "1", ["minor"] = "33", ["gitVersion"] = "v1.33.0" });
        Json("/api", new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") });
        var groups = Resources.Select(r => r.GroupVersion).Where(gv => gv.Contains('/')).Distinct().ToList();
        Json("/apis", new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray(groups.Select(gv =>
            {
                var version = new JsonObject { ["groupVersion"] = gv, ["version"] = gv.Split('/')[1] };
                return (JsonNode)new JsonObject { ["name"] = gv.Split('/')[0], ["versions"] = new JsonArray(version), ["preferredVersion"] = version.DeepClone() };
            }).ToArray()),
        });
        foreach (var gv in Resources.Select(r => r.GroupVersion).Distinct())
        {
            Json(gv == "v1" ? "/api/v1" : $"/apis/{gv}", new JsonObject
            {
                ["kind"] = "APIResourceList",
                ["groupVersion"] = gv,
                ["resources"] = new JsonArray(Resources.Where(r => r.GroupVersion == gv).Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Resource, ["singularName"] = "", ["namespaced"] = r.Namespaced, ["kind"] = r.Kind,
                    ["verbs"] = new JsonArray("create", "delete", "get", "list", "update"),
                }).ToArray()),
            });
        }
        _server.Given(Request.Create().WithPath(new WildcardMatcher("/*")).UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "application/json")
                .WithBody(Cluster.Json.Status(404, "NotFound", "not found")));
    }

    /// <summary>Serves <paramref name="o"/> (a rendered object) at its path from now on.</summary>
    public void Put(JsonObject o)
    {
        var (apiVersion, kind) = ((string)o["apiVersion"]!, (string)o["kind"]!);
        var resource = Resources.Single(r => r.GroupVersion == apiVersion && r.Kind == kind);
        var root = apiVersion == "v1" ? "/api/v1" : $"/apis/{apiVersion}";
        var ns = resource.Namespaced ? $"/namespaces/{Rendered.Namespace(o)}" : "";
        // A later Put of the same object wins (WireMock: lower number, higher priority).
        Json($"{root}{ns}/{resource.Resource}/{Rendered.Name(o)}", o, _nextPriority--);
    }

    private int _nextPriority = 900;

    public string WriteKubeconfig(string path) => KubeApiFake.WriteKubeconfig(path, _server.Url!, "fake-token");

    /// <summary>The paths helm asked for (what a test can check it really looked up).</summary>
    public IReadOnlyList<string> RequestedPaths => [.. _server.LogEntries.Select(e => e.RequestMessage.Path)];

    private void Json(string path, JsonNode body, int priority = 1) =>
        _server.Given(Request.Create().WithPath(path).UsingGet()).AtPriority(priority)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body.ToJsonString()));

    public void Dispose() => _server.Stop();
}
