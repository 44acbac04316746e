using RwxGuard.Options;
using RwxGuard.Policies;
using static RwxGuard.Tests.Mutation.StorageClassFixtures;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>
/// Which class a selected claim gets: namespace setting, configured class, then discovery (annotated, provisioner order,
/// cluster default, name). Every case applies the patch to the claim and reads the class off the result.
/// </summary>
public sealed class ClassResolutionTests
{
    private static readonly ClaimMutationPolicy Policy = new();
    private static readonly PolicyOptions Enforce = new();

    private static readonly StorageClassInfo Gp3 = Class("gp3", "ebs.csi.aws.com", isDefault: true);
    private static readonly StorageClassInfo Efs = Class("efs-sc", "efs.csi.aws.com");
    private static readonly StorageClassInfo EfsShared = Class("efs-shared", "efs.csi.aws.com");
    private static readonly StorageClassInfo EfsSharedDefault = Class("efs-shared", "efs.csi.aws.com", isDefault: true);
    private static readonly StorageClassInfo NfsCsi = Class("nfs", "nfs.csi.k8s.io");
    private static readonly StorageClassInfo Trident = Class("netapp-nas", "csi.trident.netapp.io");
    private static readonly StorageClassInfo TridentMarked = Class("netapp-nas", "csi.trident.netapp.io", rwx: "true");
    private static readonly StorageClassInfo EfsOptedOut = Class("efs-legacy", "efs.csi.aws.com", rwx: "false");
    private static readonly StorageClassInfo Longhorn = Class("longhorn", "driver.longhorn.io");
    private static readonly StorageClassInfo AzureFileInTree = Class("azurefile-legacy", "kubernetes.io/azure-file");
    private static readonly StorageClassInfo Filestore = Class("standard-rwx", "filestore.csi.storage.gke.io");
    private static readonly StorageClassInfo CephFs = Class("cephfs", "cephfs.csi.ceph.com");
    private static readonly StorageClassInfo RookCephFs = Class("rook-cephfs", "rook-ceph.cephfs.csi.ceph.com");
    private static readonly StorageClassInfo NfsSubdir = Class("nfs-client", "cluster.local/nfs-subdir-external-provisioner");

