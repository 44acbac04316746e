using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>
/// Policy 1: no replicated workload on a single-attach claim. One method per entry point (README, "What it enforces"); each is pure:
/// the object(s) being admitted, an in-memory view of the cluster and the settings in, findings out.
/// </summary>
public sealed class ReplicatedWorkloadPolicy
{
    /// <summary>Deployment / StatefulSet / ReplicaSet / DaemonSet CREATE or UPDATE (<paramref name="old"/> set on UPDATE).</summary>
    public PolicyResult EvaluateWorkload(WorkloadInfo workload, WorkloadInfo? old, IClusterView view, PolicyOptions options)
    {
        if (workload.Template.ClaimNames.Count == 0 || IsDecidedThroughItsDeployment(workload, view)) return PolicyResult.Empty;

        var source = ReplicasOf(workload, view, options);
        var findings = new List<Finding>();
        // Ratcheting of the shared-claim rule: an UPDATE that adds neither pods nor the claim does not make it worse.
        bool SharedWorsens(ClaimInfo claim) => old is null || !old.Template.ClaimNames.Contains(claim.Name, StringComparer.Ordinal)
                                               || source.Replicas > ReplicasOf(old, view, options).Replicas;
        if (source.Replicas > 1)
            return Check(findings, workload.ToString(), source, workload, scan => old is null || !DoesNotWorsen(old, source, scan, view, options),
                SharedWorsens, view, options, UnverifiedOwner(workload));

        var scan = ClaimScan.Of(workload.Namespace, workload.Template.ClaimNames, view);
        SharedClaims.Add(findings, workload.ToString(), workload, source, scan.SingleAttach, SharedWorsens, view, options);
        if (SurgePods(workload) is { } surge && scan.SingleAttach.Count > 0)
        {
            Finding.Add(findings, options.RollingUpdateSurge, Rules.RollingUpdateSurge,
                $"{workload} runs 1 replica with strategy RollingUpdate (maxSurge {surge}) on single-attach " +
                $"{Text.ShortClaims(scan.SingleAttach)}: every rollout starts the new pod before the old one stops, and " +
                "the new pod cannot attach the volume on another node (Multi-Attach error). Fix: set strategy.type: " +
                "Recreate and remove strategy.rollingUpdate, or set strategy.rollingUpdate.maxSurge: 0.",
                $"{workload}: RollingUpdate surge starts a 2nd pod on {Text.ShortClaims(scan.SingleAttach)}; use Recreate or maxSurge: 0");
        }
        return PolicyResult.Of(findings);
    }

    /// <summary>UPDATE of deployments/scale, statefulsets/scale or replicasets/scale (kubectl scale, the HPA).</summary>
    public PolicyResult EvaluateScale(ScaleInfo scale, ScaleInfo? old, IClusterView view, PolicyOptions options)
    {
        if (scale.Replicas <= 0) return PolicyResult.Empty;

        var findings = new List<Finding>();
        var what = $"{scale.TargetKind} {new ObjectKey(scale.Namespace, scale.Name)}";
        var parent = view.GetWorkload(scale.TargetKind, scale.Namespace, scale.Name);
        var source = ReplicaSource.Scale(scale.Replicas);
        // The template cannot change through /scale, so "not worse" is simply "not more replicas".
        var worsens = old is null || scale.Replicas > old.Replicas;
        if (scale.Replicas == 1)
        {
            // One pod is only a problem next to other workloads' pods; an unknown parent is not worth a word here.
            if (parent is not { Outcome: LookupOutcome.Found, Value: { Template.ClaimNames.Count: > 0 } one }) return PolicyResult.Empty;
            var singleAttach = ClaimScan.Of(one.Namespace, one.Template.ClaimNames, view).SingleAttach;
            SharedClaims.Add(findings, what, one, source, singleAttach, _ => worsens, view, options);
            return PolicyResult.Of(findings);
        }
        if (!FoundOrReport(parent, findings, what, source, view, options, out var workload))
            return PolicyResult.Of(findings);
        if (workload.Template.ClaimNames.Count == 0) return PolicyResult.Empty;

        return Check(findings, what, source, workload, _ => worsens, _ => worsens, view, options);
    }

