using FluentValidation;
using RwxGuard.Policies;

namespace RwxGuard.Options;

/// <summary>Property names are the configuration keys, so a failure names exactly what to fix.</summary>
public sealed class ServerOptionsValidator : AbstractValidator<ServerOptions>
{
    public ServerOptionsValidator()
    {
        // 0 asks the OS for a free port (tests); Kubernetes manifests always name one.
        RuleFor(o => o.Port).InclusiveBetween(0, 65535).OverridePropertyName("Server:Port");
        RuleFor(o => o.MetricsPort).InclusiveBetween(-1, 65535).OverridePropertyName("Server:MetricsPort");
        RuleFor(o => o.MetricsPort).NotEqual(o => o.Port).When(o => o.Port != 0)
            .WithMessage("must differ from Server:Port").OverridePropertyName("Server:MetricsPort");
        // With client certificates on, the kubelet's probes (no client certificate) can only use the plain-HTTP port.
        RuleFor(o => o.MetricsPort).NotEqual(-1).When(o => !string.IsNullOrEmpty(o.ClientCaFile))
            .WithMessage("must not be -1 while Server:ClientCaFile is set: the kubelet's probes carry no client certificate, " +
                         "so /healthz and /readyz are served to them on this plain-HTTP port")
            .OverridePropertyName("Server:MetricsPort");
        RuleFor(o => o.ShutdownDelaySeconds).InclusiveBetween(0, 300).OverridePropertyName("Server:ShutdownDelaySeconds");
        RuleFor(o => o.ShutdownTimeoutSeconds).InclusiveBetween(1, 300).OverridePropertyName("Server:ShutdownTimeoutSeconds");
        RuleFor(o => o.MaxRequestBodyBytes).InclusiveBetween(64 * 1024, 64L * 1024 * 1024)
            .OverridePropertyName("Server:MaxRequestBodyBytes");
        RuleFor(o => o.CertificatePollSeconds).InclusiveBetween(1, 3600).OverridePropertyName("Server:CertificatePollSeconds");
        RuleFor(o => o.SettingsPollSeconds).InclusiveBetween(1, 3600).OverridePropertyName("Server:SettingsPollSeconds");
        RuleFor(o => o.TlsPrivateKeyFile).NotEmpty()
            .When(o => !string.IsNullOrEmpty(o.TlsCertFile))
            .WithMessage("is required when Server:TlsCertFile (--tls-cert-file) is set")
            .OverridePropertyName("Server:TlsPrivateKeyFile");
        RuleFor(o => o.TlsCertFile).NotEmpty()
            .When(o => !string.IsNullOrEmpty(o.TlsPrivateKeyFile))
            .WithMessage("is required when Server:TlsPrivateKeyFile (--tls-private-key-file) is set")
            .OverridePropertyName("Server:TlsCertFile");
        RuleFor(o => o.TlsCertFile).Must(File.Exists!)
            .When(o => !string.IsNullOrEmpty(o.TlsCertFile))
            .WithMessage(o => $"file '{o.TlsCertFile}' does not exist")
            .OverridePropertyName("Server:TlsCertFile");
        RuleFor(o => o.TlsPrivateKeyFile).Must(File.Exists!)
            .When(o => !string.IsNullOrEmpty(o.TlsPrivateKeyFile))
            .WithMessage(o => $"file '{o.TlsPrivateKeyFile}' does not exist")
            .OverridePropertyName("Server:TlsPrivateKeyFile");
        RuleFor(o => o.ClientCaFile).Must(File.Exists!)
            .When(o => !string.IsNullOrEmpty(o.ClientCaFile))
            .WithMessage(o => $"file '{o.ClientCaFile}' does not exist")
            .OverridePropertyName("Server:ClientCaFile");
    }
}

public sealed class ClusterOptionsValidator : AbstractValidator<ClusterOptions>
{
    public ClusterOptionsValidator()
    {
        RuleFor(o => o.Connection).IsInEnum().OverridePropertyName("Cluster:Connection");
        RuleFor(o => o.InitialList).IsInEnum().OverridePropertyName("Cluster:InitialList");
        RuleFor(o => o.ListPageSize).InclusiveBetween(1, 10_000).OverridePropertyName("Cluster:ListPageSize");
        RuleFor(o => o.WatchTimeoutSeconds).InclusiveBetween(10, 3600).OverridePropertyName("Cluster:WatchTimeoutSeconds");
        RuleFor(o => o.BackoffInitialSeconds).GreaterThan(0).OverridePropertyName("Cluster:BackoffInitialSeconds");
        RuleFor(o => o.BackoffMaxSeconds).GreaterThanOrEqualTo(o => o.BackoffInitialSeconds)
            .OverridePropertyName("Cluster:BackoffMaxSeconds");
        RuleFor(o => o.StaleAfterSeconds).GreaterThan(0).OverridePropertyName("Cluster:StaleAfterSeconds");
        RuleFor(o => o.Kubeconfig).Must(File.Exists!)
            .When(o => !string.IsNullOrEmpty(o.Kubeconfig))
            .WithMessage(o => $"file '{o.Kubeconfig}' does not exist")
            .OverridePropertyName("Cluster:Kubeconfig");
        RuleFor(o => o.Kubeconfig).NotEmpty()
            .When(o => o.Connection == ClusterConnection.Kubeconfig)
            .WithMessage("is required when Cluster:Connection is Kubeconfig")
            .OverridePropertyName("Cluster:Kubeconfig");
        RuleFor(o => o.Manifests).NotEmpty()
            .When(o => o.Connection == ClusterConnection.Manifests)
            .WithMessage("is required when Cluster:Connection is Manifests (flag --cluster-manifests FILE|DIR)")
            .OverridePropertyName("Cluster:Manifests");
        RuleFor(o => o.Manifests).Must(p => File.Exists(p) || Directory.Exists(p))
            .When(o => !string.IsNullOrEmpty(o.Manifests))
            .WithMessage(o => $"'{o.Manifests}' is neither a file nor a directory")
            .OverridePropertyName("Cluster:Manifests");
        // One source of truth for the view: manifests and an API connection together would be two.
        RuleFor(o => o.Connection).Must(c => c is ClusterConnection.Auto or ClusterConnection.Manifests)
            .When(o => !string.IsNullOrEmpty(o.Manifests))
            .WithMessage(o => $"is {o.Connection}, but Cluster:Manifests is set: the view comes either from manifests or from an API server (use Auto or Manifests, or unset Cluster:Manifests)")
            .OverridePropertyName("Cluster:Connection");
    }
}

