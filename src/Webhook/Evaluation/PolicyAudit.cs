using System.Text.Json.Nodes;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Evaluation;

/// <summary>
/// Both policies over a set of objects, with no request in sight: what the <c>audit</c> CLI prints and what the
/// in-cluster background audit writes as PolicyReports. Pure: a view, the subjects and the settings in, results out.
/// The decisions are the webhook's own (<see cref="ReplicatedWorkloadPolicy"/>, <see cref="ClaimMutationPolicy"/>);
/// this class only chooses what to evaluate and turns findings into results.
/// </summary>
/// <remarks>
/// Order of evaluation follows admission: claims being created go through the mutator first, and every later check
/// (the workloads, the autoscalers, the PVC CREATE check) sees them as mutated, like the validating webhook, which runs
/// after all mutating webhooks.
/// <list type="bullet">
/// <item>Workloads: <see cref="ReplicatedWorkloadPolicy.EvaluateWorkload"/> as a CREATE (no old object, so old
/// violations are reported as violations, not ratcheted). Workloads that mount no claim, and ReplicaSets owned by a
/// Deployment, get no result.</item>
/// <item>Autoscalers: <see cref="ReplicatedWorkloadPolicy.EvaluateAutoscaler"/>.</item>
/// <item>New claims: the cluster default class when they name none (the DefaultStorageClass plugin runs before
/// webhooks), <see cref="ClaimMutationPolicy.EvaluateCreate"/>, then
/// <see cref="ReplicatedWorkloadPolicy.EvaluateClaimCreate"/> on the claim as mutated, counting only workloads that
/// are not subjects themselves (a subject's violation is reported once, on the subject).</item>
/// <item>Existing claims selected by the mutation selectors: pass when multi-attach, warn when still single-attach.</item>
/// </list>
/// One result per finding; a subject without findings gets one <c>pass</c>.
/// </remarks>
public static class PolicyAudit
{
    public const string PolicyName = "rwx-guard";

    /// <summary>Category of Policy 1 (no replicated workload on a single-attach claim).</summary>
    public const string SingleAttachCategory = "Shared storage";

    /// <summary>Category of Policy 2 (AnythingLLM claims become ReadWriteMany).</summary>
    public const string ClaimCategory = "ReadWriteMany claims";

    private static readonly ReplicatedWorkloadPolicy Validator = new();
    private static readonly ClaimMutationPolicy Mutator = new();

    /// <summary>A failure in a namespace whose mode is enforce: the webhook would deny it.</summary>
    public static bool WouldDeny(AuditResult result) =>
        result.Result == AuditOutcome.Fail && result.Properties.GetValueOrDefault("mode") == EnforcementModes.Label(EnforcementMode.Enforce);

    /// <summary>Everything the view holds, as existing objects (the background audit).</summary>
    public static IReadOnlyList<AuditResult> Evaluate(IClusterView view, PolicyOptions policy, MutationOptions mutation) =>
        Evaluate(view, AuditSubjects.Existing(view), policy, mutation);

    public static IReadOnlyList<AuditResult> Evaluate(IClusterView view, AuditSubjects subjects, PolicyOptions policy,
        MutationOptions mutation)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(subjects);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(mutation);

        var results = new List<AuditResult>();
        // The mode admission would use in each namespace (settings, namespace label, global), as reports must say.
        var modes = new Dictionary<string, string>(StringComparer.Ordinal);
        string ModeOf(string @namespace)
        {
            if (!modes.TryGetValue(@namespace, out var label))
                modes[@namespace] = label = EnforcementModes.Label(EnforcementModes.Resolve(policy, @namespace, view).Mode);
            return label;
        }

        // 1. The mutating webhook runs first: claims being created, as they would be stored.
        var admitted = new Dictionary<ObjectKey, ClaimInfo>();
        var mutations = new List<(ClaimInfo Claim, ClaimInfo Admitted, PolicyResult Result)>(subjects.NewClaims.Count);
        foreach (var created in subjects.NewClaims)
        {
            var claim = WithDefaultStorageClass(created, view);
            var result = Mutator.EvaluateCreate(claim, view, mutation, policy);
            var stored = result.Admitted ?? claim;
            admitted[claim.Key] = stored;
            mutations.Add((claim, stored, result));
        }
        var admittedView = new AdmittedClaimsView(view, admitted);
        var subjectWorkloads = subjects.Workloads.Select(w => (w.Kind, w.Key)).ToHashSet();
        var claimCreateView = new AdmittedClaimsView(view, admitted, subjectWorkloads);

