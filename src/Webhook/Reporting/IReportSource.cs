using System.Text.Json.Nodes;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Domain;

namespace RwxGuard.Reporting;

/// <summary>Where a report kind lives in the API.</summary>
public sealed record ReportKind(string Group, string Version, string Plural, string Kind)
{
    public static readonly ReportKind PolicyReport = new("wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport");
    public static readonly ReportKind OpenReports = new("openreports.io", "v1alpha1", "reports", "Report");

    public static ReportKind Of(ReportFormat format) => format == ReportFormat.OpenReports ? OpenReports : PolicyReport;

    public string ApiVersion => $"{Group}/{Version}";
}

/// <summary>One namespace's report, ready to write, and a hash of its content without timestamps.</summary>
/// <param name="ContentHash">Equal hashes mean nothing but the time changed: the writer then skips the write.</param>
public sealed record NamespaceReport(string Namespace, string Name, JsonObject Body, string ContentHash);

/// <summary>Evaluates the cluster view and shapes one report per namespace (pure: no I/O).</summary>
public interface IReportSource
{
    IReadOnlyList<NamespaceReport> Build(IClusterView view, ReportKind kind, DateTimeOffset now);
}
