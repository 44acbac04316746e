using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Reporting;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using M = RwxGuard.Domain.AccessModes;
using RwxGuard.Domain;
using RwxGuard.Evaluation;

namespace RwxGuard.Tests.Audit;

/// <summary>The shared, pure evaluation the background reporter uses: <see cref="PolicyAudit"/> over a cluster view.</summary>
public sealed class PolicyAuditTests
{
    private static readonly Dictionary<string, string> AnythingLlmLabels = new() { ["app.kubernetes.io/name"] = "anythingllm" };

    [Fact]
    public void Existing_objects_one_result_per_finding_and_a_pass_for_the_rest()
    {
        var view = new FakeClusterView()
            .Add(Claim("storage", M.ReadWriteOnce, M.ReadWriteOnce, bound: true, storageClass: "gp3", labels: AnythingLlmLabels))
            .Add(Claim("shared", M.ReadWriteMany, M.ReadWriteMany, bound: true, storageClass: "efs-sc"))
            .Add(Workload("anythingllm", 2, "storage") with { Uid = "uid-a" })
            .Add(Workload("reader", 3, "shared"))
            .Add(Workload("no-volumes", 5))
            .Add(Workload(WorkloadKind.ReplicaSet, "anythingllm-5d8f", 2, "storage") with { ControllerOwner = new OwnerInfo("apps/v1", "Deployment", "anythingllm", "uid-a") });

        var results = PolicyAudit.Evaluate(view, new PolicyOptions(), new MutationOptions());

        Assert.Equal(
            [("Deployment", "anythingllm", "replicated-single-attach", AuditOutcome.Fail),
             ("Deployment", "reader", "replicated-single-attach", AuditOutcome.Pass),
             ("PersistentVolumeClaim", "storage", "claim-rwx", AuditOutcome.Warn)],
            results.Select(r => (r.Resource.Kind, r.Resource.Name, r.Rule, r.Result)));
        var fail = results[0];
        Assert.Equal(new ResourceRef("apps/v1", "Deployment", Ns, "anythingllm", "uid-a"), fail.Resource);
        Assert.Equal((AuditSeverity.High, PolicyAudit.SingleAttachCategory), (fail.Severity, fail.Category));
        Assert.Equal("2", fail.Properties["replicas"]);
        Assert.Equal("claim storage (RWO)", fail.Properties["claims"]);
        Assert.Equal("enforce", fail.Properties["mode"]);
        Assert.DoesNotContain(Text.WarningPrefix, fail.Summary);
        Assert.Contains("Fix:", fail.Message);
        // The existing AnythingLLM claim cannot be changed any more: it is reported, with the way out.
        Assert.Contains("copy the data", results[2].Message);
    }

    [Fact]
    public void An_autoscaler_counts_into_the_workload_replicas()
    {
        var view = new FakeClusterView()
            .Add(Claim("data", M.ReadWriteOnce))
            .Add(Workload("web", 1, "data"))
            .Add(Hpa("web", "web", 4));

        var result = Assert.Single(PolicyAudit.Evaluate(view, new PolicyOptions(), new MutationOptions()));

        Assert.Equal((AuditOutcome.Fail, "4"), (result.Result, result.Properties["replicas"]));
        Assert.Contains("HorizontalPodAutoscaler ai/web", result.Message);
    }

    [Fact]
    public void A_view_that_is_not_synced_yields_nothing_to_write()
    {
        var view = FakeClusterView.Unavailable().Add(Workload("web", 2, "data")).Add(Claim("data", M.ReadWriteOnce));

        Assert.Empty(PolicyAudit.Evaluate(view, new PolicyOptions(), new MutationOptions()));
    }