        // 2. Claims being created: what the mutator would do, then the PVC CREATE check on the mutated claim.
        foreach (var (claim, stored, mutationResult) in mutations)
        {
            var selectedBy = ClaimSelection.Match(claim, mutation.EffectiveSelectors, view);
            var properties = ClaimProperties(stored, selectedBy, ModeOf(claim.Namespace));
            var resource = Ref(claim);
            for (var i = 0; i < mutationResult.Findings.Count; i++)
            {
                var finding = mutationResult.Findings[i];
                if (i == 0 && mutationResult.Admitted is not null && finding.Rule == Rules.ClaimMutated)
                {
                    // The change itself (ClaimMutationPolicy puts it first): with rwx-guard installed the claim is fine.
                    properties["mutation"] = stored.Annotations.GetValueOrDefault(WellKnown.MutatedAnnotation, "");
                    var was = string.IsNullOrEmpty(claim.StorageClassName)
                        ? $"{AccessModeSet.Short(claim.SpecModes)}, no StorageClass"
                        : $"{AccessModeSet.Short(claim.SpecModes)} on {claim.StorageClassName}";
                    results.Add(Result(resource, finding, AuditOutcome.Pass, ClaimCategory, properties,
                        $"mutation: would set ReadWriteMany on {MutationRecord.FormatClass(stored.StorageClassName)} (was {was})"));
                    continue;
                }
                var outcome = finding.Rule == Rules.ClaimLeftAlone && !stored.IsSingleAttach ? AuditOutcome.Pass : OutcomeOf(finding);
                results.Add(Result(resource, finding, outcome, ClaimCategory, properties));
            }
            if (selectedBy is not null && mutationResult.Findings.Count == 0)
            {
                results.Add(Pass(resource, Rules.ClaimMutated, ClaimCategory, properties,
                    $"PersistentVolumeClaim {claim.Key} (selected by {selectedBy}) is already " +
                    $"{AccessModeSet.Format(stored.SpecModes)} on StorageClass {MutationRecord.FormatClass(stored.StorageClassName)}.",
                    $"claim {claim.Name} is already {AccessModeSet.Short(stored.SpecModes)} on {MutationRecord.FormatClass(stored.StorageClassName)}"));
            }

            foreach (var finding in Validator.EvaluateClaimCreate(stored, claimCreateView, policy).Findings)
                results.Add(Result(resource, finding, OutcomeOf(finding), SingleAttachCategory, properties));
        }

        // 3. Claims that already exist keep their modes and class: report the selected ones as they are.
        foreach (var claim in subjects.ExistingClaims)
        {
            if (ClaimSelection.Match(claim, mutation.EffectiveSelectors, view) is not { } selectedBy) continue;
            results.Add(ExistingClaim(claim, selectedBy, ModeOf(claim.Namespace)));
        }

        // 4. Workloads, against the claims as admitted.
        foreach (var workload in subjects.Workloads)
        {
            if (workload.Template.ClaimNames.Count == 0 || ReplicatedWorkloadPolicy.IsDecidedThroughItsDeployment(workload, admittedView)) continue;
            var source = ReplicatedWorkloadPolicy.ReplicasOf(workload, admittedView, policy);
            var claims = DescribeClaims(workload.Namespace, workload.Template.ClaimNames, admittedView);
            var properties = new Dictionary<string, string>
            {
                ["mode"] = ModeOf(workload.Namespace),
                ["replicas"] = source.PerNode ? "1/node" : source.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["claims"] = claims,
            };
            var resource = Ref(workload);
            var findings = Validator.EvaluateWorkload(workload, null, admittedView, policy).Findings;
            foreach (var finding in findings)
                results.Add(Result(resource, finding, OutcomeOf(finding), SingleAttachCategory, properties));
            if (findings.Count == 0)
            {
                var text = $"{workload} {source.Description} on {claims}";
                results.Add(Pass(resource, Rules.ReplicatedSingleAttach, SingleAttachCategory, properties, text + ".", text));
            }
        }

