using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using M = RwxGuard.Domain.AccessModes;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Policies;

/// <summary>Policy 1 through /scale, HorizontalPodAutoscalers and PersistentVolumeClaim CREATE.</summary>
public sealed class EntryPointPolicyTests
{
    private static readonly ReplicatedWorkloadPolicy Policy = new();
    private static readonly PolicyOptions Defaults = new();

    private static FakeClusterView ViewWith(M modes, WorkloadKind kind = WorkloadKind.Deployment) =>
        new FakeClusterView().Add(Claim("data", modes)).Add(Workload(kind, "web", 1, "data"));

    public static TheoryData<WorkloadKind, int, int?, M, string?> ScaleCases => new()
    {
        // kind, new replicas, old replicas, claim modes, expected rule
        { WorkloadKind.Deployment, 3, 1, M.ReadWriteOnce, Rules.ReplicatedSingleAttach },
        { WorkloadKind.StatefulSet, 2, 1, M.ReadWriteOnce, Rules.ReplicatedSingleAttach },
        { WorkloadKind.ReplicaSet, 2, 1, M.ReadWriteOncePod, Rules.ReplicatedSingleAttach },
        { WorkloadKind.Deployment, 3, 1, M.ReadWriteMany, null },
        { WorkloadKind.Deployment, 1, 3, M.ReadWriteOnce, null },
        { WorkloadKind.Deployment, 0, 3, M.ReadWriteOnce, null },
        { WorkloadKind.Deployment, 2, 3, M.ReadWriteOnce, Rules.ExistingViolation },
        { WorkloadKind.Deployment, 4, 3, M.ReadWriteOnce, Rules.ReplicatedSingleAttach },
        { WorkloadKind.Deployment, 3, null, M.ReadWriteOnce, Rules.ReplicatedSingleAttach },
    };

    [Theory]
    [MemberData(nameof(ScaleCases))]
    public void Scale_subresource_checks_the_parent_template(WorkloadKind kind, int replicas, int? oldReplicas, M modes, string? rule)
    {
        var scale = new ScaleInfo(kind, Ns, "web", replicas);
        var old = oldReplicas is { } o ? new ScaleInfo(kind, Ns, "web", o) : null;
        var result = Policy.EvaluateScale(scale, old, ViewWith(modes, kind), Defaults);

        if (rule is null) Assert.Empty(result.Findings);
        else
        {
            var finding = Assert.Single(result.Findings);
            Assert.Equal(rule, finding.Rule);
            Assert.Contains($"{kind} ai/web", finding.Message);
        }
    }

    [Fact]
    public void Scale_of_an_unknown_parent_follows_the_not_found_setting()
    {
        var scale = new ScaleInfo(WorkloadKind.Deployment, Ns, "ghost", 3);
        var finding = Assert.Single(Policy.EvaluateScale(scale, null, new FakeClusterView(), Defaults).Findings);
        Assert.Equal(Rules.WorkloadNotFound, finding.Rule);
        Assert.Equal(FindingKind.Warning, finding.Kind);

        var denied = Policy.EvaluateScale(scale, null, new FakeClusterView(), new PolicyOptions { OnClaimNotFound = RuleAction.Deny });
        Assert.True(denied.HasViolation);

        var unavailable = Assert.Single(Policy.EvaluateScale(scale, null, FakeClusterView.Unavailable(), Defaults).Findings);
        Assert.Equal(Rules.ClusterUnavailable, unavailable.Rule);
    }

    [Fact]
    public void Autoscaler_max_replicas_is_checked_against_its_target()
    {
        var view = ViewWith(M.ReadWriteOnce);
        var finding = Assert.Single(Policy.EvaluateAutoscaler(Hpa("web-hpa", "web", 4), null, view, Defaults).Findings);
        Assert.Equal(Rules.ReplicatedSingleAttach, finding.Rule);
        Assert.Contains("can be scaled to 4 replicas by HorizontalPodAutoscaler ai/web-hpa", finding.Message);

        Assert.Empty(Policy.EvaluateAutoscaler(Hpa("web-hpa", "web", 1), null, view, Defaults).Findings);
        Assert.Empty(Policy.EvaluateAutoscaler(Hpa("web-hpa", "web", 4), null, ViewWith(M.ReadWriteMany), Defaults).Findings);
    }

    [Fact]
    public void Autoscaler_update_ratchets_and_unknown_targets_are_left_alone()
    {
        var view = ViewWith(M.ReadWriteOnce);
        var lowered = Assert.Single(Policy.EvaluateAutoscaler(Hpa("h", "web", 3), Hpa("h", "web", 5), view, Defaults).Findings);
        Assert.Equal(Rules.ExistingViolation, lowered.Rule);
        var raised = Assert.Single(Policy.EvaluateAutoscaler(Hpa("h", "web", 6), Hpa("h", "web", 5), view, Defaults).Findings);
        Assert.Equal(Rules.ReplicatedSingleAttach, raised.Rule);

        var custom = Hpa("h", "web", 5) with { TargetApiVersion = "example.com/v1", TargetKind = "Widget" };
        Assert.Empty(Policy.EvaluateAutoscaler(custom, null, view, Defaults).Findings);

        var missing = Assert.Single(Policy.EvaluateAutoscaler(Hpa("h", "ghost", 5), null, view, Defaults).Findings);
        Assert.Equal(Rules.WorkloadNotFound, missing.Rule);
    }

    [Fact]
    public void Claim_created_after_a_replicated_workload_is_denied_naming_the_workload()
    {
        var view = new FakeClusterView().Add(Workload("web", 3, "data")).Add(Workload("unrelated-app", 3, "unrelated"));
        var finding = Assert.Single(Policy.EvaluateClaimCreate(Claim("data", M.ReadWriteOnce), view, Defaults).Findings);
        Assert.Equal(FindingKind.Violation, finding.Kind);
        Assert.Contains("PersistentVolumeClaim ai/data", finding.Message);
        Assert.Contains("Deployment ai/web runs 3 replicas", finding.Message);
        Assert.DoesNotContain("unrelated-app", finding.Message);

        Assert.Empty(Policy.EvaluateClaimCreate(Claim("data", M.ReadWriteMany), view, Defaults).Findings);
        Assert.Empty(Policy.EvaluateClaimCreate(Claim("free", M.ReadWriteOnce), view, Defaults).Findings);
    }

    [Fact]
    public void Claim_created_for_a_single_replica_workload_is_allowed_unless_an_autoscaler_can_scale_it()
    {
        var view = new FakeClusterView().Add(Workload("web", 1, "data"));
        Assert.Empty(Policy.EvaluateClaimCreate(Claim("data", M.ReadWriteOnce), view, Defaults).Findings);

        view.Add(Hpa("web-hpa", "web", 3));
        Assert.True(Policy.EvaluateClaimCreate(Claim("data", M.ReadWriteOnce), view, Defaults).HasViolation);
    }

    [Fact]
    public void Claim_created_while_the_view_is_unavailable_says_so()
    {
        var finding = Assert.Single(Policy.EvaluateClaimCreate(Claim("data", M.ReadWriteOnce), FakeClusterView.Unavailable(), Defaults).Findings);
        Assert.Equal(Rules.ClusterUnavailable, finding.Rule);
    }
}