    /// <summary>HorizontalPodAutoscaler CREATE or UPDATE: maxReplicas against the target's pod template.</summary>
    public PolicyResult EvaluateAutoscaler(HpaInfo hpa, HpaInfo? old, IClusterView view, PolicyOptions options)
    {
        if (hpa.Target is not { } targetKind || hpa.MaxReplicas <= 1) return PolicyResult.Empty;

        var findings = new List<Finding>();
        var what = $"{targetKind} {new ObjectKey(hpa.Namespace, hpa.TargetName)}";
        var source = ReplicaSource.Autoscaler(hpa);
        var target = view.GetWorkload(targetKind, hpa.Namespace, hpa.TargetName);
        if (!FoundOrReport(target, findings, what, source, view, options, out var workload))
            return PolicyResult.Of(findings);
        if (workload.Template.ClaimNames.Count == 0) return PolicyResult.Empty;

        var worsens = old is null || old.Target != hpa.Target || old.TargetName != hpa.TargetName || hpa.MaxReplicas > old.MaxReplicas;
        return Check(findings, what, source, workload, _ => worsens, _ => worsens, view, options);
    }

    /// <summary>
    /// PersistentVolumeClaim CREATE: a new single-attach claim that replicated workloads already mount (the Deployment
    /// was applied before its claim). <paramref name="claim"/> is the object as admitted, after any mutation.
    /// </summary>
    public PolicyResult EvaluateClaimCreate(ClaimInfo claim, IClusterView view, PolicyOptions options)
    {
        if (!claim.IsSingleAttach) return PolicyResult.Empty;

        var findings = new List<Finding>();
        if (view.Status is { Ready: false, Offline: false })
        {
            Finding.Add(findings, options.OnClusterUnavailable, Rules.ClusterUnavailable,
                $"rwx-guard cannot check whether replicated workloads mount PersistentVolumeClaim {claim.Key}: its view " +
                $"of the cluster is not available ({view.Status.Detail}).",
                $"cluster view unavailable; workloads mounting claim {claim.Key} not checked");
            return PolicyResult.Of(findings);
        }

        var mounters = SharedClaims.Mounters(claim.Namespace, claim.Name, view, options);
        SharedClaims.AddForClaim(findings, claim, mounters, options);
        var replicated = mounters.Where(x => x.Pods > 1 && !x.Source.PerNode).ToList();
        if (replicated.Count == 0) return PolicyResult.Of(findings);

        var who = string.Join("; ", replicated.Select(x => $"{x.Workload} {x.Source.Description}"));
        var modes = AccessModeSet.Format(claim.EffectiveModes);
        findings.Insert(0, new Finding(Rules.ReplicatedSingleAttach, FindingKind.Violation,
            $"PersistentVolumeClaim {claim.Key} would be single-attach ({modes}), but replicated workloads already mount " +
            $"it: {who}. Pods on other nodes could not attach it and pods on the same node would write to it " +
            $"concurrently. Fix: create the claim with accessModes [ReadWriteMany] on an RWX-capable storage class " +
            $"({Text.RwxClasses}), or scale the workloads to 1 replica first.",
            Text.Warning($"claim {claim.Name} ({AccessModeSet.Short(claim.EffectiveModes)}) is mounted by " +
                         $"{replicated[0].Workload} with {replicated[0].Source.Replicas} replicas")));
        return PolicyResult.Of(findings);
    }

    /// <summary>
    /// The check every entry point shares once it knows the replica count: claims the view cannot resolve are said,
    /// single-attach claims are a violation (or, when <paramref name="worsens"/> says the request adds nothing, an
    /// existing one) and, shared with other workloads, a shared-single-attach finding; AnythingLLM on shared claims
    /// gets its own warnings. A DaemonSet (one pod per node, count unknown) is never denied as replicated on a guess:
    /// it gets the shared-claim rule only.
    /// </summary>
    /// <param name="note">Said after a violation's explanation (why a ReplicaSet was checked on its own).</param>
    private static PolicyResult Check(List<Finding> findings, string what, ReplicaSource source, WorkloadInfo workload,
        Func<ClaimScan, bool> worsens, Func<ClaimInfo, bool> sharedWorsens, IClusterView view, PolicyOptions options,
        string? note = null)
    {
        var scan = ClaimScan.Of(workload.Namespace, workload.Template.ClaimNames, view);
        AddLookupFindings(findings, what, source, scan, view, options);
        if (workload.Template.Truncated)
            findings.Add(new Finding(Rules.TemplateTruncated, FindingKind.Warning,
                $"{what} has more claims or containers in its pod template than rwx-guard keeps in its view of the cluster; " +
                $"only the first {workload.Template.ClaimNames.Count} claims were checked.",
                Text.Warning($"{what}: pod template too large for the cluster view; only {workload.Template.ClaimNames.Count} claims checked")));
        if (scan.SingleAttach.Count > 0)
        {
            if (!source.PerNode)
                findings.Add(worsens(scan) ? Violation(what, source, scan.SingleAttach, note) : ExistingViolation(what, source, scan.SingleAttach));
            SharedClaims.Add(findings, what, workload, source, scan.SingleAttach, sharedWorsens, view, options);
        }
        else
        {
            AnythingLlmFindings.Add(findings, what, workload.Template, source, scan.MultiAttach, options);
        }
        return PolicyResult.Of(findings);
    }