        // 5. Autoscalers given as objects of their own.
        foreach (var hpa in subjects.Autoscalers)
        {
            var findings = Validator.EvaluateAutoscaler(hpa, null, admittedView, policy).Findings;
            var target = hpa.Target is { } kind ? admittedView.GetWorkload(kind, hpa.Namespace, hpa.TargetName) : default;
            if (findings.Count == 0 && target.Value is not { Template.ClaimNames.Count: > 0 }) continue;
            var properties = new Dictionary<string, string>
            {
                ["mode"] = ModeOf(hpa.Namespace),
                ["replicas"] = hpa.MaxReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["target"] = $"{hpa.TargetKind} {new ObjectKey(hpa.Namespace, hpa.TargetName)}",
            };
            if (target.Value is { } workload)
                properties["claims"] = DescribeClaims(workload.Namespace, workload.Template.ClaimNames, admittedView);
            var resource = Ref(hpa);
            foreach (var finding in findings)
                results.Add(Result(resource, finding, OutcomeOf(finding), SingleAttachCategory, properties));
            if (findings.Count == 0)
            {
                var text = $"HorizontalPodAutoscaler {hpa.Key} scales {properties["target"]} to at most " +
                           $"{Text.Plural(hpa.MaxReplicas, "replica")} on {properties["claims"]}";
                results.Add(Pass(resource, Rules.ReplicatedSingleAttach, SingleAttachCategory, properties, text + ".", text));
            }
        }

        return results
            .OrderBy(r => r.Resource.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Resource.Kind, StringComparer.Ordinal)
            .ThenBy(r => r.Resource.Name, StringComparer.Ordinal)
            .ThenBy(r => r.Rule, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// What the API server's DefaultStorageClass admission plugin does before any webhook sees a new claim: a claim with
    /// no <c>storageClassName</c> at all gets the cluster's default class (with several defaults, the first by name, as
    /// the mutator assumes). <c>storageClassName: ""</c> asks for no class and is left alone.
    /// </summary>
    public static ClaimInfo WithDefaultStorageClass(ClaimInfo claim, IClusterView view)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(view);
        if (claim.StorageClassName is not null || view.StorageClasses.Value is not { } classes) return claim;
        return RwxStorageClasses.DefaultClass(classes) is { } fallback ? claim with { StorageClassName = fallback.Name } : claim;
    }

    private static AuditResult ExistingClaim(ClaimInfo claim, string selectedBy, string mode)
    {
        var properties = ClaimProperties(claim, selectedBy, mode);
        var modes = AccessModeSet.Format(claim.EffectiveModes);
        var shortModes = AccessModeSet.Short(claim.EffectiveModes);
        var storageClass = MutationRecord.FormatClass(claim.StorageClassName);
        if (!claim.IsSingleAttach)
        {
            return Pass(Ref(claim), Rules.ClaimMutated, ClaimCategory, properties,
                $"PersistentVolumeClaim {claim.Key} (selected by {selectedBy}) is {modes} on StorageClass {storageClass}.",
                $"claim {claim.Name} is {shortModes} on {storageClass}");
        }
        return new AuditResult
        {
            Resource = Ref(claim),
            Rule = Rules.ClaimMutated,
            Result = AuditOutcome.Warn,
            Severity = AuditSeverity.Low,
            Category = ClaimCategory,
            Message = $"PersistentVolumeClaim {claim.Key} (selected by {selectedBy}) is {modes} on StorageClass " +
                      $"{storageClass}: it was created before rwx-guard, or left alone. Access modes and class cannot change " +
                      "after creation, so it stays single-attach and only one pod can use it. To scale out, create a new " +
                      $"ReadWriteMany claim on an RWX-capable class ({Text.RwxClasses}), copy the data, and mount that one.",
            Summary = Cut($"claim {claim.Name} exists as {shortModes}: only 1 pod can use it; migrate to a new RWX claim"),
            Properties = properties,
        };
    }

