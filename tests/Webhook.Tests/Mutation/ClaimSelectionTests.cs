using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;
using RwxGuard.Tests.Infrastructure;

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
        // Names real installs give their claims, unlabeled (issue 13).
        { "anythingllm-storage", "ai", null, null, true },
        { "anythingllm-data", "ai", null, null, true },
        { "anythingllm-storage-pvc", "ai", null, null, true },
        { "pvc-anythingllm", "ai", null, null, true },
        { "anythingllm-pvc", "anythingllm", null, "app=anythingllm", true },
        { "anything-llm-volume-claim-2", "ai", null, null, true },
        // ...and names that only look alike.
        { "llm-cache", "ai", null, null, false },
        { "anything-else", "ai", null, null, false },
        { "anything-lm-data", "ai", null, null, false },
        { "any-llm", "ai", null, null, false },
        { "data", "ai", "anythingllm-exporter", null, false },                      // label values are exact
        { "data", "ai", "AnythingLLM", null, false },                               // and case-sensitive
        { "data", "ai", null, "app=anythingllm", false },                           // another key does not count
        { "example-pv-claim", "default", null, null, false },
        { "postgres-data", "ai", "postgresql", null, false },
    };

    [Theory]
    [MemberData(nameof(DefaultCases))]
    public void Default_selectors_catch_the_real_world_names_and_labels_and_nothing_else(string name, string ns, string? appName,
        string? other, bool selected)
    {
        var labels = new Dictionary<string, string>();
        if (appName is not null) labels["app.kubernetes.io/name"] = appName;
        if (other is not null) labels[other.Split('=')[0]] = other.Split('=')[1];
        var json = ClaimJson.Create(name, storageClass: "gp3", labels: labels.Count == 0 ? null : labels, ns: ns);
        var claim = ClaimJson.Info(json);
        var view = StorageClassFixtures.View("eks.json");

        Assert.Equal(selected, ClaimSelection.Match(claim, new MutationOptions().EffectiveSelectors, view) is not null);
        var result = Policy.EvaluateCreate(claim, view, new MutationOptions(), new PolicyOptions());
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

    public static TheoryData<string, string, string, bool> MountedCases => new()
    {
        // case, image of the workload mounting claim "data" in namespace ai, its namespace, selected?
        { "Docker Hub", "mintplexlabs/anythingllm:1.8.4", "ai", true },
        { "a mirror's prefix", "dockerhub.example.cloud/mintplexlabs/anythingllm:master", "ai", true },
        { "explicit docker.io", "docker.io/mintplexlabs/anythingllm", "ai", true },
        { "GHCR", "ghcr.io/mintplex-labs/anything-llm:latest", "ai", true },
        { "a digest", "ghcr.io/mintplex-labs/anything-llm@sha256:4b6f0e6e0b1cbd5b8e4c5c2f8e1b0a7d9c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a", "ai", true },
        { "tag and digest", "mintplexlabs/anythingllm:pg@sha256:4b6f0e6e0b1cbd5b8e4c5c2f8e1b0a7d9c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a", "ai", true },
        { "a registry port", "registry.local:5000/anythingllm:pg", "ai", true },
        { "another image", "postgres:16", "ai", false },
        { "a name that contains it", "mintplexlabs/anythingllm-exporter:1", "ai", false },
        { "AnythingLLM as the registry's path, not the name", "mintplexlabs/anythingllm/collector:1", "ai", false },
        { "a workload in another namespace", "mintplexlabs/anythingllm:1.8.4", "other", false },
    };

    /// <summary>A claim named and labelled like nothing AnythingLLM ships, selected because an AnythingLLM workload in the
    /// view already mounts it (a claim recreated under its Deployment).</summary>
    [Theory]
    [MemberData(nameof(MountedCases))]
    public void A_claim_an_AnythingLLM_workload_already_mounts_is_selected_by_the_image_whatever_the_registry(string @case, string image,
        string workloadNamespace, bool selected)
    {
        var view = StorageClassFixtures.View("eks.json").Add(new WorkloadInfo
        {
            Kind = WorkloadKind.Deployment,
            Namespace = workloadNamespace,
            Name = "chat",
            Template = new PodTemplateInfo { ClaimNames = ["data"], Containers = [new ContainerInfo { Image = "busybox:1.36", Init = true }, new ContainerInfo { Image = image }] },
        });
        var json = ClaimJson.Create("data", storageClass: "gp3");

        var selectedBy = ClaimSelection.Match(ClaimJson.Info(json), new MutationOptions().EffectiveSelectors, view);

        Assert.True(selected == selectedBy is not null, $"{@case}: {selectedBy}");
        if (!selected) return;
        Assert.StartsWith($"Deployment {workloadNamespace}/chat running ", selectedBy);
        Assert.EndsWith(", which mounts it", selectedBy);
        var patched = ClaimJson.Apply(json, Policy.EvaluateCreate(ClaimJson.Info(json), view, new MutationOptions(), new PolicyOptions()));
        Assert.Equal("efs-sc", patched.Spec.StorageClassName);
        Assert.Equal(["ReadWriteMany"], patched.Spec.AccessModes);
    }

    [Fact]
    public void Text_elsewhere_in_the_pod_is_never_an_image()
    {
        // The image named in an environment value or an argument (what a YAML comment would be, once parsed: nothing).
        var view = StorageClassFixtures.View("eks.json").Add(new WorkloadInfo
        {
            Kind = WorkloadKind.Deployment,
            Namespace = "ai",
            Name = "proxy",
            Template = new PodTemplateInfo
            {
                ClaimNames = ["cache"],
                Containers = [new ContainerInfo { Image = "nginx:1.27", Env = new Dictionary<string, string?> { [EnvironmentRead.VectorDb] = "mintplexlabs/anythingllm" } }],
            },
        });

        Assert.Null(ClaimSelection.Match(Claim("cache"), new MutationOptions().EffectiveSelectors, view));
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
        Assert.True(selected == ClaimSelection.Match(claim, options.EffectiveSelectors, new FakeClusterView()) is not null, @case);
    }

    [Fact]
    public void Configured_selectors_replace_the_defaults()
    {
        var options = new MutationOptions { Selectors = [new() { Names = ["my-claim"] }] };
        var view = new FakeClusterView();
        Assert.Null(ClaimSelection.Match(Claim("anything-llm-volume-claim"), options.EffectiveSelectors, view));
        Assert.Equal("name my-claim", ClaimSelection.Match(Claim("my-claim"), options.EffectiveSelectors, view));
        Assert.Equal("label app.kubernetes.io/name=anything-llm",
            ClaimSelection.Match(Claim("server-storage", "team-a", ("app.kubernetes.io/name", "anything-llm")), new MutationOptions().EffectiveSelectors, view));
        Assert.Equal("name *anythingllm* or *anything-llm*",
            ClaimSelection.Match(Claim("pvc-anythingllm"), new MutationOptions().EffectiveSelectors, view));
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