    public static TheoryData<string, StorageClassInfo[], MutationOptions, string, string, bool> Cases => new()
    {
        // case, cluster's classes, settings, expected class, expected source in the annotation, tie warning?
        { "namespace setting first", [Gp3, Efs, NfsCsi],
            new() { StorageClass = "efs-sc", Namespaces = new() { ["ai"] = new() { StorageClass = "nfs" } } },
            "nfs", "(Mutation:Namespaces:ai:StorageClass)", false },
        { "another namespace's setting does not apply", [Gp3, Efs, NfsCsi],
            new() { StorageClass = "efs-sc", Namespaces = new() { ["team-b"] = new() { StorageClass = "nfs" } } },
            "efs-sc", "(Mutation:StorageClass)", false },
        { "configured class before discovery", [Gp3, Efs, NfsCsi], new() { StorageClass = "nfs" }, "nfs", "(Mutation:StorageClass)", false },
        { "configured class with an unknown provisioner is trusted", [Gp3, Efs, Trident], new() { StorageClass = "netapp-nas" },
            "netapp-nas", "(Mutation:StorageClass)", false },
        { "annotated class before known provisioners", [Gp3, Efs, TridentMarked], new(),
            "netapp-nas", "(discovered: annotation rwx-guard.io/rwx)", false },
        { "unknown provisioner is not discovered", [Gp3, Trident, NfsCsi], new(), "nfs", "(discovered: provisioner nfs.csi.k8s.io)", false },
        { "annotation false opts a known provisioner out", [Gp3, EfsOptedOut, NfsCsi], new(),
            "nfs", "(discovered: provisioner nfs.csi.k8s.io)", false },
        { "provisioner list order", [Gp3, NfsCsi, Efs], new(), "efs-sc", "(discovered: provisioner efs.csi.aws.com)", false },
        { "glob provisioner, list order across kinds", [NfsSubdir, RookCephFs, Gp3], new(),
            "rook-cephfs", "(discovered: provisioner rook-ceph.cephfs.csi.ceph.com)", false },
        { "plain cephfs driver", [Gp3, CephFs], new(), "cephfs", "(discovered: provisioner cephfs.csi.ceph.com)", false },
        { "nfs subdir provisioner", [Gp3, NfsSubdir], new(), "nfs-client", "(discovered: provisioner cluster.local/nfs-subdir-external-provisioner)", false },
        { "in-tree azure-file", [Gp3, AzureFileInTree], new(), "azurefile-legacy", "(discovered: provisioner kubernetes.io/azure-file)", false },
        { "filestore", [Gp3, Filestore], new(), "standard-rwx", "(discovered: provisioner filestore.csi.storage.gke.io)", false },
        { "tie: cluster default among equals", [Gp3, Efs, EfsSharedDefault], new(),
            "efs-shared", "(discovered: provisioner efs.csi.aws.com)", true },
        { "tie: then name", [Gp3, EfsShared, Efs], new(), "efs-sc", "(discovered: provisioner efs.csi.aws.com)", true },
        { "configured provisioner list replaces the built-in one", [Gp3, Efs, Longhorn], new() { RwxProvisioners = ["driver.longhorn.io"] },
            "longhorn", "(discovered: provisioner driver.longhorn.io)", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Class_is_chosen_in_the_documented_order(string @case, StorageClassInfo[] classes, MutationOptions options,
        string expected, string source, bool tie)
    {
        var json = ClaimJson.AnythingLlm(storageClass: "gp3");
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View(classes), options, Enforce);

        var patched = ClaimJson.Apply(json, result);
        Assert.True(expected == patched.Spec.StorageClassName, $"{@case}: got {patched.Spec.StorageClassName}");
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        Assert.Equal($"accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: gp3 -> {expected} {source}",
            patched.Metadata.Annotations[WellKnown.MutatedAnnotation]);
        Assert.Equal(Rules.ClaimMutated, result.Findings[0].Rule);
        Assert.Equal(tie, result.Findings.Count(f => f.Warning.Contains("RWX classes match")) == 1);
        Assert.DoesNotContain(result.Findings, f => f.Kind == FindingKind.Violation);
    }

    public static TheoryData<string, string, string, int> Clusters => new()
    {
        // fixture, expected class, expected source, RWX classes of the same rank (tie warning when > 1)
        { "eks.json", "efs-sc", "discovered: provisioner efs.csi.aws.com", 1 },
        { "aks.json", "azurefile", "discovered: provisioner file.csi.azure.com", 4 },
        { "gke.json", "enterprise-multishare-rwx", "discovered: provisioner filestore.csi.storage.gke.io", 4 },
        { "onprem.json", "rook-cephfs", "discovered: provisioner rook-ceph.cephfs.csi.ceph.com", 1 },
    };

    [Theory]
    [MemberData(nameof(Clusters))]
    public void Realistic_clusters_discover_their_file_storage(string fixture, string expected, string source, int sameRank)
    {
        var defaultClass = Load(fixture).Single(c => c.IsDefault).Name;
        var json = ClaimJson.AnythingLlm(storageClass: defaultClass); // as DefaultStorageClass leaves it
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View(fixture), new MutationOptions(), Enforce);

        var patched = ClaimJson.Apply(json, result);
        Assert.Equal(expected, patched.Spec.StorageClassName);
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        Assert.EndsWith($"storageClassName: {defaultClass} -> {expected} ({source})", patched.Metadata.Annotations[WellKnown.MutatedAnnotation]);
        var tie = result.Findings.SingleOrDefault(f => f.Warning.Contains("RWX classes match"));
        if (sameRank == 1) Assert.Null(tie);
        else Assert.Contains($"{sameRank} RWX classes match; chose {expected}", tie!.Warning);
    }

    public static TheoryData<string, MutationOptions, string, string[]> MissingCases => new()
    {
        // case, settings, expected class, settings reported missing
        { "namespace class missing: configured class used", new() { StorageClass = "efs-sc", Namespaces = new() { ["ai"] = new() { StorageClass = "efs-team-ai" } } },
            "efs-sc", ["Mutation:Namespaces:ai:StorageClass"] },
        { "configured class missing: discovery used", new() { StorageClass = "efs_sc-typo" }, "efs-sc", ["Mutation:StorageClass"] },
        { "both missing: discovery used", new() { StorageClass = "nope", Namespaces = new() { ["ai"] = new() { StorageClass = "nope-ai" } } },
            "efs-sc", ["Mutation:Namespaces:ai:StorageClass", "Mutation:StorageClass"] },
    };

    [Theory]
    [MemberData(nameof(MissingCases))]
    public void Configured_class_missing_from_the_cluster_is_reported_and_not_used(string @case, MutationOptions options,
        string expected, string[] missing)
    {
        var json = ClaimJson.AnythingLlm(storageClass: "gp3");
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("eks.json"), options, Enforce);

