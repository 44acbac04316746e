using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Mutation.StorageClassFixtures;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>
/// POST /mutate through the real HTTPS server: the AnythingLLM claims of Fixtures/anythingllm and the real PVC capture,
/// against realistic StorageClass lists. Patches are applied to the request's object and the result is asserted on.
/// </summary>
public sealed class MutateEndpointTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["eks.json"] = "efs-sc",
        ["aks.json"] = "azurefile",
        ["gke.json"] = "enterprise-multishare-rwx",
        ["onprem.json"] = "rook-cephfs",
    };

    public static TheoryData<string, string> ShapesOnClouds
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in new[] { "official-helm-chart-rendered.yaml", "community-chart-rendered.yaml", "official-raw-manifest.yaml" })
            foreach (var cluster in Expected.Keys)
                data.Add(file, cluster);
            return data;
        }
    }

    /// <summary>The manifest's claim as the API server hands it to mutating webhooks: DefaultStorageClass has run.</summary>
    internal static V1PersistentVolumeClaim ClaimAsAdmitted(string file, string? defaultClass)
    {
        var claim = Manifests.Load(file).OfType<V1PersistentVolumeClaim>().Single();
        // The raw manifest is an Ansible template: give its placeholder namespace a real value.
        if (claim.Metadata.NamespaceProperty == "{{ namespace }}") claim.Metadata.NamespaceProperty = "anything-llm";
        claim.Spec.StorageClassName ??= defaultClass;
        claim.Spec.VolumeMode ??= "Filesystem";
        return claim;
    }

    private static JsonObject Review(V1PersistentVolumeClaim claim) => Manifests.CreateReview(claim, "", "v1", "persistentvolumeclaims");

    private static JsonObject ObjectOf(JsonObject review) => review["request"]!["object"]!.AsObject();

    /// <summary>patch and patchType travel together or not at all.</summary>
    internal static JsonObject ResponseOf(JsonObject body)
    {
        var response = body["response"]!.AsObject();
        Assert.Equal(response["patch"] is null, response["patchType"] is null);
        if (response["patchType"] is { } type) Assert.Equal("JSONPatch", type.GetValue<string>());
        return response;
    }

    private static string[] Warnings(JsonObject response) =>
        response["warnings"]?.AsArray().Select(w => w!.GetValue<string>()).ToArray() ?? [];

    [Theory]
    [MemberData(nameof(ShapesOnClouds))]
    public async Task AnythingLlm_claim_is_created_rwx_on_the_clusters_file_storage(string file, string cluster)
    {
        var defaultClass = Load(cluster).Single(c => c.IsDefault).Name;
        var claim = ClaimAsAdmitted(file, defaultClass);
        var review = Review(claim);
        await using var webhook = await RunningWebhook.StartAsync(View(cluster));

        var (status, body) = await webhook.Client.PostAsync("/mutate", review);

        Assert.Equal(200, status);
        var response = ResponseOf(body);
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        var patched = ClaimJson.Apply(ObjectOf(review), response["patch"]!.GetValue<string>());
        var expected = Expected[cluster];
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        Assert.Equal(expected, patched.Spec.StorageClassName);
        Assert.StartsWith($"accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: {defaultClass} -> {expected} (discovered: provisioner ",
            patched.Metadata.Annotations[WellKnown.MutatedAnnotation]);
        // Untouched: name, labels, size.
        Assert.Equal(claim.Metadata.Name, patched.Metadata.Name);
        Assert.Equal(claim.Metadata.Labels?.Count, patched.Metadata.Labels?.Count);
        Assert.Equal(claim.Spec.Resources.Requests["storage"], patched.Spec.Resources.Requests["storage"]);

        var warnings = Warnings(response);
        Assert.Contains($"rwx-guard: claim {claim.Metadata.Name} changed: RWO -> RWX, StorageClass {defaultClass} -> {expected}", warnings);
        Assert.All(warnings, w => Assert.True(w.Length <= Text.MaxWarningLength, w));
        Assert.Contains(Rules.ClaimMutated, response["auditAnnotations"]!["rules"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("official-helm-chart-rendered.yaml")]
    [InlineData("community-chart-rendered.yaml")]
    [InlineData("official-raw-manifest.yaml")]
    public async Task Cluster_without_an_rwx_class_allows_the_claim_unchanged_with_a_warning_or_denies_it(string file)
    {
        var claim = ClaimAsAdmitted(file, "gp3");
        await using (var warn = await RunningWebhook.StartAsync(View("no-rwx.json")))
        {
            var (_, body) = await warn.Client.PostAsync("/mutate", Review(claim));
            var response = ResponseOf(body);
            Assert.True(response["allowed"]!.GetValue<bool>());
            Assert.Null(response["patch"]);
            Assert.Equal([$"rwx-guard: claim {claim.Metadata.Name} left RWO: no RWX StorageClass; set Mutation:StorageClass"], Warnings(response));
        }

        await using var deny = await RunningWebhook.StartAsync(View("no-rwx.json"), new Dictionary<string, string?> { ["Mutation:OnNoRwxClass"] = "Deny" });
        var (status, denied) = await deny.Client.PostAsync("/mutate", Review(claim));
        Assert.Equal(200, status);
        var refused = ResponseOf(denied);
        Assert.False(refused["allowed"]!.GetValue<bool>());
        Assert.Null(refused["patch"]);
        Assert.Equal(403, refused["status"]!["code"]!.GetValue<int>());
        var message = refused["status"]!["message"]!.GetValue<string>();
        Assert.Contains($"PersistentVolumeClaim {claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}", message);
        Assert.Contains("Mutation:StorageClass", message);
        Assert.Contains("rwx-guard.io/rwx=true", message);
    }

    [Fact]
    public async Task Real_pvc_capture_is_left_alone_by_the_default_selectors_and_mutated_when_selected()
    {
        const string capture = "kw-pvc-create-rwo-storageclass-fast-v1req.json";
        await using (var defaults = await RunningWebhook.StartAsync(View("eks.json")))
        {
            var (_, body) = await defaults.Client.PostAsync("/mutate", Fixtures.Review(capture));
            var response = ResponseOf(body);
            Assert.True(response["allowed"]!.GetValue<bool>());
            Assert.Null(response["patch"]);
            Assert.Null(response["warnings"]);
            Assert.Null(response["auditAnnotations"]);
        }

        await using var selected = await RunningWebhook.StartAsync(View("eks.json"), new Dictionary<string, string?>
        {
            ["Mutation:Selectors:0:Names:0"] = "example-*",
            ["Mutation:Selectors:0:Namespaces:0"] = "default",
        });
        foreach (var apiVersion in new[] { "admission.k8s.io/v1", "admission.k8s.io/v1beta1" })
        {
            var review = Fixtures.Review(capture);
            review["apiVersion"] = apiVersion;
            var (_, body) = await selected.Client.PostAsync("/mutate", review);
            Assert.Equal(apiVersion, body["apiVersion"]!.GetValue<string>());
            var response = ResponseOf(body);

            var original = ObjectOf(review);
            var patched = ClaimJson.Apply(original, response["patch"]!.GetValue<string>());
            Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
            Assert.Equal("efs-sc", patched.Spec.StorageClassName); // "fast" is not in the cluster: replaced
            var annotations = patched.Metadata.Annotations;
            Assert.Equal("accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: fast -> efs-sc (discovered: provisioner efs.csi.aws.com)",
                annotations["rwx-guard.io/mutated"]);
            // The capture's own annotations (one of them holds JSON) are kept as they were.
            foreach (var (key, value) in original["metadata"]!["annotations"]!.AsObject())
                Assert.Equal(value!.GetValue<string>(), annotations[key]);
            Assert.Equal(3, annotations.Count);
            Assert.Equal(original["metadata"]!["uid"]!.GetValue<string>(), patched.Metadata.Uid);
            Assert.Equal(["kubernetes.io/pvc-protection"], patched.Metadata.Finalizers);
        }
    }

    [Fact]
    public async Task Claims_not_changed_by_rwx_guard_are_never_patched_after_creation()
    {
        await using var webhook = await RunningWebhook.StartAsync(View("eks.json"));
        var create = Review(ClaimAsAdmitted("official-helm-chart-rendered.yaml", "gp3"));
        var (_, created) = await webhook.Client.PostAsync("/mutate", create);
        Assert.NotNull(ResponseOf(created)["patch"]); // the same claim is mutated on CREATE…

        var update = create.DeepClone().AsObject();
        update["request"]!["operation"] = "UPDATE";
        update["request"]!["oldObject"] = update["request"]!["object"]!.DeepClone();
        var delete = create.DeepClone().AsObject();
        delete["request"]!["operation"] = "DELETE";
        delete["request"]!["oldObject"] = delete["request"]!["object"]!.DeepClone();
        delete["request"]!["object"] = null;
        var deployment = Manifests.CreateReview(Manifests.Load("official-helm-chart-rendered.yaml").OfType<V1Deployment>().Single(),
            "apps", "v1", "deployments");

        foreach (var review in new[] { update, delete, deployment })
        {
            var (status, body) = await webhook.Client.PostAsync("/mutate", review); // …and nothing else is
            Assert.Equal(200, status);
            var response = ResponseOf(body);
            Assert.True(response["allowed"]!.GetValue<bool>());
            Assert.Null(response["patch"]);
            Assert.Null(response["warnings"]);
        }
    }

    [Fact]
    public async Task Reapplying_the_original_manifest_of_a_mutated_claim_keeps_the_live_values()
    {
        await using var webhook = await RunningWebhook.StartAsync(View("eks.json"));
        var original = Review(ClaimAsAdmitted("official-helm-chart-rendered.yaml", "gp3"));
        var (_, created) = await webhook.Client.PostAsync("/mutate", original);
        var live = ClaimJson.ApplyToJson(original["request"]!["object"]!.AsObject(), ResponseOf(created)["patch"]!.GetValue<string>());

        // kubectl apply / helm upgrade of the unchanged manifest: RWO on gp3 again, over the live RWX claim on efs-sc.
        var reapply = original.DeepClone().AsObject();
        reapply["request"]!["operation"] = "UPDATE";
        reapply["request"]!["oldObject"] = live.DeepClone();
        reapply["request"]!["object"]!["metadata"]!["labels"]!["team"] = "search"; // the change the user meant
        var (_, body) = await webhook.Client.PostAsync("/mutate", reapply);
        var response = ResponseOf(body);
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Contains("kept RWX on efs-sc", Assert.Single(response["warnings"]!.AsArray())!.GetValue<string>());

        var updated = ClaimJson.Apply(reapply["request"]!["object"]!.AsObject(), response["patch"]!.GetValue<string>());
        Assert.Equal(["ReadWriteMany"], updated.Spec.AccessModes);
        Assert.Equal("efs-sc", updated.Spec.StorageClassName);
        Assert.Equal("search", updated.Metadata.Labels["team"]);

        // An update that leaves modes and class alone needs no patch.
        var relabel = reapply.DeepClone().AsObject();
        relabel["request"]!["object"] = live.DeepClone();
        var (_, quiet) = await webhook.Client.PostAsync("/mutate", relabel);
        Assert.Null(ResponseOf(quiet)["patch"]);
    }

    public static TheoryData<string> Captures => new(Fixtures.AdmissionCaptures());

    [Theory]
    [MemberData(nameof(Captures))]
    public async Task Every_capture_through_mutate_is_answered_in_its_version_and_not_patched(string capture)
    {
        await using var webhook = await RunningWebhook.StartAsync(View("eks.json"));
        var review = Fixtures.Review(capture);
        var (status, body) = await webhook.Client.PostAsync("/mutate", review);

        Assert.Equal(200, status);
        Assert.Equal(review["apiVersion"]!.GetValue<string>(), body["apiVersion"]!.GetValue<string>());
        var response = ResponseOf(body);
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["patch"]); // no capture is an AnythingLLM claim
    }

    [Fact]
    public async Task Dry_run_is_mutated_exactly_like_the_real_request()
    {
        await using var webhook = await RunningWebhook.StartAsync(View("eks.json"));
        var real = Review(ClaimAsAdmitted("community-chart-rendered.yaml", "gp3"));
        var dry = real.DeepClone().AsObject();
        dry["request"]!["dryRun"] = true;

        var (_, realBody) = await webhook.Client.PostAsync("/mutate", real);
        var (_, dryBody) = await webhook.Client.PostAsync("/mutate", dry);

        Assert.NotNull(ResponseOf(dryBody)["patch"]);
        Assert.Equal(realBody.ToJsonString(), dryBody.ToJsonString());
        var patched = ClaimJson.Apply(ObjectOf(dry), dryBody["response"]!["patch"]!.GetValue<string>());
        Assert.Equal("efs-sc", patched.Spec.StorageClassName);
    }

    [Theory]
    [InlineData("eks.json")]
    [InlineData("aks.json")]
    [InlineData("gke.json")]
    [InlineData("onprem.json")]
    public async Task Reinvocation_with_the_patched_claim_changes_nothing_and_says_nothing(string cluster)
    {
        await using var webhook = await RunningWebhook.StartAsync(View(cluster));
        var first = Review(ClaimAsAdmitted("official-helm-chart-rendered.yaml", Load(cluster).Single(c => c.IsDefault).Name));
        var (_, firstBody) = await webhook.Client.PostAsync("/mutate", first);

        var second = first.DeepClone().AsObject();
        second["request"]!["object"] = ClaimJson.ApplyToJson(ObjectOf(first), firstBody["response"]!["patch"]!.GetValue<string>());
        var (_, secondBody) = await webhook.Client.PostAsync("/mutate", second);

        var response = ResponseOf(secondBody);
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["patch"]);
        Assert.Null(response["warnings"]);
        Assert.Null(response["auditAnnotations"]);
    }

    [Fact]
    public async Task Per_namespace_class_wins_for_its_namespace_only()
    {
        await using var webhook = await RunningWebhook.StartAsync(View("aks.json"), new Dictionary<string, string?>
        {
            ["Mutation:StorageClass"] = "azurefile-csi",
            ["Mutation:Namespaces:team-a:StorageClass"] = "azurefile-csi-premium",
        });

        var community = Review(ClaimAsAdmitted("community-chart-rendered.yaml", "default")); // namespace team-a
        var official = Review(ClaimAsAdmitted("official-helm-chart-rendered.yaml", "default")); // namespace ai
        var (_, communityBody) = await webhook.Client.PostAsync("/mutate", community);
        var (_, officialBody) = await webhook.Client.PostAsync("/mutate", official);

        var teamA = ClaimJson.Apply(ObjectOf(community), communityBody["response"]!["patch"]!.GetValue<string>());
        Assert.Equal("azurefile-csi-premium", teamA.Spec.StorageClassName);
        Assert.EndsWith("(Mutation:Namespaces:team-a:StorageClass)", teamA.Metadata.Annotations[WellKnown.MutatedAnnotation]);
        var ai = ClaimJson.Apply(ObjectOf(official), officialBody["response"]!["patch"]!.GetValue<string>());
        Assert.Equal("azurefile-csi", ai.Spec.StorageClassName);
        Assert.EndsWith("(Mutation:StorageClass)", ai.Metadata.Annotations[WellKnown.MutatedAnnotation]);
        // A configured choice is not a tie: one warning only.
        Assert.Single(Warnings(ResponseOf(officialBody)));
    }

    private static bool Throws(Func<object> read)
    {
        try
        {
            read();
            return false;
        }
        catch (OptionsValidationException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Settings_file_edits_apply_to_the_next_claim_and_invalid_ones_are_not_applied()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rwx-guard-mutation-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "Mutation": { "StorageClass": "azurefile-csi" } }""");
        try
        {
            await using var webhook = await RunningWebhook.StartAsync(args: ["--config", file],
                services: s => s.AddSingleton<RwxGuard.Domain.IClusterView>(View("aks.json")));
            var review = Review(ClaimAsAdmitted("official-helm-chart-rendered.yaml", "default"));

            async Task<string?> ClassAfterPatch()
            {
                var (_, body) = await webhook.Client.PostAsync("/mutate", review);
                return ClaimJson.Apply(ObjectOf(review), body["response"]!["patch"]!.GetValue<string>()).Spec.StorageClassName;
            }

            Assert.Equal("azurefile-csi", await ClassAfterPatch());
            File.WriteAllText(file, """{ "Mutation": { "StorageClass": "azurefile-csi-premium" } }""");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            string? now;
            while ((now = await ClassAfterPatch()) != "azurefile-csi-premium" && DateTime.UtcNow < deadline)
                await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.Equal("azurefile-csi-premium", now);

            // An invalid edit is not applied: the last valid settings stay in force instead of failing every claim.
            File.WriteAllText(file, """{ "Mutation": { "StorageClass": "Not_A_Class" } }""");
            var reloader = webhook.Services.GetRequiredService<RwxGuard.Options.SettingsReloader>();
            deadline = DateTime.UtcNow.AddSeconds(20);
            while (reloader.Status.Accepted && DateTime.UtcNow < deadline)
                await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.Contains("Mutation:StorageClass", reloader.Status.Detail); // the edit was read, and refused
            Assert.Equal("azurefile-csi-premium", webhook.Services.GetRequiredService<RwxGuard.Options.LiveSettings<MutationOptions>>().Current.StorageClass);
            Assert.Equal("azurefile-csi-premium", await ClassAfterPatch());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
