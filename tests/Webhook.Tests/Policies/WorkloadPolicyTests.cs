using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using M = RwxGuard.Domain.AccessModes;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Policies;

/// <summary>Policy 1 on Deployment / StatefulSet / ReplicaSet CREATE and UPDATE.</summary>
public sealed class WorkloadPolicyTests
{
    private static readonly ReplicatedWorkloadPolicy Policy = new();
    private static readonly PolicyOptions Defaults = new();

    public static TheoryData<string, int?, M, M, bool, string?> AccessModeCases => new()
    {
        // name, replicas, spec modes, status modes, bound, expected rule (null = no finding)
        { "2 replicas on RWO", 2, M.ReadWriteOnce, M.None, false, Rules.ReplicatedSingleAttach },
        { "2 replicas on RWOP", 2, M.ReadWriteOncePod, M.None, false, Rules.ReplicatedSingleAttach },
        { "2 replicas on RWO+RWOP", 2, M.ReadWriteOnce | M.ReadWriteOncePod, M.None, false, Rules.ReplicatedSingleAttach },
        { "2 replicas on RWX", 2, M.ReadWriteMany, M.None, false, null },
        { "2 replicas on ROX", 2, M.ReadOnlyMany, M.None, false, null },
        { "2 replicas on RWO+RWX request", 2, M.ReadWriteOnce | M.ReadWriteMany, M.None, false, null },
        { "bound: status RWX wins over spec RWO", 3, M.ReadWriteOnce, M.ReadWriteMany, true, null },
        { "bound: status RWO wins over spec RWX", 3, M.ReadWriteMany, M.ReadWriteOnce, true, Rules.ReplicatedSingleAttach },
        { "pending: status ignored, spec RWO", 3, M.ReadWriteOnce, M.ReadWriteMany, false, Rules.ReplicatedSingleAttach },
        { "1 replica on RWO (Recreate)", 1, M.ReadWriteOnce, M.None, false, null },
        { "replicas absent means 1", null, M.ReadWriteOnce, M.None, false, null },
        { "0 replicas on RWO", 0, M.ReadWriteOnce, M.None, false, null },
    };

    [Theory]
    [MemberData(nameof(AccessModeCases))]
    public void Effective_access_modes_and_replicas_decide(string name, int? replicas, M spec, M status, bool bound, string? rule)
    {
        var view = new FakeClusterView().Add(Claim("data", spec, status, bound));
        var result = Policy.EvaluateWorkload(Workload("web", replicas, "data"), null, view, Defaults);

        if (rule is null) Assert.Empty(result.Findings);
        else Assert.Equal(rule, Assert.Single(result.Findings).Rule);
        Assert.Equal(rule is not null, result.HasViolation);
        _ = name;
    }

    [Fact]
    public void Violation_message_names_workload_claim_modes_and_fix()
    {
        var view = new FakeClusterView().Add(Claim("storage", M.ReadWriteOnce));
        var finding = Assert.Single(Policy.EvaluateWorkload(Workload("anythingllm", 2, "storage"), null, view, Defaults).Findings);

        Assert.Equal(FindingKind.Violation, finding.Kind);
        Assert.Contains("Deployment ai/anythingllm", finding.Message);
        Assert.Contains("runs 2 replicas", finding.Message);
        Assert.Contains("storage (ReadWriteOnce)", finding.Message);
        Assert.Contains("ReadWriteMany", finding.Message);
        Assert.Contains("replicas: 1 with strategy.type: Recreate", finding.Message);
        Assert.StartsWith("rwx-guard: ", finding.Warning);
        Assert.True(finding.Warning.Length <= Text.MaxWarningLength);
    }

    [Fact]
    public void Only_the_single_attach_claims_are_named_when_a_workload_mounts_several()
    {
        var view = new FakeClusterView().Add(Claim("shared", M.ReadWriteMany)).Add(Claim("local", M.ReadWriteOnce));
        var finding = Assert.Single(Policy.EvaluateWorkload(Workload("web", 3, "shared", "local"), null, view, Defaults).Findings);
        Assert.Contains("local (ReadWriteOnce)", finding.Message);
        Assert.DoesNotContain("shared (", finding.Message);
    }