        var patched = ClaimJson.Apply(json, result);
        Assert.True(expected == patched.Spec.StorageClassName, @case);
        var reported = result.Findings.Where(f => f.Rule == Rules.StorageClassNotFound).ToList();
        Assert.Equal(missing.Length, reported.Count);
        foreach (var key in missing) Assert.Contains(reported, f => f.Warning.Contains($"({key}) not found in the cluster"));
    }

    [Fact]
    public void Configured_class_missing_and_nothing_to_discover_is_the_no_class_case()
    {
        var json = ClaimJson.AnythingLlm(storageClass: "gp3");
        var options = new MutationOptions { StorageClass = "efs-sc", OnNoRwxClass = RuleAction.Deny };
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("no-rwx.json"), options, Enforce);

        Assert.Null(result.Admitted);
        Assert.Equal([Rules.StorageClassNotFound, Rules.NoRwxClass], result.Findings.Select(f => f.Rule));
        var denial = Assert.Single(result.Findings, f => f.Kind == FindingKind.Violation);
        Assert.Contains("the configured class does not exist", denial.Message);
        Assert.Contains("StorageClass efs-sc (Mutation:StorageClass) not found", result.Findings[0].Warning);
    }

    public static TheoryData<string, StorageClassInfo[], MutationOptions, string, string> KeptClassCases => new()
    {
        // case, classes, settings, claim's class ("" = none), class after the patch
        { "explicit RWX-capable class is kept over the configured one", [Gp3, Efs, EfsShared], new() { StorageClass = "efs-sc" }, "efs-shared", "efs-shared" },
        { "explicit annotated class is kept", [Gp3, Efs, TridentMarked], new(), "netapp-nas", "netapp-nas" },
        { "unset class with an RWX-capable default gets the default written in", [EfsSharedDefault, Efs], new(), "", "efs-shared" },
    };

    [Theory]
    [MemberData(nameof(KeptClassCases))]
    public void Rwo_claim_on_an_rwx_capable_class_only_changes_its_modes(string @case, StorageClassInfo[] classes,
        MutationOptions options, string claimClass, string expected)
    {
        var json = ClaimJson.AnythingLlm(storageClass: claimClass == "" ? null : claimClass);
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View(classes), options, Enforce);

        var patched = ClaimJson.Apply(json, result);
        Assert.True(expected == patched.Spec.StorageClassName, @case);
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        var record = patched.Metadata.Annotations[WellKnown.MutatedAnnotation];
        Assert.StartsWith("accessModes: ReadWriteOnce -> ReadWriteMany", record);
        Assert.Equal(claimClass == "", record.Contains("storageClassName: (unset) -> " + expected + " (cluster default)"));
        Assert.Equal(claimClass == "", record.Contains("storageClassName"));
    }

    [Fact]
    public void Rwx_claim_on_a_single_attach_class_gets_only_the_class()
    {
        var json = ClaimJson.AnythingLlm(storageClass: "gp3", modes: ["ReadWriteMany"]);
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View("eks.json"), new MutationOptions(), Enforce);

        var patched = ClaimJson.Apply(json, result);
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        Assert.Equal("efs-sc", patched.Spec.StorageClassName);
        Assert.Equal("storageClassName: gp3 -> efs-sc (discovered: provisioner efs.csi.aws.com)",
            patched.Metadata.Annotations[WellKnown.MutatedAnnotation]);
        Assert.Equal("rwx-guard: claim anythingllm-storage-claim changed: StorageClass gp3 -> efs-sc", result.Findings[0].Warning);
    }

    [Fact]
    public void Claim_with_no_class_and_no_default_gets_the_class_added()
    {
        var json = ClaimJson.AnythingLlm(storageClass: null);
        Assert.Null(json["spec"]!["storageClassName"]);
        var result = Policy.EvaluateCreate(ClaimJson.Info(json), View(Class("gp3", "ebs.csi.aws.com"), Efs), new MutationOptions(), Enforce);

        var patched = ClaimJson.Apply(json, result);
        Assert.Equal("efs-sc", patched.Spec.StorageClassName);
        Assert.StartsWith("accessModes: ReadWriteOnce -> ReadWriteMany; storageClassName: (unset) -> efs-sc",
            patched.Metadata.Annotations[WellKnown.MutatedAnnotation]);
    }
}