    [Fact]
    public void New_claims_are_seen_mutated_by_the_workloads_and_by_the_claim_check()
    {
        var claim = Claim("storage", M.ReadWriteOnce, labels: AnythingLlmLabels);
        var app = Workload("anythingllm", 2, "storage") with { Template = AnythingLlmTemplate("storage") };
        var other = Workload("other-team", 2, "storage"); // in the cluster, not audited itself
        var view = new FakeClusterView().Add(claim).Add(app).Add(other)
            .Add(new StorageClassInfo { Name = "efs-sc", Provisioner = "efs.csi.aws.com" });
        var subjects = new AuditSubjects { Workloads = [app], NewClaims = [claim] };

        var results = PolicyAudit.Evaluate(view, subjects, new PolicyOptions(), new MutationOptions());

        Assert.Equal(
            [("Deployment", "anythingllm", "anythingllm-lancedb", AuditOutcome.Warn),
             ("Deployment", "anythingllm", "anythingllm-sqlite", AuditOutcome.Warn),
             ("PersistentVolumeClaim", "storage", "claim-rwx", AuditOutcome.Pass)],
            results.Select(r => (r.Resource.Kind, r.Resource.Name, r.Rule, r.Result)));

        // Without an RWX class the claim stays RWO: the Deployment fails, and the PVC CREATE check reports only the
        // workload that is not a subject (the subject's own violation is reported once, on the subject).
        var noClass = new FakeClusterView().Add(claim).Add(app).Add(other);
        var failing = PolicyAudit.Evaluate(noClass, subjects, new PolicyOptions(), new MutationOptions());
        Assert.Equal(
            [("Deployment", "anythingllm", "replicated-single-attach", AuditOutcome.Fail),
             // other-team's pods are on the same claim too
             ("Deployment", "anythingllm", "shared-single-attach", AuditOutcome.Warn),
             ("PersistentVolumeClaim", "storage", "no-rwx-class", AuditOutcome.Warn),
             ("PersistentVolumeClaim", "storage", "replicated-single-attach", AuditOutcome.Fail)],
            failing.Select(r => (r.Resource.Kind, r.Resource.Name, r.Rule, r.Result)));
        Assert.Contains("Deployment ai/other-team", failing[3].Message);
        Assert.DoesNotContain("Deployment ai/anythingllm", failing[3].Message);
    }

    [Fact]
    public void The_default_class_is_written_into_claims_that_name_none_as_the_api_server_does()
    {
        var view = new FakeClusterView()
            .Add(new StorageClassInfo { Name = "gp3", Provisioner = "ebs.csi.aws.com", Annotations = new Dictionary<string, string> { ["storageclass.kubernetes.io/is-default-class"] = "true" } });

        Assert.Equal("gp3", PolicyAudit.WithDefaultStorageClass(Claim("a", M.ReadWriteOnce), view).StorageClassName);
        Assert.Equal("", PolicyAudit.WithDefaultStorageClass(Claim("a", M.ReadWriteOnce, storageClass: ""), view).StorageClassName);
        Assert.Equal("x", PolicyAudit.WithDefaultStorageClass(Claim("a", M.ReadWriteOnce, storageClass: "x"), view).StorageClassName);
        Assert.Null(PolicyAudit.WithDefaultStorageClass(Claim("a", M.ReadWriteOnce), FakeClusterView.OfflineView()).StorageClassName);
    }

    /// <summary>The background reporter's evaluation (existing objects) finds shared claims: n8n's two Deployments on one
    /// RWO claim, and a DaemonSet alone on another, each reported on the workload.</summary>
    [Fact]
    public void The_background_audit_reports_shared_claims_and_DaemonSets()
    {
        var view = new FakeClusterView()
            .Add(Claim("n8n-claim0", M.ReadWriteOnce, M.ReadWriteOnce, bound: true))
            .Add(Claim("spool", M.ReadWriteOnce, M.ReadWriteOnce, bound: true))
            .Add(Workload("n8n", 1, "n8n-claim0"))
            .Add(Workload("n8n-worker", 1, "n8n-claim0"))
            .Add(Workload(WorkloadKind.DaemonSet, "collector", null, "spool"));

        var results = PolicyAudit.Evaluate(view, new PolicyOptions(), new MutationOptions());

        Assert.Equal(
            [("DaemonSet", "collector", "shared-single-attach", AuditOutcome.Warn),
             ("Deployment", "n8n", "shared-single-attach", AuditOutcome.Warn),
             ("Deployment", "n8n-worker", "shared-single-attach", AuditOutcome.Warn)],
            results.Select(r => (r.Resource.Kind, r.Resource.Name, r.Rule, r.Result)));
        Assert.Equal(("1/node", AuditSeverity.Medium), (results[0].Properties["replicas"], results[0].Severity));
        Assert.Equal(new ResourceRef("apps/v1", "DaemonSet", Ns, "collector"), results[0].Resource);
        Assert.Contains("2 pods on one volume", results[1].Message);

        var denied = PolicyAudit.Evaluate(view, new PolicyOptions { SharedClaim = RuleAction.Deny }, new MutationOptions());
        Assert.All(denied, r => Assert.Equal(AuditOutcome.Fail, r.Result));
        Assert.True(PolicyAudit.WouldDeny(denied[0]));
    }
}
