using System.Text.Json.Nodes;
using RwxGuard.Options;
using RwxGuard.Policies;
using static RwxGuard.Tests.Mutation.StorageClassFixtures;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>The patch as an RFC 6902 implementation applies it: annotations, escaping, and reinvocation.</summary>
public sealed class PatchTests
{
    private static readonly ClaimMutationPolicy Policy = new();

    [Theory]
    [InlineData("rwx-guard.io/mutated", "rwx-guard.io~1mutated")]
    [InlineData("a~b/c", "a~0b~1c")]
    [InlineData("~1", "~01")]
    [InlineData("plain", "plain")]
    public void Pointer_tokens_escape_tilde_before_slash(string token, string escaped) =>
        Assert.Equal(escaped, RwxGuard.Admission.ClaimPatch.Escape(token));

    [Fact]
    public void Annotation_is_added_next_to_existing_ones_under_its_real_key()
    {
        var existing = new Dictionary<string, string>
        {
            ["kubectl.kubernetes.io/last-applied-configuration"] = "{\"kind\":\"PersistentVolumeClaim\"}",
            ["meta.helm.sh/release-name"] = "anythingllm",
        };
        var json = ClaimJson.AnythingLlm(annotations: existing);
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("eks.json"), new MutationOptions(), new PolicyOptions());

        var annotations = ClaimJson.Apply(json, result).Metadata.Annotations;
        Assert.Equal(3, annotations.Count);
        Assert.Equal(existing["kubectl.kubernetes.io/last-applied-configuration"], annotations["kubectl.kubernetes.io/last-applied-configuration"]);
        Assert.Equal("anythingllm", annotations["meta.helm.sh/release-name"]);
        Assert.Equal("accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: gp3 -> efs-sc (discovered: provisioner efs.csi.aws.com)",
            annotations["rwx-guard.io/mutated"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Claim_without_annotations_gets_the_whole_map(bool emptyMap)
    {
        var json = ClaimJson.AnythingLlm(annotations: emptyMap ? [] : null);
        Assert.Equal(emptyMap, json["metadata"]!.AsObject().ContainsKey("annotations"));
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("eks.json"), new MutationOptions(), new PolicyOptions());

        var annotations = ClaimJson.Apply(json, result).Metadata.Annotations;
        Assert.Equal(WellKnown.MutatedAnnotation, Assert.Single(annotations).Key);
    }

    [Fact]
    public void Existing_mutated_annotation_is_replaced_not_duplicated()
    {
        // A manifest exported from another cluster (kubectl get -o yaml) carries the old record.
        var json = ClaimJson.AnythingLlm(annotations: new() { [WellKnown.MutatedAnnotation] = "accessModes: ReadWriteOnce -> ReadWriteMany" });
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("eks.json"), new MutationOptions(), new PolicyOptions());

        var annotations = ClaimJson.Apply(json, result).Metadata.Annotations;
        Assert.EndsWith("gp3 -> efs-sc (discovered: provisioner efs.csi.aws.com)", Assert.Single(annotations).Value);
    }

    [Fact]
    public void Other_fields_survive_the_patch()
    {
        var json = ClaimJson.AnythingLlm(annotations: new() { ["note"] = "keep" });
        json["metadata"]!["finalizers"] = new JsonArray("kubernetes.io/pvc-protection");
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("eks.json"), new MutationOptions(), new PolicyOptions());

        var patched = ClaimJson.Apply(json, result);
        Assert.Equal("8Gi", patched.Spec.Resources.Requests["storage"].ToString());
        Assert.Equal("Filesystem", patched.Spec.VolumeMode);
        Assert.Equal(["kubernetes.io/pvc-protection"], patched.Metadata.Finalizers);
        Assert.Equal("anythingllm", patched.Metadata.Labels["app.kubernetes.io/name"]);
        Assert.Equal("keep", patched.Metadata.Annotations["note"]);
    }

    public static TheoryData<string, string?, string[], string?> ReinvocationCases => new()
    {
        // fixture, claim's class, claim's modes, namespace class setting
        { "eks.json", "gp3", ["ReadWriteOnce"], null },
        { "eks.json", null, ["ReadWriteOnce"], null },
        { "eks.json", "gp3", ["ReadWriteMany"], null },
        { "eks.json", "gp3", ["ReadWriteOnce", "ReadOnlyMany"], null },
        { "eks.json", "gp3", ["ReadWriteOncePod"], null },
        { "aks.json", "default", ["ReadWriteOnce"], null },
        { "aks.json", "default", ["ReadWriteOnce"], "azurefile-csi-premium" },
        { "aks.json", "azurefile-csi", ["ReadWriteOnce"], null },
        { "gke.json", "standard-rwo", ["ReadWriteOnce"], null },
        { "onprem.json", "rook-ceph-block", ["ReadWriteOnce"], null },
        { "onprem.json", "nfs-client", ["ReadWriteOnce"], null },
    };

    [Theory]
    [MemberData(nameof(ReinvocationCases))]
    public void Second_pass_over_the_patched_claim_yields_nothing(string fixture, string? storageClass, string[] modes, string? namespaceClass)
    {
        var options = new MutationOptions();
        if (namespaceClass is not null) options.Namespaces = new() { [ClaimJson.Ns] = new() { StorageClass = namespaceClass } };
        var view = View(fixture);
        var json = ClaimJson.AnythingLlm(storageClass: storageClass, modes: modes);

        var first = Policy.EvaluateCreate(ClaimJson.Info(json), view, options, new PolicyOptions());
        Assert.NotNull(first.Admitted);
        var patchedJson = ClaimJson.ApplyToJson(json, Base64(json, first));
        var patched = ClaimJson.Apply(json, first);
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        if (namespaceClass is not null) Assert.Equal(namespaceClass, patched.Spec.StorageClassName);

        // reinvocationPolicy: IfNeeded sends the patched object again: no patch, and no second warning.
        var second = Policy.EvaluateCreate(ClaimJson.Info(patchedJson), view, options, new PolicyOptions());
        Assert.Same(PolicyResult.Empty, second);
    }

    private static string Base64(JsonObject sent, PolicyResult result) =>
        RwxGuard.Admission.AdmissionDecision.From("uid", RwxGuard.Admission.Verdict.Of(ClaimJson.Info(sent), result), EnforcementMode.Warn).Patch!;
}
