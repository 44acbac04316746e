using RwxGuard.Mapping;
using k8s.Models;
using RwxGuard.Cluster;
using RwxGuard.Migrate;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Migrate;

/// <summary>The planner alone: cluster state in, refusals or steps out. One row per preflight rule.</summary>
public sealed class MigrationPlannerTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static MigrateRequest Request(string? storageClass = "efs-sc") => new()
    {
        Workload = new WorkloadRef(WorkloadKind.Deployment, "anythingllm"),
        Namespace = "ai",
        StorageClass = storageClass,
        Owner = "alice@laptop",
        Now = Now,
    };

    private static V1Deployment Deployment(params string[] claims) => new()
    {
        Metadata = new V1ObjectMeta { Name = "anythingllm", NamespaceProperty = "ai", Uid = "d-1" },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm" } },
                Spec = new V1PodSpec
                {
                    SecurityContext = new V1PodSecurityContext { FsGroup = 1000 },
                    Containers = [new V1Container { Name = "anythingllm", Image = "mintplexlabs/anythingllm:1.8.4" }],
                    Volumes = [.. claims.Select(c => new V1Volume { Name = c, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = c } })],
                },
            },
        },
    };

    private static SnapshotWorkload Workload(V1Deployment d, IDictionary<string, string>? annotations = null, long? runAsUser = null) => new()
    {
        Info = ModelMapping.ToWorkload(d),
        Annotations = annotations is null ? new Dictionary<string, string>() : new Dictionary<string, string>(annotations),
        RunAsUser = runAsUser,
        FsGroup = 1000,
    };

    private static V1PersistentVolumeClaim Claim(string mode = "ReadWriteOnce", string phase = "Bound", string? volumeMode = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "data", NamespaceProperty = "ai", Uid = "c-1",
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "anythingllm", ["app.kubernetes.io/managed-by"] = "Helm", ["helm.sh/chart"] = "anythingllm-1.16.0" },
            Annotations = new Dictionary<string, string> { ["meta.helm.sh/release-name"] = "anythingllm", ["pv.kubernetes.io/bind-completed"] = "yes" },
        },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = [mode], StorageClassName = "gp3", VolumeName = phase == "Bound" ? "pvc-1" : null, VolumeMode = volumeMode,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("8Gi") } },
        },
        Status = new V1PersistentVolumeClaimStatus
        {
            Phase = phase, AccessModes = phase == "Bound" ? [mode] : null,
            Capacity = phase == "Bound" ? new Dictionary<string, ResourceQuantity> { ["storage"] = new("8Gi") } : null,
        },
    };

    private static ClusterSnapshot Healthy()
    {
        var deployment = Workload(Deployment("data"));
        return new ClusterSnapshot
        {
            Namespace = "ai",
            Workload = deployment,
            Workloads = [deployment],
            Claim = Claim(),
            Volume = new V1PersistentVolume
            {
                Metadata = new V1ObjectMeta { Name = "pvc-1" },
                Spec = new V1PersistentVolumeSpec { PersistentVolumeReclaimPolicy = "Delete", Csi = new V1CSIPersistentVolumeSource { Driver = "ebs.csi.aws.com", VolumeHandle = "vol-1" } },
            },
            StorageClasses =
            [
                new StorageClassInfo { Name = "gp3", Provisioner = "ebs.csi.aws.com", Annotations = new Dictionary<string, string> { ["storageclass.kubernetes.io/is-default-class"] = "true" } },
                new StorageClassInfo { Name = "efs-sc", Provisioner = "efs.csi.aws.com" },
            ],
            NamespaceLabels = new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "baseline" },
            Access = [.. MigrationPlanner.RequiredAccess(WorkloadKind.Deployment, snapshot: false)],
            SnapshotDrivers = ["efs.csi.aws.com"],
        };
    }

    private static MigrationPlan Plan(ClusterSnapshot cluster, MigrateRequest? request = null) =>
        MigrationPlanner.Plan(cluster, request ?? Request(), new MutationOptions(), new PolicyOptions());

    /// <summary>Each preflight refusal: the change to a healthy cluster (or request) that causes it, and the words that explain it.</summary>
    public static readonly TheoryData<string, string> Refusals = new()
    {
        { "workload-missing", "deployment/anythingllm not found in namespace ai" },
        { "no-claim", "mounts no PersistentVolumeClaim" },
        { "several-claims", "mounts several claims (data, other): name one with --claim" },
        { "claim-not-mounted", "does not mount claim elsewhere" },
        { "claim-missing", "persistentvolumeclaim ai/data not found" },
        { "claim-pending", "claim data is Pending: only a Bound claim has data to move" },
        { "claim-rwx", "claim data is already ReadWriteMany: nothing to migrate" },
        { "block-volume", "raw block volume" },
        { "volume-missing", "persistentvolume pvc-1 (bound to claim data) not found" },
        { "class-missing", "storageclass nfs-fast not found" },
        { "class-not-rwx", "storageclass gp3 (provisioner ebs.csi.aws.com) is not known to support ReadWriteMany" },
        { "no-rwx-class", "no RWX-capable storageclass found" },
        { "size-smaller", "--size 4Gi is smaller than the claim's capacity 8Gi" },
        { "daemonset-mounts", "daemonset/backup mounts claim data and cannot be scaled to 0" },
        { "restricted-no-user", "enforces Pod Security \"restricted\"" },
        { "rbac-denied", "not allowed to delete persistentvolumeclaims (SelfSubjectAccessReview)" },
        { "locked", "is locked by another migration (migrate.rwx-guard.io/lock: bob@desk since 2025-06-01T11:00:00Z)" },
        { "snapshot-no-api", "--snapshot: the VolumeSnapshot API (snapshot.storage.k8s.io) is not installed" },
        { "snapshot-no-class", "--snapshot: no VolumeSnapshotClass for driver ebs.csi.aws.com" },
        { "foreign-temporary-claim", "a claim named data-rwx-guard-migration exists and was not created by rwx-guard" },
        { "dry-run-refused", "server dry run refused: job/data-rwx-guard-copy-1: HTTP 403 Forbidden: violates PodSecurity" },
        { "resume-other-class", "resume it without --storage-class nfs-fast, or undo it with --rollback first" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Each_preflight_rule_refuses_with_its_reason(string rule, string reason)
    {
        var cluster = Healthy();
        var request = Request();
        switch (rule)
        {
            case "workload-missing": cluster = cluster with { Workload = null }; break;
            case "no-claim": cluster = cluster with { Workload = Workload(Deployment()) }; break;
            case "several-claims": cluster = cluster with { Workload = Workload(Deployment("data", "other")) }; break;
            case "claim-not-mounted": request = request with { Claim = "elsewhere" }; break;
            case "claim-missing": cluster = cluster with { Claim = null }; break;
            case "claim-pending": cluster = cluster with { Claim = Claim(phase: "Pending") }; break;
            case "claim-rwx": cluster = cluster with { Claim = Claim("ReadWriteMany") }; break;
            case "block-volume": cluster = cluster with { Claim = Claim(volumeMode: "Block") }; break;
            case "volume-missing": cluster = cluster with { Volume = null }; break;
            case "class-missing": request = request with { StorageClass = "nfs-fast" }; break;
            case "class-not-rwx": request = request with { StorageClass = "gp3" }; break;
            case "no-rwx-class": cluster = cluster with { StorageClasses = [cluster.StorageClasses[0]] }; request = request with { StorageClass = null }; break;
            case "size-smaller": request = request with { Size = "4Gi" }; break;
            case "daemonset-mounts": cluster = cluster with { UnscalableMounters = ["daemonset/backup"] }; break;
            case "restricted-no-user": cluster = cluster with { NamespaceLabels = new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "restricted" } }; break;
            case "rbac-denied": cluster = cluster with { Access = [.. cluster.Access.Select(a => a.Verb == "delete" && a.Resource == "persistentvolumeclaims" ? a with { Allowed = false } : a)] }; break;
            case "locked": cluster = cluster with { Workload = Workload(Deployment("data"), new Dictionary<string, string> { [MigrationAnnotations.Lock] = "bob@desk since 2025-06-01T11:00:00Z" }) }; break;
            case "snapshot-no-api": cluster = cluster with { SnapshotDrivers = null }; request = request with { Snapshot = true }; break;
            case "snapshot-no-class": request = request with { Snapshot = true }; break;
            case "foreign-temporary-claim": cluster = cluster with { ForeignTemporaryClaim = true }; break;
            case "dry-run-refused": cluster = cluster with { DryRunErrors = ["job/data-rwx-guard-copy-1: HTTP 403 Forbidden: violates PodSecurity \"restricted:latest\""] }; break;
            case "resume-other-class":
                var state = Plan(Healthy()).State!;
                cluster = cluster with { Workload = Workload(Deployment("data"), new Dictionary<string, string> { [MigrationAnnotations.State] = state.ToJson() }) };
                request = request with { StorageClass = "nfs-fast" };
                break;
            default: throw new ArgumentException(rule);
        }

        var plan = Plan(cluster, request);

        Assert.True(plan.Refused, $"{rule}: not refused");
        Assert.Contains(plan.Refusals, r => r.Contains(reason, StringComparison.Ordinal));
        if (!plan.Resuming) Assert.Empty(plan.Steps); // a refused fresh plan has no steps to run
        Assert.Null(plan.State);
    }

    [Fact]
    public void A_healthy_cluster_gets_every_step_the_state_to_record_and_the_helm_values_to_change()
    {
        var plan = Plan(Healthy());

        Assert.False(plan.Refused, string.Join("\n", plan.Refusals));
        Assert.Equal([StepNames.Lock, StepNames.RetainOriginal, StepNames.CreateTemporary, StepNames.ScaleDown, StepNames.Copy, StepNames.RetainNew,
            StepNames.ReleaseTemporary, StepNames.FreeNewVolume, StepNames.DeleteOriginal, StepNames.CreateMigrated, StepNames.ScaleUp, StepNames.Verify, StepNames.Finish],
            plan.Steps.Select(s => s.Name));
        var state = plan.State!;
        Assert.Equal(("data", "pvc-1", "Delete", "efs-sc", "8Gi", "data-rwx-guard-migration"), (state.Claim, state.OriginalVolume, state.OriginalReclaimPolicy, state.TargetClass, state.Size, state.TemporaryClaim));
        Assert.Equal(["ReadWriteOnce"], state.OriginalClaim.AccessModes);
        Assert.Equal("gp3", state.OriginalClaim.StorageClassName);
        Assert.DoesNotContain("pv.kubernetes.io/bind-completed", state.OriginalClaim.Annotations.Keys); // binding bookkeeping is not copied
        Assert.Equal("anythingllm", state.OriginalClaim.Annotations["meta.helm.sh/release-name"]);
        Assert.True(state.Security.AsRoot); // baseline: root keeps every owner
        Assert.Contains(plan.Notes, n => n.Contains("persistentVolume.accessModes[0]=ReadWriteMany", StringComparison.Ordinal) && n.Contains("persistentVolume.storageClass=efs-sc", StringComparison.Ordinal));
        Assert.Contains(plan.Checks, c => c.StartsWith("RBAC: all 27 API permissions allowed", StringComparison.Ordinal));
        Assert.Contains("0 replicas", plan.Downtime);
    }

    [Fact]
    public void Without_a_class_the_mutators_choice_is_used_and_the_policies_warn_about_the_end_state()
    {
        var plan = Plan(Healthy(), Request(storageClass: null) with { Replicas = 2 });

        Assert.Equal("efs-sc", plan.State!.TargetClass);
        Assert.Contains(plan.Checks, c => c.Contains("discovered: provisioner efs.csi.aws.com", StringComparison.Ordinal));
        // The AnythingLLM SQLite rule, from the policy itself, about the workload as it will be.
        Assert.Contains(plan.Warnings, w => w.StartsWith("after the migration (2 replicas):", StringComparison.Ordinal) && w.Contains("SQLite", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_restricted_the_copy_runs_as_the_workloads_user_and_Argo_CD_and_Flux_are_named()
    {
        var cluster = Healthy();
        var deployment = Workload(Deployment("data"), new Dictionary<string, string> { ["argocd.argoproj.io/tracking-id"] = "ai-apps:apps/Deployment:ai/anythingllm" }, runAsUser: 1000);
        var claim = Claim();
        claim.Metadata.Labels["kustomize.toolkit.fluxcd.io/name"] = "apps";
        cluster = cluster with
        {
            Workload = deployment, Workloads = [deployment], Claim = claim,
            NamespaceLabels = new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "restricted" },
        };

        var plan = Plan(cluster);

        Assert.False(plan.Refused, string.Join("\n", plan.Refusals));
        Assert.Equal(new CopySecurity { AsRoot = false, RunAsUser = 1000, FsGroup = 1000 }, plan.State!.Security);
        var job = MigrationObjects.CopyJob(plan.State);
        Assert.True(job.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.Equal(["ALL"], job.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Drop);
        Assert.Contains(plan.Notes, n => n.StartsWith("Argo CD application ai-apps", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("flux suspend kustomization apps -n flux-system", StringComparison.Ordinal));
    }

    [Fact]
    public void Other_workloads_mounting_the_claim_are_stopped_too_and_deployment_replicasets_are_not_counted()
    {
        var cluster = Healthy();
        var worker = Workload(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "collector", NamespaceProperty = "ai" },
            Spec = new V1DeploymentSpec { Replicas = 3, Template = Deployment("data").Spec.Template },
        });
        var replicaSet = ModelMapping.ToWorkload(new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta { Name = "anythingllm-abc", NamespaceProperty = "ai", OwnerReferences = [new V1OwnerReference { Kind = "Deployment", Name = "anythingllm", Controller = true, ApiVersion = "apps/v1", Uid = "d-1" }] },
            Spec = new V1ReplicaSetSpec { Replicas = 1, Template = Deployment("data").Spec.Template },
        });
        cluster = cluster with { Workloads = [cluster.Workload!, worker, new SnapshotWorkload { Info = replicaSet }] };

        var state = Plan(cluster).State!;

        Assert.Equal([new RecordedWorkload(WorkloadKind.Deployment, "anythingllm", 1), new RecordedWorkload(WorkloadKind.Deployment, "collector", 3)], state.Workloads);
    }
}
