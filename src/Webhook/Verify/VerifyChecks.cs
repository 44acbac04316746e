using RwxGuard.Mapping;
using k8s.Models;
using RwxGuard.Audit;
using RwxGuard.Cluster;
using RwxGuard.Policies;
using RwxGuard.Migrate;
using RwxGuard.Reporting;
using RwxGuard.Domain;
using RwxGuard.Evaluation;

namespace RwxGuard.Verify;

/// <summary>
/// The checks of <c>webhook verify</c>: what the manual fix's checklist and verify-multi-pod-setup.sh looked at, as
/// pure functions of <see cref="VerifyInput"/>. The policy findings (AnythingLLM's SQLite and vector-database warnings,
/// and every rule added later) come from <see cref="PolicyAudit"/> itself, never from a copy.
/// </summary>
public static class VerifyChecks
{
    public const string WebhookName = "validate.rwx-guard.io";
    public static readonly TimeSpan EventWindow = TimeSpan.FromHours(1);
    /// <summary>A pod creating its containers longer than this is stuck (attach and mount usually take seconds).</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(2);

    public static IReadOnlyList<CheckResult> Evaluate(VerifyInput input, string? workloadName = null, WorkloadKind? workloadKind = null)
    {
        var results = new List<CheckResult>();
        results.AddRange(WebhookChecks(input));

        var workloads = input.Deployments.Select(d => (Info: ModelMapping.ToWorkload(d), Selector: d.Spec?.Selector?.MatchLabels, Ready: d.Status?.ReadyReplicas ?? 0))
            .Concat(input.StatefulSets.Select(s => (Info: ModelMapping.ToWorkload(s), Selector: s.Spec?.Selector?.MatchLabels, Ready: s.Status?.ReadyReplicas ?? 0)))
            .Where(w => w.Info.Template.ClaimNames.Count > 0)
            .Where(w => workloadName is null || (w.Info.Name == workloadName && w.Info.Kind == workloadKind))
            .OrderBy(w => w.Info.Kind).ThenBy(w => w.Info.Name, StringComparer.Ordinal)
            .ToList();
        var claims = input.Claims.Select(c => ModelMapping.ToClaim(c)).ToList();
        var view = new ManifestClusterView(claims, workloads.Select(w => w.Info), input.Autoscalers, input.StorageClasses);
        var audit = PolicyAudit.Evaluate(view, new AuditSubjects { Workloads = [.. workloads.Select(w => w.Info)] }, input.Policy, input.Mutation);
        var classes = new RwxStorageClasses(input.StorageClasses, input.Mutation, input.Namespace);

        foreach (var (workload, selector, ready) in workloads)
        {
            var subject = $"{workload.Kind.ToString().ToLowerInvariant()}/{workload.Name}";
            var desired = workload.EffectiveReplicas;
            var pods = input.Pods.Where(p => selector is { Count: > 0 } && selector.All(l => p.Metadata.Labels.Value(l.Key) == l.Value)).ToList<V1Pod>();

            foreach (var name in workload.Template.ClaimNames)
            {
                var claim = claims.FirstOrDefault(c => c.Name == name);
                if (claim is null)
                {
                    results.Add(new(CheckStatus.Fail, subject, "claim", $"persistentvolumeclaim {name} not found"));
                    continue;
                }
                var modes = AccessModeSet.Short(claim.EffectiveModes);
                var className = claim.StorageClassName ?? "(none)";
                if (!claim.Bound)
                    results.Add(new(CheckStatus.Fail, subject, "claim", $"{name} is not Bound ({modes}, class {className}): pods cannot start"));
                else if (claim.IsSingleAttach)
                    results.Add(new(desired > 1 ? CheckStatus.Fail : CheckStatus.Warn, subject, "claim",
                        $"{name} is {modes} on {className}: only pods on one node can mount it" +
                        (desired > 1 ? $", and {desired} replicas want it" : "; to scale out: webhook migrate " + subject + " -n " + input.Namespace)));
                else
                    results.Add(new(CheckStatus.Pass, subject, "claim", $"{name} is {modes} on {className}"));

                if (!claim.IsSingleAttach)
                {
                    var storageClass = claim.StorageClassName is { } c ? classes.Find(c) : null;
                    results.Add(storageClass is null
                        ? new(CheckStatus.Warn, subject, "class", $"storageclass {className} of {name} not found: cannot tell whether it supports ReadWriteMany")
                        : classes.IsRwxCapable(storageClass)
                            ? new(CheckStatus.Pass, subject, "class", $"{storageClass.Name} ({storageClass.Provisioner}) supports ReadWriteMany")
                            : new(CheckStatus.Warn, subject, "class", $"{storageClass.Name} ({storageClass.Provisioner}) is not a known RWX provisioner: mounts on several nodes may fail"));
                }
            }

            var nodes = pods.Select(p => p.Spec?.NodeName).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            var where = nodes.Count == 0 ? "no pod scheduled" : $"on {string.Join(", ", nodes)}";
            results.Add(new(ready >= desired ? CheckStatus.Pass : CheckStatus.Fail, subject, "replicas", $"{ready}/{desired} ready, {where}"));

            foreach (var pod in pods)
            {
                var waiting = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.State?.Waiting?.Reason == "ContainerCreating");
                var since = pod.Status?.StartTime ?? pod.Metadata.CreationTimestamp;
                if (waiting is not null && since is { } start && input.Now - start >= StuckAfter)
                    results.Add(new(CheckStatus.Fail, subject, "pods", $"pod {pod.Metadata.Name} stuck in ContainerCreating for {Age(input.Now - start)}" +
                                                                    (pod.Spec?.NodeName is { } n ? $" on {n}" : "")));
            }
            if (!results.Any(r => r.Subject == subject && r.Check == "pods"))
                results.Add(new(CheckStatus.Pass, subject, "pods", pods.Count == 0 ? "no pods" : $"no pod stuck in ContainerCreating ({pods.Count} pods)"));

            var podNames = pods.Select(p => p.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            var volumeEvents = input.Events
                .Where(e => e.Type == "Warning" && input.Now - LastSeen(e) <= EventWindow)
                .Where(e => IsAbout(e, workload, podNames, input.Claims))
                .Where(e => e.Reason is "FailedAttachVolume" or "FailedMount" || (e.Reason == "FailedScheduling" && IsVolumeReason(e.Message)))
                .OrderByDescending(LastSeen).ToList();
            foreach (var reason in volumeEvents.GroupBy(e => e.Reason))
            {
                var latest = reason.First();
                results.Add(new(CheckStatus.Fail, subject, "events",
                    $"{reason.Key} ×{reason.Sum(e => e.Count ?? 1)} in the last hour, latest {Age(input.Now - LastSeen(latest))} ago on " +
                    $"{latest.InvolvedObject?.Kind?.ToLowerInvariant()}/{latest.InvolvedObject?.Name}: {OneLine(latest.Message)}"));
            }
            if (volumeEvents.Count == 0)
                results.Add(new(CheckStatus.Pass, subject, "events", "no FailedAttachVolume, FailedMount or volume FailedScheduling event in the last hour"));

            foreach (var finding in audit.Where(r => r.Resource.Kind == workload.Kind.ToString() && r.Resource.Name == workload.Name))
            {
                if (finding.Result is AuditOutcome.Pass) continue;
                results.Add(new(finding.Result == AuditOutcome.Fail ? CheckStatus.Fail : CheckStatus.Warn, subject, $"policy {finding.Rule}", finding.Summary));
            }
        }
        return results;
    }

