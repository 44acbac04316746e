using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using M = RwxGuard.Domain.AccessModes;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Policies;

/// <summary>
/// Rule shared-single-attach (issue 13 item 3): pods counted across every workload in the view that mounts a
/// single-attach claim, on every entry point (workload CREATE/UPDATE, /scale, autoscalers, claim CREATE).
/// </summary>
public sealed class SharedClaimTests
{
    private static readonly ReplicatedWorkloadPolicy Policy = new();
    private static readonly PolicyOptions Defaults = new();

    /// <summary>n8n's hosting manifests: the main Deployment and the worker Deployment on one RWO claim.</summary>
    private static FakeClusterView N8n(int workerReplicas = 1, M modes = M.ReadWriteOnce) => new FakeClusterView()
        .Add(Claim("n8n-claim0", modes))
        .Add(Workload("n8n", 1, "n8n-claim0"))
        .Add(Workload("n8n-worker", workerReplicas, "n8n-claim0"));

    private static IReadOnlyList<Finding> Shared(PolicyResult result) => [.. result.Findings.Where(f => f.Rule == Rules.SharedSingleAttach)];

    [Fact]
    public void Two_one_replica_deployments_on_one_RWO_claim_share_it()
    {
        var view = N8n();

        var main = Assert.Single(Policy.EvaluateWorkload(Workload("n8n", 1, "n8n-claim0"), null, view, Defaults).Findings);
        var worker = Assert.Single(Policy.EvaluateWorkload(Workload("n8n-worker", 1, "n8n-claim0"), null, view, Defaults).Findings);

        Assert.Equal((Rules.SharedSingleAttach, FindingKind.Warning), (main.Rule, main.Kind));
        Assert.Contains("Deployment ai/n8n runs 1 replica and mounts single-attach claim n8n-claim0 (ReadWriteOnce), which " +
                        "Deployment ai/n8n-worker (runs 1 replica) also mounts: 2 pods on one volume", main.Message);
        Assert.Contains("pods that all run on one node (nodeSelector, affinity) share an RWO volume legally", main.Message);
        Assert.Contains("Fix: move the data to a ReadWriteMany claim", main.Message);
        Assert.Equal("rwx-guard: Deployment ai/n8n shares RWO claim n8n-claim0 with Deployment n8n-worker: 2 pods; use RWX or one node",
            main.Warning);
        Assert.Contains("which Deployment ai/n8n (runs 1 replica) also mounts", worker.Message);
    }

    [Fact]
    public void A_replicated_worker_is_denied_for_its_replicas_and_both_are_told_about_the_sharing()
    {
        var view = N8n(workerReplicas: 2);

        var worker = Policy.EvaluateWorkload(Workload("n8n-worker", 2, "n8n-claim0"), null, view, Defaults);
        var main = Assert.Single(Policy.EvaluateWorkload(Workload("n8n", 1, "n8n-claim0"), null, view, Defaults).Findings);

        Assert.Equal([Rules.ReplicatedSingleAttach, Rules.SharedSingleAttach], worker.Findings.Select(f => f.Rule));
        Assert.True(worker.HasViolation);
        Assert.Contains("3 pods on one volume", main.Message);
        Assert.Contains("Deployment ai/n8n-worker (runs 2 replicas)", main.Message);
    }

    public static TheoryData<string, Action<FakeClusterView>, bool> NotSharedCases => new()
    {
        { "the other workload is scaled to 0", v => v.Add(Workload("n8n-worker", 0, "n8n-claim0")), false },
        { "the other workload mounts another claim", v => v.Add(Workload("n8n-worker", 1, "other")), false },
        { "the other workload is in another namespace", v => v.Add(Workload("n8n-worker", 1, "n8n-claim0") with { Namespace = "elsewhere" }), false },
        { "the claim is ReadWriteMany", v => v.Add(Claim("n8n-claim0", M.ReadWriteMany)).Add(Workload("n8n-worker", 1, "n8n-claim0")), false },
        { "a one-replica StatefulSet mounts it too", v => v.Add(Workload(WorkloadKind.StatefulSet, "db", 1, "n8n-claim0")), true },
        { "a standalone ReplicaSet mounts it too", v => v.Add(Workload(WorkloadKind.ReplicaSet, "rs", 1, "n8n-claim0")), true },
    };

    [Theory]
    [MemberData(nameof(NotSharedCases))]
    public void Only_pods_of_other_workloads_on_the_same_single_attach_claim_count(string @case, Action<FakeClusterView> add, bool shared)
    {
        var view = new FakeClusterView().Add(Claim("n8n-claim0", M.ReadWriteOnce)).Add(Workload("n8n", 1, "n8n-claim0"));
        add(view);

        var findings = Shared(Policy.EvaluateWorkload(Workload("n8n", 1, "n8n-claim0"), null, view, Defaults));

        Assert.True(shared == (findings.Count == 1), $"{@case}: {string.Join(" | ", findings.Select(f => f.Message))}");
    }

