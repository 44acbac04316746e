using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>
/// Policy 2: claims selected by Mutation:Selectors (by default AnythingLLM's storage claim: by label, by name, or
/// mounted by an AnythingLLM workload) are created ReadWriteMany on an RWX-capable StorageClass. Pure: the claim being created, the cluster's
/// StorageClasses from the view and the settings in; the patch and findings out.
/// </summary>
/// <remarks>
/// Idempotent under reinvocation: the patched claim is ReadWriteMany on a class this policy considers RWX-capable and
/// carries rwx-guard.io/mutated, which yields no patch and no finding.
/// </remarks>
public sealed class ClaimMutationPolicy
{
    /// <summary>
    /// PersistentVolumeClaim UPDATE of a claim rwx-guard changed at creation. Its manifest still says ReadWriteOnce (and
    /// maybe another class), so every <c>kubectl apply</c> or <c>helm upgrade</c> of that unchanged manifest sends the old
    /// values back, and the API server would reject the update: a claim's access modes and class are immutable. Putting
    /// back what the live claim already has turns that doomed update into the one the user meant (labels, size, …).
    /// </summary>
    public PolicyResult EvaluateUpdate(ClaimInfo claim, ClaimInfo old)
    {
        if (!old.Annotations.ContainsKey(WellKnown.MutatedAnnotation)) return PolicyResult.Empty;

        var admitted = claim with
        {
            SpecModes = old.SpecModes,
            StorageClassName = old.StorageClassName ?? claim.StorageClassName,
        };
        if (admitted.SpecModes == claim.SpecModes && admitted.StorageClassName == claim.StorageClassName) return PolicyResult.Empty;

        var kept = $"{AccessModeSet.Short(old.SpecModes)} on {MutationRecord.FormatClass(old.StorageClassName)}";
        return new PolicyResult([new Finding(Rules.ClaimMutated, FindingKind.Warning,
            $"PersistentVolumeClaim {claim.Key} was made {AccessModeSet.Format(old.SpecModes)} on " +
            $"{MutationRecord.FormatClass(old.StorageClassName)} by rwx-guard when it was created; this update asked for " +
            $"{AccessModeSet.Format(claim.SpecModes)} on {MutationRecord.FormatClass(claim.StorageClassName)}, which the API " +
            "server would reject (immutable), so the live values were kept. Update the manifest to match.",
            Text.Warning($"claim {claim.Name}: kept {kept} set at creation (spec is immutable); update the manifest"))], admitted);
    }

    /// <summary>PersistentVolumeClaim CREATE (a claim's modes and class are immutable afterwards).</summary>
    public PolicyResult EvaluateCreate(ClaimInfo claim, IClusterView view, MutationOptions options, PolicyOptions policy)
    {
        var selectedBy = ClaimSelection.Match(claim, options.EffectiveSelectors, view);
        if (selectedBy is null) return PolicyResult.Empty;

        var what = $"PersistentVolumeClaim {claim.Key} (selected by {selectedBy})";
        var modes = AccessModeSet.Short(claim.SpecModes);
        var isRwx = claim.SpecModes.HasFlag(AccessModes.ReadWriteMany);

        // Claims whose class and modes are dictated by something else than the claim itself.
        if (claim.VolumeName is { } volume)
            return LeftAlone(
                $"{what} is pinned to PersistentVolume {volume} (spec.volumeName): it binds to that volume as it is, so " +
                "rwx-guard leaves its access modes and class unchanged.",
                $"claim {claim.Name} is pinned to volume {volume}: left {modes}, not changed");
        if (claim.HasDataSource)
            return LeftAlone(
                $"{what} is a clone or a restore (spec.dataSource/dataSourceRef): its class must match the source's, so " +
                "rwx-guard leaves its access modes and class unchanged.",
                $"claim {claim.Name} is a clone/restore (dataSource): left {modes}, not changed");
        if (claim.StorageClassName is "")
            return LeftAlone(
                $"{what} asks for a pre-provisioned volume with no class (storageClassName: \"\"), so rwx-guard leaves " +
                "its access modes and class unchanged.",
                $"claim {claim.Name} asks for a pre-provisioned volume (storageClassName \"\"): left {modes}");

        var lookup = view.StorageClasses;
        if (lookup.Outcome == LookupOutcome.Unavailable)
        {
            var findings = new List<Finding>(1);
            Finding.Add(findings, policy.OnClusterUnavailable, Rules.ClusterUnavailable,
                $"rwx-guard cannot choose a StorageClass for {what}: its view of the cluster is not available " +
                $"({view.Status.Detail}). The claim is left {AccessModeSet.Format(claim.SpecModes)}.",
                $"cluster view unavailable; claim {claim.Name} left {modes}, not made ReadWriteMany");
            return PolicyResult.Of(findings);
        }
        if (lookup.Outcome == LookupOutcome.NotFound)
        {
            // Offline: no StorageClass can be seen, so none can be trusted with ReadWriteMany.
            return isRwx
                ? LeftAlone(
                    $"{what} is already ReadWriteMany; rwx-guard runs offline and cannot check its StorageClass.",
                    $"claim {claim.Name} is already RWX; StorageClass not checked (offline)")
                : NoRwxClass(claim, what, options, [], offline: true);
        }

        var classes = new RwxStorageClasses(lookup.Value ?? [], options, claim.Namespace);
        var current = classes.EffectiveClassOf(claim);
        if (current is not null && classes.IsRwxCapable(current))
        {
            if (isRwx)
            {
                // Our own patched claim on reinvocation: nothing new to say.
                if (claim.Annotations.ContainsKey(WellKnown.MutatedAnnotation)) return PolicyResult.Empty;
                return LeftAlone(
                    $"{what} is already ReadWriteMany on RWX-capable StorageClass {current.Name}: nothing to change.",
                    $"claim {claim.Name} is already RWX on RWX-capable StorageClass {current.Name}: not changed");
            }
            // The class can already serve ReadWriteMany: keep it and change the modes only. A claim that names no class
            // gets its (RWX-capable) default written in, so a later change of the cluster default cannot strand it.
            var keep = string.IsNullOrEmpty(claim.StorageClassName) ? new ClassChoice(current, "cluster default", []) : null;
            return Mutate(claim, what, keep, current.Name, []);
        }

        var resolution = classes.Resolve();
        var missing = resolution.Missing.Select(MissingFinding).ToList();
        return resolution.Choice is { } choice
            ? Mutate(claim, what, choice, choice.Class.Name, missing)
            : NoRwxClass(claim, what, options, missing, offline: false);
    }

