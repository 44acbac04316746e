using RwxGuard.Mapping;
using k8s.Models;
using RwxGuard.Audit;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Reporting;
using RwxGuard.Domain;
using RwxGuard.Evaluation;

namespace RwxGuard.Migrate;

/// <summary>
/// Decides whether a claim can be migrated and how: cluster state in, refusals or steps out. Pure: no client, no clock
/// (the time is in the request). Every preflight rule of docs/migrate.md is here, each a refusal with its reason.
/// The class rules are the mutator's (<see cref="RwxStorageClasses"/>); the warnings about the end state are the
/// policies' own (<see cref="PolicyAudit"/> over the claim and workloads as they will be).
/// </summary>
public static class MigrationPlanner
{
    /// <summary>The copy runs as root (to keep every file's owner) unless the namespace enforces this level.</summary>
    public const string RestrictedLevel = "restricted";

    /// <summary>Every API permission the migration uses, to be checked with SelfSubjectAccessReviews before anything changes.</summary>
    public static IReadOnlyList<AccessCheck> RequiredAccess(WorkloadKind kind, bool snapshot)
    {
        var resource = kind == WorkloadKind.StatefulSet ? "statefulsets" : "deployments";
        var checks = new List<AccessCheck>
        {
            new("get", "", "persistentvolumeclaims", null, true),
            new("create", "", "persistentvolumeclaims", null, true),
            new("delete", "", "persistentvolumeclaims", null, true),
            new("patch", "", "persistentvolumeclaims", null, true),
            new("list", "", "persistentvolumeclaims", null, true),
            new("get", "", "persistentvolumes", null, false),
            new("patch", "", "persistentvolumes", null, false),
            new("get", "storage.k8s.io", "storageclasses", null, false),
            new("list", "storage.k8s.io", "storageclasses", null, false),
            new("get", "", "namespaces", null, false),
            new("list", "admissionregistration.k8s.io", "validatingwebhookconfigurations", null, false),
            new("list", "", "pods", null, true),
            new("get", "", "pods", "log", true),
            new("list", "", "events", null, true),
            new("list", "apps", "deployments", null, true),
            new("list", "apps", "statefulsets", null, true),
            new("list", "apps", "replicasets", null, true),
            new("list", "apps", "daemonsets", null, true),
            new("list", "autoscaling", "horizontalpodautoscalers", null, true),
            new("get", "apps", resource, null, true),
            new("patch", "apps", resource, null, true),
            new("get", "apps", resource, "scale", true),
            new("patch", "apps", resource, "scale", true),
            new("create", "batch", "jobs", null, true),
            new("get", "batch", "jobs", null, true),
            new("list", "batch", "jobs", null, true),
            new("delete", "batch", "jobs", null, true),
        };
        if (snapshot)
        {
            checks.Add(new("create", "snapshot.storage.k8s.io", "volumesnapshots", null, true));
            checks.Add(new("get", "snapshot.storage.k8s.io", "volumesnapshots", null, true));
            checks.Add(new("list", "snapshot.storage.k8s.io", "volumesnapshotclasses", null, false));
        }
        return checks;
    }

    public static MigrationPlan Plan(ClusterSnapshot cluster, MigrateRequest request, MutationOptions mutation, PolicyOptions policy)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(request);
        var refusals = new List<string>();
        var warnings = new List<string>();
        var notes = new List<string>();
        var checks = new List<string>();
        var ns = request.Namespace;

        // The workload.
        if (cluster.Workload is not { } workload)
            return Refused($"{request.Workload} not found in namespace {ns}");
        var primaryAnnotations = workload.Annotations;
        var existing = MigrationState.FromAnnotations(new Dictionary<string, string>(primaryAnnotations))
                       ?? MigrationState.FromAnnotations(cluster.Claim?.Metadata?.Annotations);