    /// <summary>Exit code: 0 nothing failed, 1 something did.</summary>
    public static int ExitCode(IReadOnlyList<CheckResult> results) => results.Any(r => r.Status == CheckStatus.Fail) ? 1 : 0;

    private static IEnumerable<CheckResult> WebhookChecks(VerifyInput input)
    {
        const string subject = "rwx-guard";
        var webhook = input.Webhooks.SelectMany(c => (c.Webhooks ?? []).Select(w => (Config: c, Hook: w))).FirstOrDefault(w => w.Hook.Name == WebhookName);
        if (!input.WebhooksReadable)
        {
            yield return new(CheckStatus.Warn, subject, "webhook", "unknown: not allowed to list validatingwebhookconfigurations (see deploy/manifests/operators)");
            yield break;
        }
        if (webhook.Hook is null)
        {
            yield return new(CheckStatus.Warn, subject, "webhook", $"not installed (no ValidatingWebhookConfiguration with webhook {WebhookName}): nothing stops a scale-out onto a single-attach claim");
            yield break;
        }
        var applies = Matches(webhook.Hook.NamespaceSelector, input.NamespaceLabels);
        yield return applies
            ? new(CheckStatus.Pass, subject, "webhook", $"installed (validatingwebhookconfiguration/{webhook.Config.Metadata.Name}, failurePolicy {webhook.Hook.FailurePolicy ?? "Fail"}) and applies to namespace {input.Namespace}")
            : new(CheckStatus.Warn, subject, "webhook", $"installed (validatingwebhookconfiguration/{webhook.Config.Metadata.Name}) but its namespaceSelector excludes namespace {input.Namespace}");
        var view = new NamespaceLabelsView(input.Namespace, input.NamespaceLabels);
        var mode = EnforcementModes.Resolve(input.Policy, input.Namespace, view);
        var source = mode.Source switch
        {
            EnforcementModes.FromNamespaceLabel => $"namespace label {input.Policy.ModeLabel}",
            EnforcementModes.FromNamespaceSettings => $"Policy:Namespaces:{input.Namespace}:Mode in {input.SettingsSource}",
            _ => $"Policy:Mode in {input.SettingsSource}",
        };
        yield return new(mode.Mode == EnforcementMode.Enforce ? CheckStatus.Pass : CheckStatus.Warn, subject, "mode",
            $"{mode.Mode} in namespace {input.Namespace} ({source})");
    }

