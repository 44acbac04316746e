using System.Text.Json.Nodes;
using RwxGuard.Migrate;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Deploy;

/// <summary>deploy/manifests/operators: the ClusterRoles people bind to run migrate and verify.</summary>
public sealed class OperatorRbacTests
{
    private static async Task<IReadOnlyList<JsonObject>> RenderAsync() =>
        KubeYaml.Parse(await Kubectl.KustomizeAsync(Path.Combine(Repo.Manifests, "operators")));

    private static bool Grants(IEnumerable<JsonObject> roles, AccessCheck check) => roles.Any(role =>
        (role["rules"] as JsonArray ?? []).Any(rule =>
            K8s.Strings(rule!["apiGroups"]).Contains(check.Group)
            && K8s.Strings(rule["resources"]).Contains(check.Subresource is null ? check.Resource : $"{check.Resource}/{check.Subresource}")
            && K8s.Strings(rule["verbs"]).Contains(check.Verb)
            && rule["resourceNames"] is null));

    [Theory]
    [InlineData(WorkloadKind.Deployment)]
    [InlineData(WorkloadKind.StatefulSet)]
    public async Task Every_permission_migrate_checks_before_it_starts_is_granted(WorkloadKind kind)
    {
        var roles = await RenderAsync();
        var namespaced = roles.Where(r => Rendered.Name(r) == "rwx-guard-migrate").ToList();
        var cluster = roles.Where(r => Rendered.Name(r) == "rwx-guard-migrate-cluster").ToList();
        Assert.Single(namespaced);
        Assert.Single(cluster);

        foreach (var check in MigrationPlanner.RequiredAccess(kind, snapshot: true))
            Assert.True(Grants(check.Namespaced ? namespaced : cluster, check), $"not granted by the {(check.Namespaced ? "namespaced" : "cluster")} role: {check}");
    }

    [Fact]
    public async Task Nothing_is_bound_and_the_webhooks_service_account_gets_nothing()
    {
        var objects = await RenderAsync();
        Assert.All(objects, o => Assert.Equal("ClusterRole", (string?)o["kind"]));
        var baseRbac = KubeYaml.Parse(await Kubectl.KustomizeAsync(Path.Combine(Repo.Manifests, "base")));
        Assert.DoesNotContain(baseRbac, o => Rendered.Name(o).StartsWith("rwx-guard-migrate", StringComparison.Ordinal));
        // No role may delete volumes: the migration never does.
        Assert.DoesNotContain(objects.SelectMany(o => o["rules"]!.AsArray()), rule =>
            K8s.Strings(rule!["resources"]).Contains("persistentvolumes") && K8s.Strings(rule["verbs"]).Contains("delete"));
    }
}