        // The lock: one migration of a claim at a time.
        if (primaryAnnotations.TryGetValue(MigrationAnnotations.Lock, out var lockText) && !lockText.StartsWith(request.Owner + " since ", StringComparison.Ordinal)
            && !request.TakeOverLock)
        {
            refusals.Add($"{request.Workload} is locked by another migration ({MigrationAnnotations.Lock}: {lockText}); if that run is " +
                         "dead, resume it with --take-over-lock (or undo it with --rollback --take-over-lock)");
        }

        foreach (var denied in cluster.Access.Where(a => !a.Allowed))
            refusals.Add($"not allowed to {denied} (SelfSubjectAccessReview); see docs/migrate.md#rbac for the ClusterRole");
        if (cluster.Access.Count > 0 && cluster.Access.All(a => a.Allowed))
            checks.Add($"RBAC: all {cluster.Access.Count} API permissions allowed ({string.Join(", ", cluster.Access.Select(a => a.ToString()))})");

        if (existing is { Phase: MigrationState.Phases.Migrating })
            return Resume(cluster, request, existing, refusals, checks);

        // The claim.
        var claimNames = workload.Info.Template.ClaimNames;
        string claimName;
        if (request.Claim is { } asked)
        {
            if (!claimNames.Contains(asked)) return Refused($"{request.Workload} does not mount claim {asked} (it mounts: {Join(claimNames)})", refusals);
            claimName = asked;
        }
        else if (claimNames.Count == 1) claimName = claimNames[0];
        else if (claimNames.Count == 0) return Refused($"{request.Workload} mounts no PersistentVolumeClaim (persistentVolumeClaim.claimName volumes)", refusals);
        else return Refused($"{request.Workload} mounts several claims ({Join(claimNames)}): name one with --claim", refusals);

        if (cluster.Claim is not { } claim) return Refused($"persistentvolumeclaim {ns}/{claimName} not found", refusals);
        var claimInfo = ModelMapping.ToClaim(claim);
        if (existing is { Phase: MigrationState.Phases.Completed } && !claimInfo.IsSingleAttach)
            return new MigrationPlan { AlreadyCompleted = true, State = existing, Checks = [$"claim {claimName} is {AccessModeSet.Format(claimInfo.EffectiveModes)} on {claimInfo.StorageClassName}: migrated on {existing.Started:yyyy-MM-dd}"] };
        if (!claimInfo.Bound || string.IsNullOrEmpty(claim.Spec?.VolumeName))
            refusals.Add($"claim {claimName} is {claim.Status?.Phase ?? "not bound"}: only a Bound claim has data to move");
        if (!claimInfo.IsSingleAttach)
            refusals.Add($"claim {claimName} is already {AccessModeSet.Format(claimInfo.EffectiveModes)}: nothing to migrate");
        if (claim.Spec?.VolumeMode == "Block")
            refusals.Add($"claim {claimName} is a raw block volume (volumeMode: Block): the copy works on filesystems only");
        if (claim.Spec?.VolumeName is { Length: > 0 } && cluster.Volume is null)
            refusals.Add($"persistentvolume {claim.Spec.VolumeName} (bound to claim {claimName}) not found");
        else if (claimInfo.Bound)
            checks.Add($"claim {claimName}: Bound to {claim.Spec!.VolumeName}, {AccessModeSet.Short(claimInfo.EffectiveModes)}, class {claimInfo.StorageClassName ?? "(none)"}, {Capacity(claim)}");

        // Who else mounts it: all of them stop while the data is copied.
        // A Deployment's ReplicaSets stop with it (the same rule as admission's: an apps/v1 owner known by uid).
        var snapshot = new ManifestClusterView([], cluster.Workloads.Select(w => w.Info), [], []);
        var mounting = cluster.Workloads.Where(w => w.Info.Template.ClaimNames.Contains(claimName)
            && !ReplicatedWorkloadPolicy.IsDecidedThroughItsDeployment(w.Info, snapshot)).ToList();
        if (!mounting.Any(w => w.Kind == workload.Kind && w.Name == workload.Name)) mounting.Insert(0, workload);
        foreach (var other in cluster.UnscalableMounters)
            refusals.Add($"{other} mounts claim {claimName} and cannot be scaled to 0: stop it first");
        checks.Add($"workloads mounting {claimName}: {string.Join(", ", mounting.Select(w => $"{Ref(w)} ({Replicas(w.Info)})"))}");