public sealed class PolicyOptionsValidator : AbstractValidator<PolicyOptions>
{
    public PolicyOptionsValidator()
    {
        RuleFor(o => o.Mode).IsInEnum().OverridePropertyName("Policy:Mode");
        RuleFor(o => o.OnClaimNotFound).IsInEnum().OverridePropertyName("Policy:OnClaimNotFound");
        RuleFor(o => o.OnClusterUnavailable).IsInEnum().OverridePropertyName("Policy:OnClusterUnavailable");
        RuleFor(o => o.RollingUpdateSurge).IsInEnum().OverridePropertyName("Policy:RollingUpdateSurge");
        RuleFor(o => o.AnythingLlmSqlite).IsInEnum().OverridePropertyName("Policy:AnythingLlmSqlite");
        RuleFor(o => o.AnythingLlmLanceDb).IsInEnum().OverridePropertyName("Policy:AnythingLlmLanceDb");
        RuleFor(o => o.SharedClaim).IsInEnum().OverridePropertyName("Policy:SharedClaim");
        RuleForEach(o => o.Namespaces).Must(n => n.Value.Mode is null || Policies.EnforcementModes.TryParse(n.Value.Mode, out _))
            .WithMessage((_, n) => $"Policy:Namespaces:{n.Key}:Mode is not Enforce, Warn or Audit")
            .OverridePropertyName("Policy:Namespaces");
        RuleFor(o => o.ModeLabel).Matches(@"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
            .When(o => !string.IsNullOrEmpty(o.ModeLabel))
            .WithMessage("is not a valid label key").OverridePropertyName("Policy:ModeLabel");
    }
}

public sealed partial class MutationOptionsValidator : AbstractValidator<MutationOptions>
{
    public MutationOptionsValidator()
    {
        RuleFor(o => o.OnNoRwxClass).Must(a => a is RuleAction.Warn or RuleAction.Deny)
            .WithMessage("must be Warn or Deny").OverridePropertyName("Mutation:OnNoRwxClass");
        RuleFor(o => o.StorageClass).Must(IsResourceName!)
            .When(o => o.StorageClass is not null)
            .WithMessage(o => $"'{o.StorageClass}' is not a valid StorageClass name (lowercase letters, digits, '-' and '.')")
            .OverridePropertyName("Mutation:StorageClass");
        RuleFor(o => o).Custom((o, context) =>
        {
            for (var i = 0; i < (o.Selectors?.Count ?? 0); i++)
            {
                var selector = o.Selectors![i];
                var key = $"Mutation:Selectors:{i}";
                if (selector is null || (selector.Labels is not { Count: > 0 } && selector.Names is not { Count: > 0 }
                                         && selector.Namespaces is not { Count: > 0 } && selector.MountedByImages is not { Count: > 0 }))
                {
                    context.AddFailure(key, "a selector needs at least one of Labels, Names, Namespaces, MountedByImages");
                    continue;
                }
                foreach (var (label, value) in selector.Labels ?? [])
                    if (string.IsNullOrWhiteSpace(label) || string.IsNullOrWhiteSpace(value))
                        context.AddFailure($"{key}:Labels:{label}", "label keys and value patterns must not be empty");
                if (selector.Names?.Any(string.IsNullOrWhiteSpace) == true)
                    context.AddFailure($"{key}:Names", "name patterns must not be empty");
                if (selector.Namespaces?.Any(string.IsNullOrWhiteSpace) == true)
                    context.AddFailure($"{key}:Namespaces", "namespace patterns must not be empty");
                if (selector.MountedByImages?.Any(string.IsNullOrWhiteSpace) == true)
                    context.AddFailure($"{key}:MountedByImages", "image name patterns must not be empty");
            }
            foreach (var (ns, settings) in o.Namespaces ?? [])
            {
                if (!IsNamespaceName(ns))
                    context.AddFailure($"Mutation:Namespaces:{ns}", $"'{ns}' is not a valid namespace name");
                if (settings?.StorageClass is not { } name || !IsResourceName(name))
                    context.AddFailure($"Mutation:Namespaces:{ns}:StorageClass",
                        $"'{settings?.StorageClass}' is not a valid StorageClass name");
            }
            if (o.RwxProvisioners?.Any(string.IsNullOrWhiteSpace) == true)
                context.AddFailure("Mutation:RwxProvisioners", "provisioner patterns must not be empty");
        });
    }

    /// <summary>A DNS subdomain (RFC 1123), what StorageClass names are.</summary>
    private static bool IsResourceName(string name) => name.Length <= 253 && ResourceName().IsMatch(name);

    /// <summary>A DNS label (RFC 1123), what namespace names are.</summary>
    private static bool IsNamespaceName(string name) => name.Length <= 63 && NamespaceName().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial System.Text.RegularExpressions.Regex ResourceName();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex NamespaceName();
}
