using k8s.Models;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Domain;

namespace RwxGuard.Verify;

/// <summary>Everything <c>webhook verify</c> looks at, read once from the cluster (or built by a test).</summary>
public sealed record VerifyInput
{
    public required string Namespace { get; init; }
    public IReadOnlyDictionary<string, string> NamespaceLabels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<V1Deployment> Deployments { get; init; } = [];
    public IReadOnlyList<V1StatefulSet> StatefulSets { get; init; } = [];
    public IReadOnlyList<V1PersistentVolumeClaim> Claims { get; init; } = [];
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];
    public IReadOnlyList<Corev1Event> Events { get; init; } = [];
    public IReadOnlyList<HpaInfo> Autoscalers { get; init; } = [];
    public IReadOnlyList<StorageClassInfo> StorageClasses { get; init; } = [];
    /// <summary>The ValidatingWebhookConfigurations that hold rwx-guard's webhook (validate.rwx-guard.io).</summary>
    public IReadOnlyList<V1ValidatingWebhookConfiguration> Webhooks { get; init; } = [];
    /// <summary>False when listing them was forbidden: whether the webhook is installed is then unknown.</summary>
    public bool WebhooksReadable { get; init; } = true;
    /// <summary>Where the settings came from: "--config FILE", "configmap rwx-guard/rwx-guard-settings" or "defaults".</summary>
    public string SettingsSource { get; init; } = "defaults";
    public PolicyOptions Policy { get; init; } = new();
    public MutationOptions Mutation { get; init; } = new();
    public required DateTimeOffset Now { get; init; }
}

public enum CheckStatus
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One line of the checklist: what was checked, about what, and the evidence.</summary>
public sealed record CheckResult(CheckStatus Status, string Subject, string Check, string Evidence)
{
    public string Symbol => Status switch { CheckStatus.Pass => "✓", CheckStatus.Warn => "⚠", _ => "✗" };
}