        // The target class: the mutator's rules.
        var classes = new RwxStorageClasses(cluster.StorageClasses, mutation, ns);
        StorageClassInfo? target = null;
        string classSource;
        if (request.StorageClass is { } name)
        {
            classSource = "--storage-class";
            target = classes.Find(name);
            if (target is null) refusals.Add($"storageclass {name} not found");
            else if (!classes.IsRwxCapable(target))
                refusals.Add($"storageclass {name} (provisioner {target.Provisioner}) is not known to support ReadWriteMany: rwx-guard trusts " +
                             $"{Text.RwxClasses} provisioners (Mutation:RwxProvisioners), a class set in Mutation:StorageClass, or one annotated " +
                             $"{WellKnown.RwxClassAnnotation}: \"true\"");
        }
        else
        {
            var resolution = classes.Resolve();
            foreach (var missing in resolution.Missing) warnings.Add($"{missing.SettingKey} names storageclass {missing.Name}, which does not exist");
            if (resolution.Choice is { } choice)
            {
                target = choice.Class;
                classSource = choice.Source;
                if (choice.Tied.Count > 0)
                    warnings.Add($"storageclass {target.Name} chosen over {Join(choice.Tied.Select(c => c.Name))} (tie-break: default class, then name); pass --storage-class to choose");
            }
            else
            {
                classSource = "";
                refusals.Add($"no RWX-capable storageclass found ({Text.RwxClasses}); create one or pass --storage-class");
            }
        }
        if (target is not null) checks.Add($"storageclass {target.Name}: {target.Provisioner}, RWX-capable ({classSource})");

        // Size: the claim's capacity, or more.
        var capacity = claim.Status?.Capacity?.Value("storage") ?? claim.Spec?.Resources?.Requests?.Value("storage");
        var size = request.Size ?? capacity?.ToString() ?? "1Gi";
        if (request.Size is not null && capacity is not null && new ResourceQuantity(request.Size).ToDecimal() < capacity.ToDecimal())
            refusals.Add($"--size {request.Size} is smaller than the claim's capacity {capacity}");

        // Who the copy runs as.
        var level = cluster.NamespaceLabels.GetValueOrDefault("pod-security.kubernetes.io/enforce", "privileged");
        var user = request.RunAsUser ?? workload.RunAsUser;
        var security = new CopySecurity
        {
            AsRoot = level != RestrictedLevel,
            RunAsUser = level == RestrictedLevel ? user : null,
            RunAsGroup = level == RestrictedLevel ? request.RunAsGroup ?? workload.RunAsGroup : null,
            FsGroup = workload.FsGroup,
        };
        if (level == RestrictedLevel && user is null or 0)
            refusals.Add($"namespace {ns} enforces Pod Security \"restricted\", so the copy must run as a non-root user, and " +
                         $"{request.Workload} sets no runAsUser: pass --run-as-user (and --run-as-group) with the user that owns the data");
        else
            checks.Add(level == RestrictedLevel
                ? $"copy runs as uid {user} (Pod Security \"restricted\"): files owned by other users fail the verification"
                : $"copy runs as root with the default capabilities (Pod Security \"{level}\"): owners are kept");

        if (request.Snapshot)
        {
            var driver = cluster.Volume?.Spec?.Csi?.Driver;
            if (cluster.SnapshotDrivers is null) refusals.Add("--snapshot: the VolumeSnapshot API (snapshot.storage.k8s.io) is not installed");
            else if (driver is null || !cluster.SnapshotDrivers.Contains(driver))
                refusals.Add($"--snapshot: no VolumeSnapshotClass for driver {driver ?? "(not a CSI volume)"}");
            else checks.Add($"VolumeSnapshotClass for {driver} found");
        }
        if (cluster.ForeignTemporaryClaim)
            refusals.Add($"a claim named {Names.TemporaryClaim(claimName)} exists and was not created by rwx-guard: remove or rename it");
        foreach (var error in cluster.DryRunErrors) refusals.Add($"server dry run refused: {error}");
        if (cluster.DryRunErrors.Count == 0 && refusals.Count == 0) checks.Add("server dry run of the temporary claim and the copy Job: accepted");