    /// <summary>A ReplicaSet the view knows its Deployment of counts through that Deployment: its pods are the Deployment's.</summary>
    [Fact]
    public void ReplicaSets_decided_through_their_Deployment_are_counted_once()
    {
        var deployment = Workload("web", 2, "data") with { Uid = "uid-web" };
        var replicaSet = Workload(WorkloadKind.ReplicaSet, "web-7f9c6b5d4", 2, "data") with
        {
            ControllerOwner = new OwnerInfo("apps/v1", "Deployment", "web", "uid-web"),
        };
        var view = new FakeClusterView().Add(Claim("data", M.ReadWriteOnce)).Add(deployment).Add(replicaSet).Add(Workload("api", 1, "data"));

        var api = Assert.Single(Policy.EvaluateWorkload(Workload("api", 1, "data"), null, view, Defaults).Findings);

        Assert.Contains("which Deployment ai/web (runs 2 replicas) also mounts: 3 pods", api.Message);
        Assert.DoesNotContain("ReplicaSet", api.Message);
    }

    [Fact]
    public void An_autoscaler_of_the_other_workload_counts_its_maximum()
    {
        var view = N8n().Add(Hpa("worker-hpa", "n8n-worker", 5));

        var main = Assert.Single(Policy.EvaluateWorkload(Workload("n8n", 1, "n8n-claim0"), null, view, Defaults).Findings);

        Assert.Contains("Deployment ai/n8n-worker (can be scaled to 5 replicas by HorizontalPodAutoscaler ai/worker-hpa) also mounts: 6 pods", main.Message);
    }

    [Fact]
    public void A_DaemonSet_alone_on_an_RWO_claim_shares_it_on_every_node_and_is_never_denied_as_replicated()
    {
        var view = new FakeClusterView().Add(Claim("spool", M.ReadWriteOnce));
        var daemonSet = Workload(WorkloadKind.DaemonSet, "collector", null, "spool");

        var finding = Assert.Single(Policy.EvaluateWorkload(daemonSet, null, view, Defaults).Findings);

        Assert.Equal((Rules.SharedSingleAttach, FindingKind.Warning), (finding.Rule, finding.Kind));
        Assert.Contains("DaemonSet ai/collector runs one pod per node and mounts single-attach claim spool (ReadWriteOnce)", finding.Message);
        Assert.Contains("A DaemonSet whose pods all run on one node (nodeSelector, affinity) shares an RWO volume legally", finding.Message);
        Assert.Equal("rwx-guard: DaemonSet ai/collector runs 1 pod per node on RWO claim spool; use RWX or one node only", finding.Warning);

        var denied = Assert.Single(Policy.EvaluateWorkload(daemonSet, null, view, new PolicyOptions { SharedClaim = RuleAction.Deny }).Findings);
        Assert.Equal((Rules.SharedSingleAttach, FindingKind.Violation), (denied.Rule, denied.Kind));
    }

    [Fact]
    public void A_DaemonSet_next_to_a_Deployment_counts_at_least_two_pods()
    {
        var view = new FakeClusterView().Add(Claim("spool", M.ReadWriteOnce)).Add(Workload(WorkloadKind.DaemonSet, "collector", null, "spool"));

        var finding = Assert.Single(Policy.EvaluateWorkload(Workload("reader", 1, "spool"), null, view, Defaults).Findings);

        Assert.Contains("which DaemonSet ai/collector (runs one pod per node) also mounts: at least 3 pods", finding.Message);
        Assert.Contains("with DaemonSet collector: at least 3 pods", finding.Warning);
    }

    [Fact]
    public void Settings_turn_it_into_a_violation_or_off()
    {
        var view = N8n();
        var main = Workload("n8n", 1, "n8n-claim0");

        Assert.True(Policy.EvaluateWorkload(main, null, view, new PolicyOptions { SharedClaim = RuleAction.Deny }).HasViolation);
        Assert.Empty(Policy.EvaluateWorkload(main, null, view, new PolicyOptions { SharedClaim = RuleAction.Ignore }).Findings);
    }

    [Fact]
    public void With_Deny_an_update_that_adds_neither_pods_nor_the_claim_is_ratcheted_to_a_warning()
    {
        var view = N8n();
        var deny = new PolicyOptions { SharedClaim = RuleAction.Deny };
        var main = Workload("n8n", 1, "n8n-claim0");

        var imageBump = Assert.Single(Policy.EvaluateWorkload(main, main, view, deny).Findings);
        Assert.Equal(FindingKind.Warning, imageBump.Kind);
        Assert.Contains("already the case before this update", imageBump.Message);

        // Adding the claim, or pods, makes it worse: denied.
        Assert.True(Policy.EvaluateWorkload(main, Workload("n8n", 1, "other"), view, deny).HasViolation);
        Assert.True(Policy.EvaluateWorkload(main, Workload("n8n", 0, "n8n-claim0"), view, deny).HasViolation);
    }

