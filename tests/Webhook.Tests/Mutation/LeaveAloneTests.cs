using System.Text.Json.Nodes;
using RwxGuard.Admission;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Mutation.StorageClassFixtures;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>Selected claims the mutator must not change, each with the one warning that says why.</summary>
public sealed class LeaveAloneTests
{
    private static readonly ClaimMutationPolicy Policy = new();

    private static void AssertNoPatch(PolicyResult result, EnforcementMode mode = EnforcementMode.Enforce)
    {
        Assert.Null(result.Admitted);
        var response = AdmissionDecision.From("uid", Verdict.Of(result), mode);
        Assert.Null(response.Patch);
        Assert.Null(response.PatchType);
    }

    private static void AssertShort(Finding finding)
    {
        Assert.StartsWith(Text.WarningPrefix, finding.Warning);
        Assert.True(finding.Warning.Length <= Text.MaxWarningLength, finding.Warning);
        Assert.DoesNotContain('\n', finding.Warning);
    }

    public static TheoryData<string, JsonObject, string, string> Cases => new()
    {
        // case, claim, class list fixture, expected words in the warning
        { "pinned to a volume", ClaimJson.AnythingLlm(spec: s => s["volumeName"] = "pvc-0b7e1f6a"), "eks.json",
            "claim anythingllm-storage-claim is pinned to volume pvc-0b7e1f6a: left RWO" },
        { "restore from a snapshot", ClaimJson.AnythingLlm(spec: s => s["dataSource"] = new JsonObject
            { ["apiGroup"] = "snapshot.storage.k8s.io", ["kind"] = "VolumeSnapshot", ["name"] = "nightly" }), "eks.json",
            "is a clone/restore (dataSource): left RWO" },
        { "clone through dataSourceRef", ClaimJson.AnythingLlm(spec: s => s["dataSourceRef"] = new JsonObject
            { ["kind"] = "PersistentVolumeClaim", ["name"] = "anythingllm-old" }), "eks.json",
            "is a clone/restore (dataSource): left RWO" },
        { "pre-provisioned volume (class \"\")", ClaimJson.AnythingLlm(storageClass: ""), "eks.json",
            "asks for a pre-provisioned volume (storageClassName \"\"): left RWO" },
        { "already RWX on an RWX-capable class", ClaimJson.AnythingLlm(storageClass: "efs-sc", modes: ["ReadWriteMany"]), "eks.json",
            "claim anythingllm-storage-claim is already RWX on RWX-capable StorageClass efs-sc: not changed" },
        { "already RWX on the RWX-capable default", ClaimJson.AnythingLlm(storageClass: null, modes: ["ReadWriteMany"]), "onprem-nfs-default",
            "is already RWX on RWX-capable StorageClass nfs-client" },
        { "pinned claims are left alone even when RWX", ClaimJson.AnythingLlm(modes: ["ReadWriteMany"], spec: s => s["volumeName"] = "pv-efs-1"), "eks.json",
            "pinned to volume pv-efs-1: left RWX" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Selected_claim_is_left_alone_with_one_warning(string @case, JsonObject claim, string classes, string warning)
    {
        var view = classes == "onprem-nfs-default"
            ? View(Class("nfs-client", "cluster.local/nfs-subdir-external-provisioner", isDefault: true))
            : View(classes);
        var result = Policy.EvaluateCreate(ClaimJson.Info(claim), view, new MutationOptions(), new PolicyOptions());

        AssertNoPatch(result);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.ClaimLeftAlone, finding.Rule);
        Assert.Equal(FindingKind.Warning, finding.Kind);
        Assert.True(finding.Warning.Contains(warning), $"{@case}: {finding.Warning}");
        AssertShort(finding);
    }

    [Fact]
    public void No_rwx_class_warns_by_default_and_leaves_the_claim()
    {
        var result = Policy.EvaluateCreate(ClaimJson.Info(ClaimJson.AnythingLlm()), View("no-rwx.json"), new MutationOptions(), new PolicyOptions());

        AssertNoPatch(result);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.NoRwxClass, finding.Rule);
        Assert.Equal(FindingKind.Warning, finding.Kind);
        Assert.Equal("rwx-guard: claim anythingllm-storage-claim left RWO: no RWX StorageClass; set Mutation:StorageClass", finding.Warning);
        var response = AdmissionDecision.From("uid", Verdict.Of(result), EnforcementMode.Enforce);
        Assert.True(response.Allowed);
    }