        foreach (var hpa in cluster.Autoscalers.Where(h => mounting.Any(w => h.Target == w.Kind && h.TargetName == w.Name)))
            notes.Add($"horizontalpodautoscaler {hpa.Name} targets {hpa.TargetKind.ToLowerInvariant()}/{hpa.TargetName}: it does not scale a workload at 0 replicas, and resumes after the scale-up");
        notes.AddRange(Ownership(claim, workload, target?.Name ?? "<class>"));

        if (refusals.Count > 0 || target is null)
            return new MigrationPlan { Refusals = refusals, Warnings = warnings, Notes = notes, Checks = checks };

        var state = new MigrationState
        {
            Namespace = ns,
            Claim = claimName,
            Primary = new RecordedWorkload(workload.Kind, workload.Name, workload.Info.EffectiveReplicas),
            Workloads = [.. mounting.Select(w => new RecordedWorkload(w.Kind, w.Name, w.Info.EffectiveReplicas))],
            OriginalVolume = claim.Spec!.VolumeName!,
            OriginalReclaimPolicy = cluster.Volume?.Spec?.PersistentVolumeReclaimPolicy ?? "Delete",
            OriginalClaim = new ClaimTemplate
            {
                AccessModes = [.. claim.Spec.AccessModes ?? []],
                StorageClassName = claim.Spec.StorageClassName,
                Size = claim.Spec.Resources?.Requests?.Value("storage")?.ToString() ?? size,
                VolumeMode = claim.Spec.VolumeMode,
                Labels = new Dictionary<string, string>(claim.Metadata?.Labels ?? new Dictionary<string, string>()),
                Annotations = MigrationObjects.KeptAnnotations(claim.Metadata?.Annotations),
            },
            TargetClass = target.Name,
            Size = size,
            TemporaryClaim = Names.TemporaryClaim(claimName),
            ReplicasAfter = request.Replicas,
            CopyImage = request.CopyImage,
            Snapshot = request.Snapshot ? Names.Bounded($"{claimName}-rwx-guard-backup") : null,
            Security = security,
            Owner = request.Owner,
            Started = request.Now,
        };
        warnings.AddRange(EndStateWarnings(state, workload, cluster, policy, mutation));
        return new MigrationPlan
        {
            State = state,
            Warnings = warnings,
            Notes = notes,
            Checks = checks,
            Steps = Steps(state, cluster.Volume?.Spec?.Csi?.Driver),
            Downtime = $"{string.Join(", ", state.Workloads)} at 0 replicas from step {StepNames.ScaleDown} to step {StepNames.ScaleUp}: " +
                       $"the copy of up to {size} (measured on the test tree: see docs/migrate.md#what-it-costs), plus a minute of scaling and binding",
        };
    }

    /// <summary>A migration already under way: its recorded state decides; the flags may not contradict it.</summary>
    private static MigrationPlan Resume(ClusterSnapshot cluster, MigrateRequest request, MigrationState state, List<string> refusals, List<string> checks)
    {
        if (request.StorageClass is { } requested && requested != state.TargetClass)
            refusals.Add($"a migration of claim {state.Claim} to storageclass {state.TargetClass} is under way (started {state.Started:u} by {state.Owner}): " +
                         $"resume it without --storage-class {requested}, or undo it with --rollback first");
        if (request.Claim is { } claim && claim != state.Claim)
            refusals.Add($"a migration of claim {state.Claim} is under way for {request.Workload}: finish or roll it back first");
        checks.Add($"resuming the migration of claim {state.Claim} to {state.TargetClass} started {state.Started:u} by {state.Owner}");
        return new MigrationPlan
        {
            Refusals = refusals,
            Checks = checks,
            State = refusals.Count == 0 ? state with { ReplicasAfter = request.Replicas ?? state.ReplicasAfter } : null,
            Resuming = true,
            Steps = Steps(state, cluster.Volume?.Spec?.Csi?.Driver),
            Downtime = "the workloads stay at 0 replicas until the copy and the swap are done",
        };
    }

    public static IReadOnlyList<PlanStep> Steps(MigrationState s, string? driver)
    {
        var workloads = string.Join(", ", s.Workloads);
        var steps = new List<PlanStep>
        {
            new(StepNames.Lock, $"{s.Primary} annotated {MigrationAnnotations.Lock}={s.Owner} and {MigrationAnnotations.State} (the record every later run reads)"),
            new(StepNames.RetainOriginal, $"persistentvolume/{s.OriginalVolume} patched: persistentVolumeReclaimPolicy {s.OriginalReclaimPolicy} -> Retain (the backup: never deleted)"),
        };
        if (s.Snapshot is not null)
            steps.Add(new(StepNames.Snapshot, $"volumesnapshot/{s.Snapshot} created from claim {s.Claim} ({driver}); wait for readyToUse"));
        steps.AddRange(
        [
            new(StepNames.CreateTemporary, $"persistentvolumeclaim/{s.TemporaryClaim} created: ReadWriteMany, storageclass {s.TargetClass}, {s.Size}"),
            new(StepNames.ScaleDown, $"{workloads} scaled to 0 (replicas recorded in {MigrationAnnotations.Replicas}); wait until no pod mounts {s.Claim}"),
            new(StepNames.Copy, $"job/{s.CopyJob} copies {s.Claim} to {s.TemporaryClaim} ({s.CopyImage}, {(s.Security.AsRoot ? "as root" : $"as uid {s.Security.RunAsUser}")}) and verifies every file"),
            new(StepNames.RetainNew, $"the new persistentvolume (bound to {s.TemporaryClaim}) patched: persistentVolumeReclaimPolicy -> Retain"),
            new(StepNames.ReleaseTemporary, $"persistentvolumeclaim/{s.TemporaryClaim} deleted (its volume is retained)"),
            new(StepNames.FreeNewVolume, "the new persistentvolume's claimRef set to the claim of the original name (no uid): reserved for it, bindable by no other claim"),
            new(StepNames.DeleteOriginal, $"persistentvolumeclaim/{s.Claim} deleted, only once persistentvolume/{s.OriginalVolume} is Retain (it keeps the data)"),
            new(StepNames.CreateMigrated, $"persistentvolumeclaim/{s.Claim} created: same name, labels and annotations, ReadWriteMany, storageclass {s.TargetClass}, volumeName = the new volume; wait for Bound"),
            new(StepNames.ScaleUp, $"{workloads} scaled back to {string.Join(", ", s.Workloads.Select(w => w == s.Primary || (w.Kind == s.Primary.Kind && w.Name == s.Primary.Name) ? s.ReplicasAfter ?? w.Replicas : w.Replicas))}; wait for the rollout"),
            new(StepNames.Verify, $"webhook verify {s.Primary} -n {s.Namespace}"),
            new(StepNames.Finish, $"lock removed; persistentvolume/{s.OriginalVolume} stays as the backup"),
        ]);
        return steps;
    }

    /// <summary>Helm, Argo CD and Flux: who will sync the claim back, and the change that stops them.</summary>
    private static IEnumerable<string> Ownership(V1PersistentVolumeClaim claim, SnapshotWorkload workload, string targetClass)
    {
        var labels = claim.Metadata?.Labels ?? new Dictionary<string, string>();
        var annotations = claim.Metadata?.Annotations ?? new Dictionary<string, string>();
        if (labels.Value("app.kubernetes.io/managed-by") == "Helm" || annotations.ContainsKey("meta.helm.sh/release-name"))
        {
            var release = annotations.Value("meta.helm.sh/release-name", labels.Value("app.kubernetes.io/instance", "<release>"));
            var officialChart = labels.Value("helm.sh/chart", "").StartsWith("anythingllm-", StringComparison.Ordinal)
                                || (labels.Value("app.kubernetes.io/name") == "anythingllm" && claim.Metadata!.Name.EndsWith("-storage-claim", StringComparison.Ordinal));
            yield return officialChart
                ? $"Helm release {release} owns claim {claim.Metadata!.Name} (official AnythingLLM chart): before the next upgrade set " +
                  $"persistentVolume.accessModes[0]=ReadWriteMany and persistentVolume.storageClass={targetClass}, e.g. helm upgrade {release} … " +
                  $"--reuse-values --set persistentVolume.accessModes[0]=ReadWriteMany --set persistentVolume.storageClass={targetClass}; " +
                  "otherwise the upgrade fails on the immutable claim spec"
                : $"Helm release {release} owns claim {claim.Metadata!.Name}: set the chart's claim access mode to ReadWriteMany and its " +
                  $"storage class to {targetClass} before the next upgrade, or it fails on the immutable claim spec";
        }
        var argo = annotations.Value("argocd.argoproj.io/tracking-id") ?? labels.Value("argocd.argoproj.io/instance")
                   ?? workload.Annotations.GetValueOrDefault("argocd.argoproj.io/tracking-id");
        if (argo is not null)
            yield return $"Argo CD application {argo.Split(':')[0]} tracks these objects: turn off auto-sync/self-heal during the migration " +
                         $"(it would scale the workload back up), and change the claim in Git to ReadWriteMany on {targetClass} before turning it on";
        var flux = labels.Value("kustomize.toolkit.fluxcd.io/name") is { } kustomization
            ? $"flux suspend kustomization {kustomization} -n {labels.Value("kustomize.toolkit.fluxcd.io/namespace", "flux-system")}"
            : labels.Value("helm.toolkit.fluxcd.io/name") is { } helmRelease
                ? $"flux suspend helmrelease {helmRelease} -n {labels.Value("helm.toolkit.fluxcd.io/namespace", "flux-system")}"
                : null;
        if (flux is not null)
            yield return $"Flux manages these objects: run `{flux}` first, change the claim in Git to ReadWriteMany on {targetClass}, then resume";
    }

    /// <summary>The policies' own warnings about the end state: the claim RWX on the target class, the replicas asked for.</summary>
    private static IEnumerable<string> EndStateWarnings(MigrationState state, SnapshotWorkload workload, ClusterSnapshot cluster, PolicyOptions policy,
        MutationOptions mutation)
    {
        var claims = cluster.Claim is null ? [] : new[]
        {
            ModelMapping.ToClaim(cluster.Claim) with
            {
                SpecModes = AccessModes.ReadWriteMany, StatusModes = AccessModes.ReadWriteMany, StorageClassName = state.TargetClass, Bound = true,
            },
        };
        var after = workload.Info with { Replicas = state.ReplicasAfter ?? workload.Info.EffectiveReplicas };
        var view = new ManifestClusterView(claims, [after], cluster.Autoscalers, cluster.StorageClasses);
        return PolicyAudit.Evaluate(view, new AuditSubjects { Workloads = [after] }, policy, mutation)
            .Where(r => r.Result is AuditOutcome.Warn or AuditOutcome.Fail)
            .Select(r => $"after the migration ({after.EffectiveReplicas} replicas): {r.Summary}");
    }

    private static MigrationPlan Refused(string reason, IReadOnlyList<string>? more = null) =>
        new() { Refusals = [.. more ?? [], reason] };

    private static string Ref(SnapshotWorkload w) => $"{w.Kind.ToString().ToLowerInvariant()}/{w.Name}";
    private static string Replicas(WorkloadInfo w) => Text.Plural(w.EffectiveReplicas, "replica");
    private static string Join(IEnumerable<string> names) => string.Join(", ", names);
    private static string Capacity(V1PersistentVolumeClaim claim) =>
        claim.Status?.Capacity?.Value("storage")?.ToString() ?? claim.Spec?.Resources?.Requests?.Value("storage")?.ToString() ?? "?";
}