    private static Dictionary<string, string> ClaimProperties(ClaimInfo claim, string? selectedBy, string mode)
    {
        var properties = new Dictionary<string, string>
        {
            ["mode"] = mode,
            ["accessModes"] = AccessModeSet.Short(claim.EffectiveModes),
            ["storageClass"] = MutationRecord.FormatClass(claim.StorageClassName),
        };
        if (selectedBy is not null) properties["selectedBy"] = selectedBy;
        return properties;
    }

    /// <summary>"a (RWO), b (RWX)"; a claim the view does not know is "(not found)".</summary>
    private static string DescribeClaims(string @namespace, IReadOnlyList<string> names, IClusterView view) =>
        (names.Count == 1 ? "claim " : "claims ") + string.Join(", ", names.Select(name =>
        {
            var lookup = view.GetClaim(@namespace, name);
            return lookup.Outcome switch
            {
                LookupOutcome.Found => $"{name} ({AccessModeSet.Short(lookup.Value!.EffectiveModes)})",
                LookupOutcome.NotFound => $"{name} (not found)",
                _ => $"{name} (unknown)",
            };
        }));

    private static AuditOutcome OutcomeOf(Finding finding) =>
        finding.Kind == FindingKind.Violation ? AuditOutcome.Fail
        : finding.Rule == Rules.ClusterUnavailable ? AuditOutcome.Error
        : AuditOutcome.Warn;

    private static AuditSeverity SeverityOf(string rule) => rule switch
    {
        Rules.ReplicatedSingleAttach or Rules.ExistingViolation => AuditSeverity.High,
        // Shared claims: the same Multi-Attach failure, unless the pods all run on one node, which the view cannot tell.
        Rules.SharedSingleAttach or Rules.RollingUpdateSurge or Rules.AnythingLlmSqlite or Rules.AnythingLlmLanceDb
            or Rules.NoRwxClass => AuditSeverity.Medium,
        Rules.ClaimNotFound or Rules.WorkloadNotFound or Rules.StorageClassNotFound or Rules.ClaimLeftAlone
            or Rules.ClaimMutated => AuditSeverity.Low,
        _ => AuditSeverity.Info,
    };

    private static AuditResult Result(ResourceRef resource, Finding finding, AuditOutcome outcome, string category,
        IReadOnlyDictionary<string, string> properties, string? summary = null) => new()
        {
            Resource = resource,
            Rule = finding.Rule,
            Result = outcome,
            Severity = SeverityOf(finding.Rule),
            Category = category,
            Message = finding.Message,
            Summary = Cut(summary ?? StripPrefix(finding.Warning)),
            Properties = new Dictionary<string, string>(properties),
        };

    private static AuditResult Pass(ResourceRef resource, string rule, string category,
        IReadOnlyDictionary<string, string> properties, string message, string summary) => new()
        {
            Resource = resource,
            Rule = rule,
            Result = AuditOutcome.Pass,
            Severity = SeverityOf(rule),
            Category = category,
            Message = message,
            Summary = Cut(summary),
            Properties = new Dictionary<string, string>(properties),
        };

    private static string StripPrefix(string warning) =>
        warning.StartsWith(Text.WarningPrefix, StringComparison.Ordinal) ? warning[Text.WarningPrefix.Length..] : warning;

    /// <summary>One line under <see cref="Text.MaxWarningLength"/> characters.</summary>
    private static string Cut(string text) => Text.Cut(text, Text.MaxWarningLength - 1);

    private static ResourceRef Ref(WorkloadInfo workload) =>
        new("apps/v1", workload.Kind.ToString(), workload.Namespace, workload.Name, workload.Uid);

    private static ResourceRef Ref(ClaimInfo claim) =>
        new("v1", "PersistentVolumeClaim", claim.Namespace, claim.Name, claim.Uid);

    private static ResourceRef Ref(HpaInfo hpa) =>
        new("autoscaling/v2", "HorizontalPodAutoscaler", hpa.Namespace, hpa.Name, hpa.Uid);

}
