using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>One workload mounting a claim, with the pods it runs.</summary>
public sealed record ClaimMounter(WorkloadInfo Workload, ReplicaSource Source)
{
    /// <summary>Pods it puts on the claim: its replicas (or an HPA's maximum), <see cref="ReplicaSource.PerNodeEstimate"/>
    /// for a DaemonSet.</summary>
    public int Pods => Source.Replicas;

    /// <summary>"Deployment ai/n8n-worker (runs 2 replicas)", "… (can be scaled to 5 replicas by HorizontalPodAutoscaler …)".</summary>
    public override string ToString() => $"{Workload} ({Source.Description})";
}

/// <summary>
/// Rule shared-single-attach: a single-attach claim mounted by pods of several workloads, or by a DaemonSet (one pod per
/// node). Two one-replica Deployments on one RWO claim are the same Multi-Attach problem as one Deployment with two
/// replicas: the scheduler may put their pods on different nodes. Pods that all run on one node share an RWO volume
/// legally (RWO is per node), which is why the rule is configurable (Policy:SharedClaim) and warns by default.
/// </summary>
public static class SharedClaims
{
    /// <summary>
    /// Every workload in the view that mounts the claim and runs pods, counted once: a ReplicaSet decided through its
    /// Deployment counts through that Deployment. <paramref name="except"/> (the workload under admission, whose old
    /// version the view may hold) is left out.
    /// </summary>
    public static IReadOnlyList<ClaimMounter> Mounters(string @namespace, string claimName, IClusterView view, PolicyOptions options,
        WorkloadInfo? except = null) =>
        view.WorkloadsMountingClaim(@namespace, claimName)
            .Where(w => except is null || w.Kind != except.Kind || w.Name != except.Name)
            .Where(w => !ReplicatedWorkloadPolicy.IsDecidedThroughItsDeployment(w, view))
            .Select(w => new ClaimMounter(w, ReplicatedWorkloadPolicy.ReplicasOf(w, view, options)))
            .Where(m => m.Pods > 0)
            .OrderBy(m => m.Workload.Kind).ThenBy(m => m.Workload.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// A workload (or its /scale, or its autoscaler) under admission: one finding per single-attach claim it shares.
    /// <paramref name="worsens"/> false for a claim: this request adds neither pods nor the claim, so even with Deny the
    /// finding is a warning (ratcheting, as for replicated workloads).
    /// </summary>
    public static void Add(List<Finding> findings, string what, WorkloadInfo workload, ReplicaSource source,
        IReadOnlyList<ClaimInfo> singleAttach, Func<ClaimInfo, bool> worsens, IClusterView view, PolicyOptions options)
    {
        if (options.SharedClaim == RuleAction.Ignore || source.Replicas < 1) return;
        foreach (var claim in singleAttach)
        {
            var others = Mounters(claim.Namespace, claim.Name, view, options, except: workload);
            if (others.Count == 0 && !source.PerNode) continue;
            var modes = AccessModeSet.Format(claim.EffectiveModes);
            var shortModes = AccessModeSet.Short(claim.EffectiveModes);
            var total = source.Replicas + others.Sum(o => o.Pods);
            var atLeast = source.PerNode || others.Any(o => o.Source.PerNode) ? "at least " : "";
            string message, line;
            if (others.Count == 0)
            {
                message = $"{what} runs one pod per node and mounts single-attach claim {claim.Name} ({modes}): every node " +
                          "but the first to attach it fails with a Multi-Attach error. A DaemonSet whose pods all run on one " +
                          "node (nodeSelector, affinity) shares an RWO volume legally.";
                line = $"{what} runs 1 pod per node on {shortModes} claim {claim.Name}; use RWX or one node only";
            }
            else
            {
                message = $"{what} {source.Description} and mounts single-attach claim {claim.Name} ({modes}), which " +
                          $"{Text.Join(others.Select(o => o.ToString()))} also {(others.Count == 1 ? "mounts" : "mount")}: " +
                          $"{atLeast}{total} pods on one volume. Pods on other nodes cannot attach it (Multi-Attach error); " +
                          "pods that all run on one node (nodeSelector, affinity) share an RWO volume legally.";
                var more = others.Count > 1 ? $" +{others.Count - 1}" : "";
                var pods = $"{atLeast}{total} pods; use RWX or one node";
                // Long names: the count and the fix matter more than who the others are (the full message names them).
                line = Text.FirstThatFits(
                    $"{what} shares {shortModes} claim {claim.Name} with {others[0].Workload.Kind} {others[0].Workload.Name}{more}: {pods}",
                    $"{what} shares {shortModes} claim {claim.Name} with {Text.Plural(others.Count, "other workload")}: {pods}",
                    $"{shortModes} claim {claim.Name} is shared with {Text.Plural(others.Count, "other workload")}: {pods}");
            }
            message += $" Fix: move the data to a ReadWriteMany claim on an RWX-capable storage class ({Text.RwxClasses}), " +
                       "give each workload its own claim, or pin the pods to one node.";
            var kind = options.SharedClaim == RuleAction.Deny ? FindingKind.Violation : FindingKind.Warning;
            if (kind == FindingKind.Violation && !worsens(claim))
            {
                kind = FindingKind.Warning;
                message += " This was already the case before this update, which adds neither pods nor the claim, so it is allowed.";
            }
            findings.Add(new Finding(Rules.SharedSingleAttach, kind, message, Text.Warning(line)));
        }
    }

    /// <summary>PersistentVolumeClaim CREATE: the new single-attach claim is already mounted by several workloads' pods
    /// (<paramref name="mounters"/>: <see cref="Mounters"/> of the claim, which the caller reads for Policy 1 too).</summary>
    public static void AddForClaim(List<Finding> findings, ClaimInfo claim, IReadOnlyList<ClaimMounter> mounters, PolicyOptions options)
    {
        if (mounters.Count < 2 && !mounters.Any(m => m.Source.PerNode)) return;
        var total = mounters.Sum(m => m.Pods);
        var atLeast = mounters.Any(m => m.Source.PerNode) ? "at least " : "";
        var shortModes = AccessModeSet.Short(claim.EffectiveModes);
        Finding.Add(findings, options.SharedClaim, Rules.SharedSingleAttach,
            $"PersistentVolumeClaim {claim.Key} would be single-attach ({AccessModeSet.Format(claim.EffectiveModes)}), but " +
            $"{Text.Join(mounters.Select(m => m.ToString()))} already mount it: {atLeast}{total} pods on one volume. Pods on " +
            "other nodes could not attach it (Multi-Attach error); pods that all run on one node share an RWO volume legally. " +
            $"Fix: create the claim with accessModes [ReadWriteMany] on an RWX-capable storage class ({Text.RwxClasses}), or " +
            "give each workload its own claim.",
            $"claim {claim.Name} ({shortModes}) is mounted by {Text.Plural(mounters.Count, "workload")}, {atLeast}{total} pods; " +
            "create it RWX or give each its own");
    }
}
