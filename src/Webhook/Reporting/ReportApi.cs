using RwxGuard.Options;

namespace RwxGuard.Reporting;

/// <summary>Where a report kind lives in the API: the one description of each <see cref="ReportFormat"/>.</summary>
public sealed record ReportApi(string Group, string Version, string Plural, string Kind)
{
    /// <summary><c>wgpolicyk8s.io/v1alpha2</c> <c>PolicyReport</c> (Kyverno, Policy Reporter, Trivy Operator …).</summary>
    public static readonly ReportApi PolicyReport = new("wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport");

    /// <summary><c>openreports.io/v1alpha1</c> <c>Report</c>, the successor API.</summary>
    public static readonly ReportApi OpenReports = new("openreports.io", "v1alpha1", "reports", "Report");

    public static ReportApi Of(ReportFormat format) => format == ReportFormat.OpenReports ? OpenReports : PolicyReport;

    public string ApiVersion => $"{Group}/{Version}";

    /// <summary>openreports.io Reports name their source at the report level too; PolicyReport v1alpha2 has no such field.</summary>
    public bool HasReportSource => this == OpenReports;
}