    /// <summary>A namespaceSelector's matchLabels and matchExpressions against the namespace's labels.</summary>
    private static bool Matches(V1LabelSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null) return true;
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
            if (labels.GetValueOrDefault(key) != value) return false;
        foreach (var e in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(e.Key, out var v);
            var ok = e.OperatorProperty switch
            {
                "In" => has && (e.Values ?? []).Contains(v!),
                "NotIn" => !has || !(e.Values ?? []).Contains(v!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => true,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>
    /// Events about the workload's pods that exist now, or about its claims as they exist now (newer than the claim):
    /// a Multi-Attach error of a pod that is gone, or of the claim a migration replaced, is history, not a problem.
    /// </summary>
    private static bool IsAbout(Corev1Event e, WorkloadInfo workload, HashSet<string> pods, IReadOnlyList<V1PersistentVolumeClaim> claims) =>
        e.InvolvedObject?.Kind switch
        {
            "Pod" => pods.Contains(e.InvolvedObject.Name),
            "PersistentVolumeClaim" => workload.Template.ClaimNames.Contains(e.InvolvedObject.Name)
                                       && claims.FirstOrDefault(c => c.Metadata.Name == e.InvolvedObject.Name) is { } claim
                                       && (e.InvolvedObject.Uid is null || e.InvolvedObject.Uid == claim.Metadata.Uid),
            _ => false,
        };

    private static bool IsVolumeReason(string? message) =>
        message is not null && (message.Contains("persistentvolumeclaim", StringComparison.OrdinalIgnoreCase)
                                || message.Contains("volume", StringComparison.OrdinalIgnoreCase));

    private static DateTimeOffset LastSeen(Corev1Event e) =>
        e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp ?? DateTime.MinValue;

    private static string OneLine(string? text)
    {
        var line = (text ?? "").ReplaceLineEndings(" ");
        return line.Length <= 160 ? line : line[..157] + "...";
    }

    private static string Age(TimeSpan span) => span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes}m" : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m" : $"{(int)span.TotalSeconds}s";

    /// <summary>Only the namespace's labels: all EnforcementModes needs from a view.</summary>
    private sealed class NamespaceLabelsView(string name, IReadOnlyDictionary<string, string> labels) : IClusterView
    {
        public ClusterViewStatus Status => new(false, true, "verify");
        public Lookup<NamespaceInfo> GetNamespace(string ns) =>
            ns == name ? Lookup<NamespaceInfo>.Found(new NamespaceInfo { Name = name, Labels = labels }) : Lookup<NamespaceInfo>.NotFound;
        public Lookup<ClaimInfo> GetClaim(string @namespace, string claim) => Lookup<ClaimInfo>.NotFound;
        public Lookup<WorkloadInfo> GetWorkload(WorkloadKind kind, string @namespace, string workload) => Lookup<WorkloadInfo>.NotFound;
        public IReadOnlyList<WorkloadInfo> WorkloadsMountingClaim(string @namespace, string claimName) => [];
        public IReadOnlyList<HpaInfo> AutoscalersTargeting(WorkloadKind kind, string @namespace, string workload) => [];
        public IReadOnlyList<WorkloadInfo> ListWorkloads() => [];
        public IReadOnlyList<ClaimInfo> ListClaims() => [];
        public Lookup<IReadOnlyList<StorageClassInfo>> StorageClasses => Lookup<IReadOnlyList<StorageClassInfo>>.Found([]);
    }
}
