using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Mutation;

/// <summary>Which claims the mutator touches: the default selectors and configured ones.</summary>
public sealed class ClaimSelectionTests
{
    private static readonly ClaimMutationPolicy Policy = new();

    private static ClaimInfo Claim(string name, string ns = "ai", params (string Key, string Value)[] labels) => new()
    {
        Namespace = ns,
        Name = name,
        SpecModes = AccessModes.ReadWriteOnce,
        StorageClassName = "gp3",
        Labels = labels.ToDictionary(l => l.Key, l => l.Value),
    };

    public static TheoryData<string, string, string?, string?, bool> DefaultCases => new()
    {
        // name, namespace, app.kubernetes.io/name label, other label "key=value", selected?
        { "anythingllm-storage-claim", "ai", "anythingllm", null, true },           // official Helm chart
        { "server-storage", "team-a", "anything-llm", null, true },                 // community chart
        { "anything-llm-volume-claim", "anything-llm", null, null, true },          // official raw manifest, unlabeled
        { "anything-llm-volume-claim", "other", null, "app=whatever", true },       // the name alone is enough
        { "data", "ai", "anythingllm-exporter", null, false },                      // label values are exact
        { "data", "ai", "AnythingLLM", null, false },                               // and case-sensitive
        { "data", "ai", null, "app=anythingllm", false },                           // another key does not count
        { "anything-llm-volume-claim-2", "ai", null, null, false },                 // names are exact
        { "example-pv-claim", "default", null, null, false },
        { "postgres-data", "ai", "postgresql", null, false },
    };

    [Theory]
    [MemberData(nameof(DefaultCases))]
    public void Default_selectors_catch_the_three_real_world_shapes_and_nothing_else(string name, string ns, string? appName,
        string? other, bool selected)
    {
        var labels = new Dictionary<string, string>();
        if (appName is not null) labels["app.kubernetes.io/name"] = appName;
        if (other is not null) labels[other.Split('=')[0]] = other.Split('=')[1];
        var json = ClaimJson.Create(name, storageClass: "gp3", labels: labels.Count == 0 ? null : labels, ns: ns);
        var claim = ClaimJson.Info(json);

        Assert.Equal(selected, ClaimSelection.Match(claim, new MutationOptions().EffectiveSelectors) is not null);
        var result = Policy.EvaluateCreate(claim, StorageClassFixtures.View("eks.json"), new MutationOptions(), new PolicyOptions());
        if (!selected)
        {
            // Allowed with no patch and nothing to say, whatever the cluster holds.
            Assert.Same(PolicyResult.Empty, result);
            return;
        }
        var patched = ClaimJson.Apply(json, result);
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
        Assert.Equal("efs-sc", patched.Spec.StorageClassName);
    }

    public static TheoryData<string, ClaimSelectorOptions, string, string, string?, bool> ConfiguredCases => new()
    {
        // case, selector, claim name, namespace, app.kubernetes.io/name, selected?
        { "namespace only", new() { Namespaces = ["llm-*"] }, "data", "llm-prod", null, true },
        { "namespace only, other ns", new() { Namespaces = ["llm-*"] }, "data", "ai", null, false },
        { "name pattern", new() { Names = ["*-storage-claim"] }, "team-b-storage-claim", "ai", null, true },
        { "name pattern miss", new() { Names = ["*-storage-claim"] }, "storage-claim-2", "ai", null, false },
        { "label value pattern", new() { Labels = new() { ["app.kubernetes.io/name"] = "anything*llm" } }, "d", "ai", "anything-llm", true },
        { "label and namespace: both hold", new() { Labels = new() { ["app.kubernetes.io/name"] = "anythingllm" }, Namespaces = ["ai"] }, "d", "ai", "anythingllm", true },
        { "label and namespace: namespace fails", new() { Labels = new() { ["app.kubernetes.io/name"] = "anythingllm" }, Namespaces = ["ai"] }, "d", "dev", "anythingllm", false },
        { "label and namespace: label fails", new() { Labels = new() { ["app.kubernetes.io/name"] = "anythingllm" }, Namespaces = ["ai"] }, "d", "ai", null, false },
        { "any label value", new() { Labels = new() { ["app.kubernetes.io/name"] = "*" } }, "d", "ai", "postgres", true },
        { "empty selector selects nothing", new(), "anything-llm-volume-claim", "ai", "anythingllm", false },
    };

    [Theory]
    [MemberData(nameof(ConfiguredCases))]
    public void Configured_selectors_replace_the_defaults_and_and_their_conditions(string @case, ClaimSelectorOptions selector,
        string name, string ns, string? appName, bool selected)
    {
        var claim = appName is null ? Claim(name, ns) : Claim(name, ns, ("app.kubernetes.io/name", appName));
        var options = new MutationOptions { Selectors = [selector] };
        Assert.True(selected == ClaimSelection.Match(claim, options.EffectiveSelectors) is not null, @case);
    }

    [Fact]
    public void Configured_selectors_replace_the_defaults()
    {
        var options = new MutationOptions { Selectors = [new() { Names = ["my-claim"] }] };
        Assert.Null(ClaimSelection.Match(Claim("anything-llm-volume-claim"), options.EffectiveSelectors));
        Assert.Equal("name my-claim", ClaimSelection.Match(Claim("my-claim"), options.EffectiveSelectors));
        Assert.Equal("label app.kubernetes.io/name=anything-llm",
            ClaimSelection.Match(Claim("server-storage", "team-a", ("app.kubernetes.io/name", "anything-llm")), new MutationOptions().EffectiveSelectors));
    }

    [Theory]
    [InlineData("efs.csi.aws.com", "efs.csi.aws.com", true)]
    [InlineData("efs.csi.aws.com", "efs.csi.aws.comx", false)]
    [InlineData("*.cephfs.csi.ceph.com", "rook-ceph.cephfs.csi.ceph.com", true)]
    [InlineData("*.cephfs.csi.ceph.com", "cephfs.csi.ceph.com", false)]
    [InlineData("*nfs-subdir-external-provisioner", "cluster.local/nfs-subdir-external-provisioner", true)]
    [InlineData("*nfs-subdir-external-provisioner", "k8s-sigs.io/nfs-subdir-external-provisioner", true)]
    [InlineData("*nfs-subdir-external-provisioner", "nfs-subdir-external-provisioner-2", false)]
    [InlineData("a*b*c", "aXbYbc", true)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "aXcYb", false)]
    [InlineData("*", "", true)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    public void Glob_star_matches_any_run_of_characters(string pattern, string text, bool matches) =>
        Assert.Equal(matches, Glob.Matches(pattern, text));
}