    [Fact]
    public void Scale_to_one_next_to_another_workload_is_checked_and_scale_to_zero_is_not()
    {
        var view = N8n();

        var one = Assert.Single(Policy.EvaluateScale(new ScaleInfo(WorkloadKind.Deployment, Ns, "n8n-worker", 1),
            new ScaleInfo(WorkloadKind.Deployment, Ns, "n8n-worker", 0), view, Defaults).Findings);
        Assert.Equal(Rules.SharedSingleAttach, one.Rule);
        Assert.Contains("Deployment ai/n8n-worker is being scaled to 1 replica and mounts single-attach claim n8n-claim0", one.Message);

        Assert.Empty(Policy.EvaluateScale(new ScaleInfo(WorkloadKind.Deployment, Ns, "n8n-worker", 0), null, view, Defaults).Findings);
        // An unknown parent at one replica is not worth a word (at two it is: workload-not-found).
        Assert.Empty(Policy.EvaluateScale(new ScaleInfo(WorkloadKind.Deployment, Ns, "unknown", 1), null, view, Defaults).Findings);

        var two = Policy.EvaluateScale(new ScaleInfo(WorkloadKind.Deployment, Ns, "n8n-worker", 2), null, view, Defaults);
        Assert.Equal([Rules.ReplicatedSingleAttach, Rules.SharedSingleAttach], two.Findings.Select(f => f.Rule));
        Assert.Contains("3 pods on one volume", two.Findings[1].Message);
    }

    [Fact]
    public void An_autoscaler_of_one_workload_sees_the_others()
    {
        var view = N8n();

        var result = Policy.EvaluateAutoscaler(Hpa("n8n", "n8n", 3), null, view, Defaults);

        Assert.Equal([Rules.ReplicatedSingleAttach, Rules.SharedSingleAttach], result.Findings.Select(f => f.Rule));
        Assert.Contains("can be scaled to 3 replicas by HorizontalPodAutoscaler ai/n8n and mounts single-attach claim n8n-claim0", result.Findings[1].Message);
        Assert.Contains("4 pods", result.Findings[1].Message);
    }

    [Fact]
    public void A_claim_created_under_two_workloads_is_shared_and_under_one_it_is_not()
    {
        var claim = Claim("n8n-claim0", M.ReadWriteOnce);

        var finding = Assert.Single(Policy.EvaluateClaimCreate(claim, N8n(), Defaults).Findings);
        Assert.Equal((Rules.SharedSingleAttach, FindingKind.Warning), (finding.Rule, finding.Kind));
        Assert.Contains("Deployment ai/n8n (runs 1 replica) and Deployment ai/n8n-worker (runs 1 replica) already mount it: 2 pods", finding.Message);
        Assert.Equal("rwx-guard: claim n8n-claim0 (RWO) is mounted by 2 workloads, 2 pods; create it RWX or give each its own", finding.Warning);

        var alone = new FakeClusterView().Add(Workload("n8n", 1, "n8n-claim0"));
        Assert.Empty(Policy.EvaluateClaimCreate(claim, alone, Defaults).Findings);
        var daemonSet = new FakeClusterView().Add(Workload(WorkloadKind.DaemonSet, "collector", null, "n8n-claim0"));
        Assert.Contains("at least 2 pods", Assert.Single(Policy.EvaluateClaimCreate(claim, daemonSet, Defaults).Findings).Message);

        // A replicated mounter is still the violation, listed first; the sharing is said too.
        var replicated = Policy.EvaluateClaimCreate(claim, N8n(workerReplicas: 2), Defaults);
        Assert.Equal([Rules.ReplicatedSingleAttach, Rules.SharedSingleAttach], replicated.Findings.Select(f => f.Rule));
        Assert.Empty(Policy.EvaluateClaimCreate(claim with { SpecModes = M.ReadWriteMany }, N8n(), Defaults).Findings);
    }

    [Fact]
    public void Warnings_stay_under_the_limit_with_long_names()
    {
        var view = new FakeClusterView()
            .Add(Claim("anything-llm-team-a-storage-claim", M.ReadWriteOnce))
            .Add(Workload("anything-llm-team-a-collector", 1, "anything-llm-team-a-storage-claim"))
            .Add(Workload("anything-llm-team-a-worker", 1, "anything-llm-team-a-storage-claim"));

        var finding = Assert.Single(Policy.EvaluateWorkload(Workload("anything-llm-team-a", 1, "anything-llm-team-a-storage-claim"), null, view, Defaults).Findings);

        Assert.True(finding.Warning.Length <= Text.MaxWarningLength, finding.Warning);
        Assert.Equal("rwx-guard: RWO claim anything-llm-team-a-storage-claim is shared with 2 other workloads: 3 pods; use RWX or one node", finding.Warning);
        Assert.Contains("Deployment ai/anything-llm-team-a-collector (runs 1 replica) and Deployment ai/anything-llm-team-a-worker", finding.Message);
    }
}