    [Fact]
    public void Statefulset_with_only_per_pod_storage_is_allowed_and_shared_claims_are_not()
    {
        var view = new FakeClusterView().Add(Claim("shared-rwo", M.ReadWriteOnce));
        // volumeClaimTemplates never reach ClaimNames: a StatefulSet with only those mounts no shared claim.
        Assert.Empty(Policy.EvaluateWorkload(Workload(WorkloadKind.StatefulSet, "db", 3), null, view, Defaults).Findings);
        Assert.True(Policy.EvaluateWorkload(Workload(WorkloadKind.StatefulSet, "db", 3, "shared-rwo"), null, view, Defaults).HasViolation);
    }

    /// <summary>The view keeps at most 256 claims of a pod template: a /scale of such a workload says what it checked.</summary>
    [Fact]
    public void A_workload_cut_short_in_the_view_is_checked_on_what_was_kept_and_says_so()
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce))
            .Add(Workload("huge", 1, "data") with { Template = new PodTemplateInfo { ClaimNames = ["data"], Truncated = true } });

        var result = Policy.EvaluateScale(new ScaleInfo(WorkloadKind.Deployment, Ns, "huge", 3), null, view, Defaults);

        Assert.True(result.HasViolation);
        var warning = Assert.Single(result.Findings, f => f.Rule == Rules.TemplateTruncated);
        Assert.Contains("only 1 claims checked", warning.Warning);
    }

    [Fact]
    public void Standalone_replicaset_is_checked_but_one_controlled_by_a_known_deployment_is_left_to_its_deployment()
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce))
            .Add(Workload(WorkloadKind.Deployment, "web", 1, "data") with { Uid = "uid-web" });
        var standalone = Workload(WorkloadKind.ReplicaSet, "rs", 2, "data");
        Assert.True(Policy.EvaluateWorkload(standalone, null, view, Defaults).HasViolation);

        var owned = standalone with { ControllerOwner = new OwnerInfo("apps/v1", "Deployment", "web", "uid-web") };
        Assert.Empty(Policy.EvaluateWorkload(owned, null, view, Defaults).Findings);
    }

    /// <summary>
    /// Owner references are not proof: anyone who can create a ReplicaSet can claim a Deployment owner. Only an apps/v1
    /// Deployment that the view knows by name and uid exempts it; otherwise the ReplicaSet is checked on its own and the
    /// denial says why.
    /// </summary>
    [Theory]
    [InlineData("example.com/v1", "web", "uid-web", "a Deployment of another API group")]
    [InlineData("apps/v1", "web", "uid-forged", "a uid that is not the Deployment's")]
    [InlineData("apps/v1", "web", "", "no uid")]
    [InlineData("apps/v1", "ghost", "uid-ghost", "a Deployment the view does not know")]
    public void A_replicaset_claiming_an_unverified_deployment_owner_is_checked_on_its_own(string apiVersion, string owner, string uid, string why)
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce))
            .Add(Workload(WorkloadKind.Deployment, "web", 1, "data") with { Uid = "uid-web" });
        var forged = Workload(WorkloadKind.ReplicaSet, "rs", 5, "data") with { ControllerOwner = new OwnerInfo(apiVersion, "Deployment", owner, uid) };

        var result = Policy.EvaluateWorkload(forged, null, view, Defaults);

        Assert.True(result.HasViolation, why);
        var violation = Assert.Single(result.Findings, f => f.Kind == FindingKind.Violation);
        Assert.Contains($"It is checked on its own because its controller {apiVersion} Deployment {owner}", violation.Message);
        Assert.Contains("is not an apps/v1 Deployment that rwx-guard knows", violation.Message);
    }

    /// <summary>
    /// The race a real rollout runs: the Deployment controller creates the first ReplicaSet before the watch has brought
    /// the new Deployment into the view. The ReplicaSet is then checked on its own and gets the Deployment's own
    /// decision (same template, same replicas): an allowed Deployment's ReplicaSet is allowed, nothing is wedged.
    /// </summary>
    [Theory]
    [InlineData(1, M.ReadWriteOnce)]
    [InlineData(3, M.ReadWriteMany)]
    public void A_new_deployments_first_replicaset_gets_the_deployments_decision_before_the_view_knows_the_deployment(int replicas, M modes)
    {
        var view = new FakeClusterView().Add(Claim("data", modes));
        var deployment = Workload(WorkloadKind.Deployment, "web", replicas, "data") with { Uid = "uid-web" };
        var firstReplicaSet = Workload(WorkloadKind.ReplicaSet, "web-7d9f", replicas, "data") with
        {
            ControllerOwner = new OwnerInfo("apps/v1", "Deployment", "web", "uid-web"),
        };

        Assert.False(Policy.EvaluateWorkload(deployment, null, view, Defaults).HasViolation);
        Assert.False(Policy.EvaluateWorkload(firstReplicaSet, null, view, Defaults).HasViolation);
    }

    public static TheoryData<string, RolloutStrategy, RuleAction, FindingKind?> SurgeCases => new()
    {
        { "default 25% surge warns", new RolloutStrategy("RollingUpdate", "25%"), RuleAction.Warn, FindingKind.Warning },
        { "absolute surge 1 warns", new RolloutStrategy("RollingUpdate", "1"), RuleAction.Warn, FindingKind.Warning },
        { "maxSurge 0 is safe", new RolloutStrategy("RollingUpdate", "0"), RuleAction.Warn, null },
        { "maxSurge 0% is safe", new RolloutStrategy("RollingUpdate", "0%"), RuleAction.Warn, null },
        { "Recreate is safe", new RolloutStrategy("Recreate", null), RuleAction.Warn, null },
        { "configured to deny", new RolloutStrategy("RollingUpdate", "25%"), RuleAction.Deny, FindingKind.Violation },
        { "configured to ignore", new RolloutStrategy("RollingUpdate", "25%"), RuleAction.Ignore, null },
    };

    [Theory]
    [MemberData(nameof(SurgeCases))]
    public void Rolling_update_surge_on_one_replica(string name, RolloutStrategy strategy, RuleAction action, FindingKind? expected)
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce));
        var workload = Workload("web", 1, "data") with { Strategy = strategy };
        var result = Policy.EvaluateWorkload(workload, null, view, new PolicyOptions { RollingUpdateSurge = action });

        if (expected is null)
        {
            Assert.Empty(result.Findings);
        }
        else
        {
            var finding = Assert.Single(result.Findings);
            Assert.Equal(Rules.RollingUpdateSurge, finding.Rule);
            Assert.Equal(expected, finding.Kind);
            // Recreate while rollingUpdate is set is itself invalid: the fix must say to remove it.
            Assert.Contains("remove strategy.rollingUpdate", finding.Message);
            Assert.Contains("maxSurge: 0", finding.Warning);
        }
        _ = name;
    }

    [Fact]
    public void Surge_rule_does_not_fire_on_rwx_claims()
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteMany));
        var workload = Workload("web", 1, "data") with { Strategy = RolloutStrategy.DeploymentDefault };
        Assert.Empty(Policy.EvaluateWorkload(workload, null, view, Defaults).Findings);
    }

    [Theory]
    [InlineData(RuleAction.Warn, FindingKind.Warning)]
    [InlineData(RuleAction.Deny, FindingKind.Violation)]
    public void Claim_not_found_follows_its_setting_and_names_the_claim(RuleAction action, FindingKind kind)
    {
        var result = Policy.EvaluateWorkload(Workload("web", 3, "missing"), null, new FakeClusterView(),
            new PolicyOptions { OnClaimNotFound = action });
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.ClaimNotFound, finding.Rule);
        Assert.Equal(kind, finding.Kind);
        Assert.Contains("missing", finding.Message);
        Assert.Contains("missing", finding.Warning);
    }

    [Fact]
    public void Claim_not_found_is_ignored_when_configured()
    {
        var result = Policy.EvaluateWorkload(Workload("web", 3, "missing"), null, new FakeClusterView(),
            new PolicyOptions { OnClaimNotFound = RuleAction.Ignore });
        Assert.Empty(result.Findings);
    }

    [Fact]
    public void Offline_view_takes_the_claim_not_found_path_and_says_offline()
    {
        var finding = Assert.Single(Policy.EvaluateWorkload(Workload("web", 3, "data"), null, FakeClusterView.OfflineView(), Defaults).Findings);
        Assert.Equal(Rules.ClaimNotFound, finding.Rule);
        Assert.Contains("offline", finding.Message);
        Assert.Contains("(offline)", finding.Warning);
    }

    [Theory]
    [InlineData(RuleAction.Warn, FindingKind.Warning)]
    [InlineData(RuleAction.Deny, FindingKind.Violation)]
    public void Unavailable_view_follows_its_setting_and_says_why(RuleAction action, FindingKind kind)
    {
        var result = Policy.EvaluateWorkload(Workload("web", 3, "data"), null, FakeClusterView.Unavailable(),
            new PolicyOptions { OnClusterUnavailable = action });
        var finding = Assert.Single(result.Findings);
        Assert.Equal(Rules.ClusterUnavailable, finding.Rule);
        Assert.Equal(kind, finding.Kind);
        Assert.Contains("persistentvolumeclaims not synced", finding.Message);
    }

    [Fact]
    public void Workload_without_claims_never_needs_the_view()
    {
        // Not even an unavailable view produces a finding: there is nothing to look up.
        Assert.Empty(Policy.EvaluateWorkload(Workload("web", 5), null, FakeClusterView.Unavailable(), Defaults).Findings);
    }

    [Fact]
    public void An_autoscaler_targeting_the_workload_counts_with_its_max_replicas()
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce)).Add(Hpa("web-hpa", "web", 5));
        var finding = Assert.Single(Policy.EvaluateWorkload(Workload("web", 1, "data"), null, view, Defaults).Findings);
        Assert.Equal(Rules.ReplicatedSingleAttach, finding.Rule);
        Assert.Contains("HorizontalPodAutoscaler ai/web-hpa", finding.Message);

        Assert.Empty(Policy.EvaluateWorkload(Workload("web", 1, "data"), null, view,
            new PolicyOptions { CountAutoscalers = false }).Findings);
    }

    public static TheoryData<string, int?, string[], int?, string[], string> RatchetCases => new()
    {
        // name, old replicas, old claims, new replicas, new claims, expected rule
        { "image bump on an old violation", 3, ["data"], 3, ["data"], Rules.ExistingViolation },
        { "scale-down of an old violation", 3, ["data"], 2, ["data"], Rules.ExistingViolation },
        { "scale-up of an old violation", 3, ["data"], 4, ["data"], Rules.ReplicatedSingleAttach },
        { "new single-attach claim on an old violation", 3, ["data"], 3, ["data", "more"], Rules.ReplicatedSingleAttach },
        { "scale-up from 1 creates the violation", 1, ["data"], 2, ["data"], Rules.ReplicatedSingleAttach },
        { "adding the claim creates the violation", 3, [], 3, ["data"], Rules.ReplicatedSingleAttach },
    };

    [Theory]
    [MemberData(nameof(RatchetCases))]
    public void Ratcheting_on_update(string name, int? oldReplicas, string[] oldClaims, int? newReplicas, string[] newClaims, string rule)
    {
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce)).Add(Claim("more", M.ReadWriteOnce));
        var old = Workload("web", oldReplicas, oldClaims);
        var updated = Workload("web", newReplicas, newClaims);

        var finding = Assert.Single(Policy.EvaluateWorkload(updated, old, view, Defaults).Findings);
        Assert.Equal(rule, finding.Rule);
        Assert.Equal(rule == Rules.ExistingViolation ? FindingKind.Warning : FindingKind.Violation, finding.Kind);
        _ = name;
    }

    [Fact]
    public void AnythingLlm_is_recognised_by_image_when_unlabelled()
    {
        Assert.True(AnythingLlm.IsAnythingLlm(new PodTemplateInfo { Containers = [new ContainerInfo { Image = "ghcr.io/mintplex-labs/anything-llm:latest" }] }));
        Assert.True(AnythingLlm.IsAnythingLlm(new PodTemplateInfo { Containers = [new ContainerInfo { Image = "mintplexlabs/anythingllm@sha256:abc" }] }));
        Assert.False(AnythingLlm.IsAnythingLlm(new PodTemplateInfo { Containers = [new ContainerInfo { Image = "nginx:1.27" }] }));
    }
}