    [Fact]
    public void No_rwx_class_can_deny_with_a_message_that_says_how_to_configure_one()
    {
        var options = new MutationOptions { OnNoRwxClass = RuleAction.Deny };
        var result = Policy.EvaluateCreate(ClaimJson.Info(ClaimJson.AnythingLlm()), View("no-rwx.json"), options, new PolicyOptions());

        AssertNoPatch(result);
        var response = AdmissionDecision.From("uid", Verdict.Of(result), EnforcementMode.Enforce);
        Assert.False(response.Allowed);
        Assert.Equal(403, response.Status!.Code);
        var message = response.Status.Message!;
        Assert.Contains("PersistentVolumeClaim ai/anythingllm-storage-claim (selected by label app.kubernetes.io/name=anythingllm)", message);
        Assert.Contains("no RWX-capable StorageClass is known in this cluster", message);
        Assert.Contains("set Mutation:StorageClass (or Mutation:Namespaces:<namespace>:StorageClass)", message);
        Assert.Contains("kubectl annotate storageclass <name> rwx-guard.io/rwx=true", message);
        Assert.Contains("so rwx-guard refuses it (Mutation:OnNoRwxClass: Deny)", message);

        // The enforcement mode still rules: in warn mode the same finding is a warning.
        var warned = AdmissionDecision.From("uid", Verdict.Of(result), EnforcementMode.Warn);
        Assert.True(warned.Allowed);
        Assert.Contains(warned.Warnings!, w => w.Contains("no RWX StorageClass"));
    }

    [Theory]
    [InlineData(RuleAction.Warn)]
    [InlineData(RuleAction.Deny)]
    public void Offline_behaves_like_no_class_known_even_with_a_configured_class(RuleAction action)
    {
        var options = new MutationOptions { StorageClass = "efs-sc", OnNoRwxClass = action };
        var result = Policy.EvaluateCreate(ClaimJson.Info(ClaimJson.AnythingLlm()), FakeClusterView.OfflineView(), options, new PolicyOptions());

        AssertNoPatch(result);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.NoRwxClass, finding.Rule);
        Assert.Equal(action == RuleAction.Deny ? FindingKind.Violation : FindingKind.Warning, finding.Kind);
        Assert.Contains("runs offline and cannot see the cluster's StorageClasses", finding.Message);
        Assert.Contains("offline, no RWX StorageClass known", finding.Warning);
        AssertShort(finding);
    }

    [Fact]
    public void Offline_rwx_claim_is_left_alone_with_its_class_unchecked()
    {
        var claim = ClaimJson.AnythingLlm(storageClass: "efs-sc", modes: ["ReadWriteMany"]);
        var result = Policy.EvaluateCreate(ClaimJson.Info(claim), FakeClusterView.OfflineView(), new MutationOptions(), new PolicyOptions());

        AssertNoPatch(result);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.ClaimLeftAlone, finding.Rule);
        Assert.Contains("StorageClass not checked (offline)", finding.Warning);
    }

    [Theory]
    [InlineData(RuleAction.Warn, FindingKind.Warning)]
    [InlineData(RuleAction.Deny, FindingKind.Violation)]
    [InlineData(RuleAction.Ignore, null)]
    public void Unavailable_view_follows_the_cluster_unavailable_setting(RuleAction action, FindingKind? kind)
    {
        var result = Policy.EvaluateCreate(ClaimJson.Info(ClaimJson.AnythingLlm()), FakeClusterView.Unavailable(), new MutationOptions(),
            new PolicyOptions { OnClusterUnavailable = action });

        AssertNoPatch(result);
        if (kind is null)
        {
            Assert.Empty(result.Findings);
            return;
        }
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.ClusterUnavailable, finding.Rule);
        Assert.Equal(kind, finding.Kind);
        Assert.Contains("persistentvolumeclaims not synced", finding.Message);
        Assert.Contains("cluster view unavailable; claim anythingllm-storage-claim left RWO", finding.Warning);
    }

    [Fact]
    public void Every_warning_stays_on_one_short_line_even_for_long_names()
    {
        var name = new string('a', 200);
        var claim = ClaimJson.Create(name, storageClass: "gp3", labels: new() { ["app.kubernetes.io/name"] = "anythingllm" });
        foreach (var view in new[] { View("eks.json"), View("aks.json"), View("no-rwx.json"), FakeClusterView.OfflineView(), FakeClusterView.Unavailable() })
        {
            var result = Policy.EvaluateCreate(ClaimJson.Info(claim), view, new MutationOptions(), new PolicyOptions());
            Assert.NotEmpty(result.Findings);
            Assert.All(result.Findings, AssertShort);
        }
    }
}