    /// <summary>spec.replicas, or an HPA's maxReplicas when an HPA targeting the workload allows more; one pod per node
    /// for a DaemonSet.</summary>
    public static ReplicaSource ReplicasOf(WorkloadInfo workload, IClusterView view, PolicyOptions options)
    {
        if (workload.Kind == WorkloadKind.DaemonSet) return ReplicaSource.OnePerNode;
        var spec = ReplicaSource.Spec(workload.EffectiveReplicas);
        if (!options.CountAutoscalers) return spec;
        var hpa = view.AutoscalersTargeting(workload.Kind, workload.Namespace, workload.Name)
            .MaxBy(h => h.MaxReplicas);
        return hpa is not null && hpa.MaxReplicas > spec.Replicas ? ReplicaSource.Autoscaler(hpa) : spec;
    }

    /// <summary>Ratcheting: an UPDATE of an object that already violated is allowed when it adds neither replicas
    /// nor single-attach claims, so old violations do not block image bumps and scale-downs.</summary>
    private static bool DoesNotWorsen(WorkloadInfo old, ReplicaSource source, ClaimScan scan, IClusterView view, PolicyOptions options)
    {
        var oldSource = ReplicasOf(old, view, options);
        if (oldSource.Replicas <= 1 || source.Replicas > oldSource.Replicas) return false;
        var oldSingleAttach = ClaimScan.Of(old.Namespace, old.Template.ClaimNames, view).SingleAttach;
        return oldSingleAttach.Count > 0 && scan.SingleAttach.All(c => oldSingleAttach.Any(o => o.Name == c.Name));
    }

    /// <summary>
    /// A ReplicaSet whose controller is an apps/v1 Deployment the view knows, by name and uid: it is checked through
    /// that Deployment (denying the Deployment controller's own writes would only wedge a rollout that admission
    /// already allowed). Owner references are not proof: anyone who can create a ReplicaSet can write one, so an owner
    /// of another apiVersion, or one the view does not know, leaves the ReplicaSet to be checked on its own. A real
    /// Deployment's first ReplicaSet, created before the view has seen the Deployment, gets the decision the
    /// Deployment itself got at its admission a moment earlier (same template, same replicas), so nothing is wedged.
    /// </summary>
    public static bool IsDecidedThroughItsDeployment(WorkloadInfo workload, IClusterView view) =>
        workload.Kind == WorkloadKind.ReplicaSet
        && workload.ControllerOwner is { ApiVersion: "apps/v1", Kind: "Deployment", Uid: { Length: > 0 } uid } owner
        && view.GetWorkload(WorkloadKind.Deployment, workload.Namespace, owner.Name) is { Outcome: LookupOutcome.Found, Value.Uid: { } known }
        && known == uid;

    /// <summary>Why a ReplicaSet that names a controlling Deployment is still checked on its own.</summary>
    private static string? UnverifiedOwner(WorkloadInfo workload) =>
        workload is { Kind: WorkloadKind.ReplicaSet, ControllerOwner: { Kind: "Deployment" } owner }
            ? $"It is checked on its own because its controller {owner.ApiVersion} {owner.Kind} {owner.Name} (uid " +
              $"{(string.IsNullOrEmpty(owner.Uid) ? "none" : owner.Uid)}) is not an apps/v1 Deployment that rwx-guard knows."
            : null;

