using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using RwxGuard.Tests.Infrastructure.FakeKube;
using RwxGuard.Domain;

namespace RwxGuard.Tests.FakeKubeTests;

/// <summary>The generic API server semantics of <see cref="FakeKubeApi"/>, through KubernetesClient and raw HTTP.</summary>
public sealed class FakeKubeApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static V1PersistentVolumeClaim Claim(string name, string mode = "ReadWriteOnce", IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = [mode],
            StorageClassName = "gp3",
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
        },
    };

    private static async Task<HttpStatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return HttpStatusCode.OK;
        }
        catch (HttpOperationException e)
        {
            return e.Response.StatusCode;
        }
    }

    [Fact]
    public async Task Writes_bump_resourceVersion_and_stale_writes_are_409_Conflict()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();

        var created = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data"), "ai", cancellationToken: Ct);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        var first = long.Parse(created.Metadata.ResourceVersion);

        created.Metadata.Labels = new Dictionary<string, string> { ["a"] = "1" };
        var replaced = await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(created, "data", "ai", cancellationToken: Ct);
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > first);

        // The same object again, with the now stale resourceVersion: someone else's write must not be overwritten.
        created.Metadata.Labels["a"] = "2";
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(created, "data", "ai", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Contains("the object has been modified", stale.Response.Content);
        var stalePatch = await StatusOf(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(
            new V1Patch("{\"metadata\":{\"resourceVersion\":\"" + first + "\",\"labels\":{\"a\":\"3\"}}}", V1Patch.PatchType.MergePatch), "data", "ai", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, stalePatch);
        Assert.Equal("1", (await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "ai", cancellationToken: Ct)).Metadata.Labels["a"]);

        var again = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data"), "ai", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", again.Response.Content);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("nope", "ai", cancellationToken: Ct)));
    }

    [Fact]
    public async Task Claim_spec_is_immutable_except_requests()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data"), "ai", cancellationToken: Ct);

        var modes = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(
            new V1Patch("""{"spec":{"accessModes":["ReadWriteMany"]}}""", V1Patch.PatchType.MergePatch), "data", "ai", cancellationToken: Ct));
        Assert.Equal((HttpStatusCode)422, modes.Response.StatusCode);
        Assert.Contains("spec is immutable after creation", modes.Response.Content);

        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(
            new V1Patch("""{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}""", V1Patch.PatchType.MergePatch), "data", "ai", cancellationToken: Ct);
    }

    [Fact]
    public async Task Lists_filter_by_label_and_field_and_page_with_continue_until_compacted()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        for (var i = 0; i < 5; i++)
            await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim($"c{i}", labels: new Dictionary<string, string> { ["tier"] = i % 2 == 0 ? "even" : "odd" }), "ai", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("other"), "team-b", cancellationToken: Ct);

        Assert.Equal(["c0", "c2", "c4"], (await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", labelSelector: "tier=even", cancellationToken: Ct)).Items.Select(c => c.Metadata.Name));
        Assert.Equal(["c1", "c3"], (await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", labelSelector: "tier in (odd),tier!=even", cancellationToken: Ct)).Items.Select(c => c.Metadata.Name));
        Assert.Equal(["c3"], (await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", fieldSelector: "metadata.name=c3", cancellationToken: Ct)).Items.Select(c => c.Metadata.Name));
        Assert.Equal(6, (await client.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(cancellationToken: Ct)).Items.Count);

        var page1 = await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", limit: 2, cancellationToken: Ct);
        Assert.Equal(["c0", "c1"], page1.Items.Select(c => c.Metadata.Name));
        Assert.Equal(3, page1.Metadata.RemainingItemCount);
        var page2 = await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", limit: 2, continueParameter: page1.Metadata.ContinueProperty, cancellationToken: Ct);
        Assert.Equal(["c2", "c3"], page2.Items.Select(c => c.Metadata.Name));
        var page3 = await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", limit: 2, continueParameter: page2.Metadata.ContinueProperty, cancellationToken: Ct);
        Assert.Equal(["c4"], page3.Items.Select(c => c.Metadata.Name));
        Assert.Null(page3.Metadata.ContinueProperty);

        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("c9"), "ai", cancellationToken: Ct);
        api.Store.Compact(); // the revision page1 was read at is gone
        var expired = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", limit: 2, continueParameter: page1.Metadata.ContinueProperty, cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Gone, expired.Response.StatusCode);
        Assert.Contains("\"reason\":\"Expired\"", expired.Response.Content);
    }

    [Fact]
    public async Task Watch_replays_from_a_resourceVersion_streams_changes_and_answers_410_for_compacted_ones()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        var list = await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("ai", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("before-watch"), "ai", cancellationToken: Ct);

        using var http = new HttpClient { BaseAddress = api.Url };
        using var response = await http.GetAsync($"/api/v1/namespaces/ai/persistentvolumeclaims?watch=true&resourceVersion={list.Metadata.ResourceVersion}&timeoutSeconds=5",
            HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        async Task<(string Type, string Name)> Next()
        {
            var line = JsonNode.Parse((await reader.ReadLineAsync(Ct))!)!;
            return ((string)line["type"]!, (string)line["object"]!["metadata"]!["name"]!);
        }

        Assert.Equal(("ADDED", "before-watch"), await Next()); // replayed from the history
        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(new V1Patch("""{"metadata":{"labels":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), "before-watch", "ai", cancellationToken: Ct);
        Assert.Equal(("MODIFIED", "before-watch"), await Next());
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("elsewhere"), "team-b", cancellationToken: Ct); // other namespace: not seen
        await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("before-watch", "ai", cancellationToken: Ct);
        // The claim has no finalizer here (no admission plugins installed), so the delete removes it at once.
        Assert.Equal(("DELETED", "before-watch"), await Next());

        api.Store.Compact();
        var old = await http.GetStringAsync($"/api/v1/namespaces/ai/persistentvolumeclaims?watch=true&resourceVersion={list.Metadata.ResourceVersion}", Ct);
        var error = JsonNode.Parse(old.Trim())!;
        Assert.Equal("ERROR", (string?)error["type"]);
        Assert.Equal(410, (int)error["object"]!["code"]!);
        Assert.Equal("Expired", (string?)error["object"]!["reason"]);
    }

    [Fact]
    public async Task The_products_cluster_view_syncs_and_follows_the_fake()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data"), "ai", cancellationToken: Ct);
        var view = new RwxGuard.Cluster.ClusterView(client, RwxGuard.Tests.Cluster.ViewHarness.Fast(), TimeProvider.System);
        await view.StartAsync(Ct);
        try
        {
            await RwxGuard.Tests.Cluster.Poll.UntilAsync(() => view.Status.Ready, "the view syncs from the fake", state: () => view.Status.Detail);
            Assert.Equal(RwxGuard.Domain.LookupOutcome.Found, view.GetClaim("ai", "data").Outcome);

            await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("later", "ReadWriteMany"), "ai", cancellationToken: Ct);
            await RwxGuard.Tests.Cluster.Poll.UntilAsync(() => view.GetClaim("ai", "later").Outcome == RwxGuard.Domain.LookupOutcome.Found,
                "a claim created after the sync arrives through the watch");
            Assert.False(view.GetClaim("ai", "later").Value!.IsSingleAttach);
        }
        finally
        {
            await view.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Patches_merge_strategic_merge_and_json_patch()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        api.Seed(ResourceType.Deployments, """
            {"metadata":{"name":"app","namespace":"ai"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"a"}},
             "template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[{"name":"main","image":"a:1"},{"name":"side","image":"s:1"}]}}}}
            """);

        await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"a:2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "app", "ai", cancellationToken: Ct);
        var afterStrategic = await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct);
        Assert.Equal(["a:2", "s:1"], afterStrategic.Spec.Template.Spec.Containers.Select(c => c.Image)); // merged by name
        Assert.Equal(2, afterStrategic.Metadata.Generation); // a spec change bumps the generation

        await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"a:3"}]}}}}""", V1Patch.PatchType.MergePatch), "app", "ai", cancellationToken: Ct);
        Assert.Equal(["a:3"], (await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct)).Spec.Template.Spec.Containers.Select(c => c.Image)); // replaced

        await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/annotations","value":{"a/b":"c"}}]""", V1Patch.PatchType.JsonPatch), "app", "ai", cancellationToken: Ct);
        var afterJson = await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct);
        Assert.Equal(3, afterJson.Spec.Replicas);
        Assert.Equal("c", afterJson.Metadata.Annotations["a/b"]);

        var failedTest = await StatusOf(() => client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""[{"op":"test","path":"/spec/replicas","value":9},{"op":"replace","path":"/spec/replicas","value":0}]""", V1Patch.PatchType.JsonPatch), "app", "ai", cancellationToken: Ct));
        Assert.Equal((HttpStatusCode)422, failedTest);
        Assert.Equal(3, (await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct)).Spec.Replicas);
    }

    [Fact]
    public async Task Finalizers_keep_a_deleted_object_until_the_last_one_is_removed()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        var claim = Claim("held");
        claim.Metadata.Finalizers = ["example.com/hold"];
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, "ai", cancellationToken: Ct);

        await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("held", "ai", cancellationToken: Ct);
        var deleting = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("held", "ai", cancellationToken: Ct);
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);

        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "held", "ai", cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("held", "ai", cancellationToken: Ct)));
    }

    [Fact]
    public async Task Objects_over_etcds_limit_get_its_error_and_bodies_over_3_MiB_get_413()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var http = new HttpClient { BaseAddress = api.Url };
        string Report(int bytes) => new JsonObject
        {
            ["apiVersion"] = "wgpolicyk8s.io/v1alpha2",
            ["kind"] = "PolicyReport",
            ["metadata"] = new JsonObject { ["name"] = "rwx-guard" },
            ["results"] = new JsonArray(new JsonObject { ["message"] = new string('x', bytes) }),
        }.ToJsonString();

        using var fits = await http.PostAsync("/apis/wgpolicyk8s.io/v1alpha2/namespaces/ai/policyreports", new StringContent(Report(1_400_000), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);

        using var tooLarge = await http.PostAsync("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team-b/policyreports", new StringContent(Report(1_600_000), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, tooLarge.StatusCode);
        var status = JsonNode.Parse(await tooLarge.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("etcdserver: request is too large", (string?)status["message"]);
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Null(api.Store.Get(ResourceType.PolicyReports, "team-b", "rwx-guard"));

        using var huge = await http.PostAsync("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team-b/policyreports", new StringContent(Report(3_200_000), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    [Fact]
    public async Task Custom_resources_list_by_label_replace_with_conflicts_and_delete()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        var body = new JsonObject
        {
            ["apiVersion"] = "wgpolicyk8s.io/v1alpha2",
            ["kind"] = "PolicyReport",
            ["metadata"] = new JsonObject { ["name"] = "rwx-guard", ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "rwx-guard" } },
            ["summary"] = new JsonObject { ["pass"] = 1 },
        };
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "wgpolicyk8s.io", "v1alpha2", "ai", "policyreports", cancellationToken: Ct);
        api.Seed(ResourceType.PolicyReports, """{"metadata":{"name":"kyverno","namespace":"ai","labels":{"app.kubernetes.io/managed-by":"kyverno"}}}""");

        var mine = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(await client.CustomObjects.ListNamespacedCustomObjectAsync(
            "wgpolicyk8s.io", "v1alpha2", "ai", "policyreports", labelSelector: "app.kubernetes.io/managed-by=rwx-guard", cancellationToken: Ct)))!;
        var item = Assert.Single(mine["items"]!.AsArray())!.AsObject();
        var version = (string)item["metadata"]!["resourceVersion"]!;

        item["summary"] = new JsonObject { ["pass"] = 2 };
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(item, "wgpolicyk8s.io", "v1alpha2", "ai", "policyreports", "rwx-guard", cancellationToken: Ct);
        item["summary"] = new JsonObject { ["pass"] = 3 };
        Assert.Equal((string)item["metadata"]!["resourceVersion"]!, version);
        Assert.Equal(HttpStatusCode.Conflict, await StatusOf(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectAsync(item, "wgpolicyk8s.io", "v1alpha2", "ai", "policyreports", "rwx-guard", cancellationToken: Ct)));

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync("wgpolicyk8s.io", "v1alpha2", "ai", "policyreports", "rwx-guard", cancellationToken: Ct);
        Assert.Null(api.Store.Get(ResourceType.PolicyReports, "ai", "rwx-guard"));
        Assert.NotNull(api.Store.Get(ResourceType.PolicyReports, "ai", "kyverno"));
    }

    [Fact]
    public async Task Scale_subresource_reads_and_writes_the_parents_replicas()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        api.Seed(ResourceType.Deployments, """{"metadata":{"name":"app","namespace":"ai"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"a"}}}}}""");

        var scale = await client.AppsV1.ReadNamespacedDeploymentScaleAsync("app", "ai", cancellationToken: Ct);
        Assert.Equal(2, scale.Spec.Replicas);
        Assert.Equal("app=a", scale.Status.Selector);

        scale.Spec.Replicas = 5;
        await client.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "app", "ai", cancellationToken: Ct);
        Assert.Equal(5, (await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct)).Spec.Replicas);
        scale.Spec.Replicas = 7; // stale resourceVersion
        Assert.Equal(HttpStatusCode.Conflict, await StatusOf(() => client.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "app", "ai", cancellationToken: Ct)));

        await client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{}}""", V1Patch.PatchType.MergePatch), "app", "ai", cancellationToken: Ct);
        Assert.Equal(5, (await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct)).Spec.Replicas); // {} merged: unchanged
        await client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":0}}""", V1Patch.PatchType.MergePatch), "app", "ai", cancellationToken: Ct);
        Assert.Equal(0, (await client.AppsV1.ReadNamespacedDeploymentAsync("app", "ai", cancellationToken: Ct)).Spec.Replicas);
    }

    [Fact]
    public async Task Access_rules_answer_access_reviews_and_forbid_the_real_request()
    {
        await using var api = await FakeKubeApi.StartAsync(a => a.Access = r => !(r.Verb == "delete" && r.Resource == "persistentvolumeclaims"));
        using var client = api.Client();
        await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data"), "ai", cancellationToken: Ct);

        async Task<bool> Allowed(string verb, string resource) => (await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, NamespaceProperty = "ai" } },
        }, cancellationToken: Ct)).Status.Allowed;

        Assert.True(await Allowed("create", "persistentvolumeclaims"));
        Assert.False(await Allowed("delete", "persistentvolumeclaims"));
        var forbidden = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", "ai", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Response.StatusCode);
        Assert.Contains("cannot delete resource \"persistentvolumeclaims\" in API group \"\" in the namespace \"ai\"",
            (string?)JsonNode.Parse(forbidden.Response.Content)!["message"]);
    }

    [Fact]
    public async Task Faults_fail_before_or_after_the_write_and_are_spent()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        api.Faults.Add(new Fault { Verb = "create", Resource = ResourceType.Claims, Status = 500 });
        Assert.Equal(HttpStatusCode.InternalServerError, await StatusOf(() => client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("a"), "ai", cancellationToken: Ct)));
        Assert.Null(api.Store.Get(ResourceType.Claims, "ai", "a")); // before: nothing written

        api.Faults.Add(new Fault { Verb = "create", Resource = ResourceType.Claims, Status = 503, AfterApply = true });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusOf(() => client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("a"), "ai", cancellationToken: Ct)));
        Assert.NotNull(api.Store.Get(ResourceType.Claims, "ai", "a")); // after: written, answer lost

        Assert.Equal(HttpStatusCode.Conflict, await StatusOf(() => client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("a"), "ai", cancellationToken: Ct)));
        Assert.Equal(2, api.Faults.Fired);
    }

    [Fact]
    public async Task Server_dry_run_validates_without_writing()
    {
        await using var api = await FakeKubeApi.StartAsync();
        using var client = api.Client();
        var dry = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("a"), "ai", dryRun: "All", cancellationToken: Ct);
        Assert.Equal("a", dry.Metadata.Name);
        Assert.Null(api.Store.Get(ResourceType.Claims, "ai", "a"));
        var invalid = await StatusOf(() => client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("Not_A_Name"), "ai", dryRun: "All", cancellationToken: Ct));
        Assert.Equal((HttpStatusCode)422, invalid);
    }
}
