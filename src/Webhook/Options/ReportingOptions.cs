using FluentValidation;

namespace RwxGuard.Options;

public enum ReportFormat
{
    /// <summary>wgpolicyk8s.io/v1alpha2 PolicyReport (Kyverno's Policy Reporter, kubectl get polr).</summary>
    PolicyReport,
    /// <summary>openreports.io/v1alpha1 Report, the successor API.</summary>
    OpenReports,
}

/// <summary>Background reporting of what already runs in the cluster.</summary>
public sealed class ReportingOptions
{
    public const string Section = "Reporting";

    /// <summary>Write reports (only with a cluster connection, and only on the replica holding the lease).</summary>
    public bool Enabled { get; set; } = true;
    public ReportFormat Format { get; set; } = ReportFormat.PolicyReport;
    /// <summary>How often the leader re-evaluates the cluster view; reports are written only when they changed.</summary>
    public double IntervalSeconds { get; set; } = 60;
    /// <summary>The Lease that elects the one writer; its namespace defaults to the pod's ($POD_NAMESPACE).</summary>
    public string LeaseName { get; set; } = "rwx-guard-reporter";
    public string? LeaseNamespace { get; set; }
    public double LeaseDurationSeconds { get; set; } = 15;
    public double RenewDeadlineSeconds { get; set; } = 10;
    public double RetryPeriodSeconds { get; set; } = 2;
}

public sealed class ReportingOptionsValidator : AbstractValidator<ReportingOptions>
{
    public ReportingOptionsValidator()
    {
        RuleFor(o => o.Format).IsInEnum().OverridePropertyName("Reporting:Format");
        RuleFor(o => o.IntervalSeconds).InclusiveBetween(0.1, 86_400).OverridePropertyName("Reporting:IntervalSeconds");
        RuleFor(o => o.LeaseName).NotEmpty().Matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$").OverridePropertyName("Reporting:LeaseName");
        RuleFor(o => o.LeaseDurationSeconds).GreaterThan(o => o.RenewDeadlineSeconds)
            .WithMessage("must be longer than Reporting:RenewDeadlineSeconds").OverridePropertyName("Reporting:LeaseDurationSeconds");
        RuleFor(o => o.RenewDeadlineSeconds).GreaterThan(o => o.RetryPeriodSeconds)
            .WithMessage("must be longer than Reporting:RetryPeriodSeconds").OverridePropertyName("Reporting:RenewDeadlineSeconds");
        RuleFor(o => o.RetryPeriodSeconds).GreaterThan(0).OverridePropertyName("Reporting:RetryPeriodSeconds");
    }
}