    /// <summary>Extra pods a one-replica Deployment's rollout starts before stopping the old one (0 = none).</summary>
    private static string? SurgePods(WorkloadInfo workload)
    {
        if (workload.Kind != WorkloadKind.Deployment || workload.Strategy is not { Type: "RollingUpdate" } strategy)
            return null;
        var maxSurge = strategy.MaxSurge ?? "25%";
        var surge = maxSurge.EndsWith('%')
            // Percentages of the replica count round up for maxSurge (apps/v1 semantics): 25% of 1 is 1 pod.
            ? int.TryParse(maxSurge.AsSpan(0, maxSurge.Length - 1), out var percent) && percent > 0 ? 1 : 0
            : int.TryParse(maxSurge, out var pods) ? pods : 0;
        return surge > 0 ? maxSurge : null;
    }

    private static Finding Violation(string what, ReplicaSource source, IReadOnlyList<ClaimInfo> claims, string? note = null) => new(
        Rules.ReplicatedSingleAttach, FindingKind.Violation,
        $"{what} {source.Description} but mounts single-attach {(claims.Count == 1 ? "claim" : "claims")} " +
        $"{Text.Claims(claims)}. Pods on other nodes cannot attach it (Multi-Attach error) and pods on the same node " +
        $"write to it concurrently. Fix: move the data to a ReadWriteMany claim on an RWX-capable storage class " +
        $"({Text.RwxClasses}) before scaling, or keep replicas: 1 with strategy.type: Recreate." + (note is null ? "" : " " + note),
        Text.Warning($"{what} {source.Description.Replace("runs ", "")} on single-attach {Text.ShortClaims(claims)}"));

    private static Finding ExistingViolation(string what, ReplicaSource source, IReadOnlyList<ClaimInfo> claims) => new(
        Rules.ExistingViolation, FindingKind.Warning,
        $"{what} {source.Description} on single-attach {Text.ShortClaims(claims)}. This was already the case before " +
        "this update, which adds neither replicas nor single-attach claims, so it is allowed; fix it before scaling up.",
        Text.Warning($"{what} already has >1 replica on single-attach {Text.ShortClaims(claims)}; fix before scaling up"));

    /// <summary>Claims the view could not resolve: say so, never allow silently.</summary>
    private static void AddLookupFindings(List<Finding> findings, string what, ReplicaSource source, ClaimScan scan,
        IClusterView view, PolicyOptions options)
    {
        if (scan.Unavailable)
        {
            AddUnavailable(findings, what, source, view, options);
        }
        else if (scan.Missing.Count > 0)
        {
            var names = string.Join(", ", scan.Missing);
            var offline = view.Status.Offline ? " (rwx-guard is running offline, with no cluster connection)" : "";
            Finding.Add(findings, options.OnClaimNotFound, Rules.ClaimNotFound,
                $"{what} {source.Description} and mounts {(scan.Missing.Count == 1 ? "claim" : "claims")} {names}, " +
                $"which rwx-guard cannot find{offline}; access modes not checked. A claim created later is checked " +
                "when it is created.",
                $"{what}: claim {names} not found{(view.Status.Offline ? " (offline)" : "")}; access modes not checked");
        }
    }

    private static bool FoundOrReport(Lookup<WorkloadInfo> lookup, List<Finding> findings, string what, ReplicaSource source,
        IClusterView view, PolicyOptions options, out WorkloadInfo workload)
    {
        workload = lookup.Value!;
        switch (lookup.Outcome)
        {
            case LookupOutcome.Found:
                return true;
            case LookupOutcome.Unavailable:
                AddUnavailable(findings, what, source, view, options);
                return false;
            default:
                var offline = view.Status.Offline ? " (rwx-guard is running offline, with no cluster connection)" : "";
                Finding.Add(findings, options.OnClaimNotFound, Rules.WorkloadNotFound,
                    $"{what} {source.Description}, but rwx-guard cannot find it{offline}, so the claims it mounts were " +
                    "not checked.",
                    $"{what} not found{(view.Status.Offline ? " (offline)" : "")}; its claims were not checked");
                return false;
        }
    }

    private static void AddUnavailable(List<Finding> findings, string what, ReplicaSource source, IClusterView view,
        PolicyOptions options) =>
        Finding.Add(findings, options.OnClusterUnavailable, Rules.ClusterUnavailable,
            $"rwx-guard cannot check {what} ({source.Description}): its view of the cluster is not available " +
            $"({view.Status.Detail}).",
            $"cluster view unavailable; {what} ({Text.Plural(source.Replicas, "replica")}) not checked");

}