    private static PolicyResult Mutate(ClaimInfo claim, string what, ClassChoice? choice, string finalClass, List<Finding> findings)
    {
        var record = MutationRecord.Describe(claim, choice);
        var admitted = claim with
        {
            SpecModes = AccessModes.ReadWriteMany,
            StorageClassName = choice?.Class.Name ?? claim.StorageClassName,
            Annotations = new Dictionary<string, string>(claim.Annotations, StringComparer.Ordinal) { [WellKnown.MutatedAnnotation] = record },
        };

        var changes = new List<string>(2);
        if (claim.SpecModes != AccessModes.ReadWriteMany) changes.Add($"{AccessModeSet.Short(claim.SpecModes)} -> RWX");
        if (choice is not null && claim.StorageClassName != choice.Class.Name)
            changes.Add($"StorageClass {MutationRecord.FormatClass(claim.StorageClassName)} -> {choice.Class.Name}");
        var warning = choice is null
            ? $"claim {claim.Name} changed: {changes[0]} on RWX-capable StorageClass {finalClass}"
            : $"claim {claim.Name} changed: {string.Join(", ", changes)}";

        findings.Insert(0, new Finding(Rules.ClaimMutated, FindingKind.Warning,
            $"{what} is created ReadWriteMany on StorageClass {finalClass} so that several pods can mount it: {record}. " +
            $"Recorded in annotation {WellKnown.MutatedAnnotation}.",
            Text.Warning(warning)));

        if (choice is { Tied.Count: > 0 })
        {
            var all = string.Join(", ", new[] { choice.Class }.Concat(choice.Tied).Select(c => c.Name));
            findings.Add(new Finding(Rules.ClaimMutated, FindingKind.Warning,
                $"{choice.Tied.Count + 1} RWX-capable StorageClasses rank equally ({all}); rwx-guard chose {choice.Class.Name} " +
                "(the cluster default first, then by name). Set Mutation:StorageClass to choose one.",
                Text.Warning($"{choice.Tied.Count + 1} RWX classes match; chose {choice.Class.Name}; set Mutation:StorageClass to pick one")));
        }
        return new PolicyResult(findings, admitted);
    }

    private static PolicyResult NoRwxClass(ClaimInfo claim, string what, MutationOptions options, List<Finding> findings, bool offline)
    {
        var why = offline
            ? "rwx-guard runs offline and cannot see the cluster's StorageClasses"
            : findings.Count > 0
                ? "the configured class does not exist and no other RWX-capable StorageClass is known"
                : "no RWX-capable StorageClass is known in this cluster";
        var modes = AccessModeSet.Format(claim.SpecModes);
        Finding.Add(findings, options.OnNoRwxClass, Rules.NoRwxClass,
            $"{what} should be ReadWriteMany so that several pods can mount it, but {why}; ReadWriteMany without an " +
            $"RWX-capable class would leave the claim Pending, so {(options.OnNoRwxClass == RuleAction.Deny ? "rwx-guard refuses it (Mutation:OnNoRwxClass: Deny)" : $"it is left {modes}")}. " +
            "To fix: set Mutation:StorageClass (or Mutation:Namespaces:<namespace>:StorageClass) in rwx-guard's settings " +
            $"to an RWX-capable class, or mark one with: kubectl annotate storageclass <name> {WellKnown.RwxClassAnnotation}=true. " +
            $"Classes of known RWX provisioners ({Text.RwxClasses}) are found automatically.",
            offline
                ? $"claim {claim.Name} left {AccessModeSet.Short(claim.SpecModes)}: offline, no RWX StorageClass known"
                : $"claim {claim.Name} left {AccessModeSet.Short(claim.SpecModes)}: no RWX StorageClass; set Mutation:StorageClass");
        return PolicyResult.Of(findings);
    }

    private static Finding MissingFinding(MissingClass missing) => new(
        Rules.StorageClassNotFound, FindingKind.Warning,
        $"StorageClass {missing.Name} ({missing.SettingKey}) does not exist in the cluster, so rwx-guard does not use it.",
        Text.Warning($"StorageClass {missing.Name} ({missing.SettingKey}) not found in the cluster; not used"));

    private static PolicyResult LeftAlone(string message, string warning) =>
        PolicyResult.Of([new Finding(Rules.ClaimLeftAlone, FindingKind.Warning, message, Text.Warning(warning))]);

}
