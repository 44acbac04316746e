using System.Text;
using RwxGuard.Evaluation;

namespace RwxGuard.Reporting;

/// <summary>
/// Audit results → PolicyReports: per namespace, in result order, split so that no report comes near etcd's 1.5 MiB
/// object limit. Pure: the timestamp is passed in.
/// </summary>
/// <remarks>
/// Why chunks and not one report per resource (Kyverno's choice): a namespace with 10,000 workloads stays at about a
/// dozen objects, written only when their content changes, instead of 10,000 objects and 10,000 writes on the first
/// pass; report names are a known, bounded set (<c>rwx-guard</c>, <c>rwx-guard-2</c> … <c>rwx-guard-32</c>), which lets
/// the RBAC name every object the reporter may change.
/// </remarks>
public static class PolicyReportBuilder
{
    /// <summary>metadata.name of a namespace's first report; the next ones are "rwx-guard-2", "rwx-guard-3" ….</summary>
    public const string BaseName = "rwx-guard";

    /// <summary>The <c>source</c> of every result (and of the report, for openreports.io).</summary>
    public const string Source = "rwx-guard";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    /// <summary>Results per report.</summary>
    public const int MaxResults = 1000;

    /// <summary>
    /// Estimated JSON bytes per report: half of etcd's 1.5 MiB limit, leaving room for what the API server adds
    /// (managedFields, metadata) and for the estimate's error (it counts UTF-8 bytes of every string plus a fixed
    /// overhead per result; measured results are 0.6–1.2 KB).
    /// </summary>
    public const int MaxBytes = 768 * 1024;

    /// <summary>Reports per namespace (the names the RBAC lists): 32,000 results at the least.</summary>
    public const int MaxReports = 32;

    private const int ResultOverheadBytes = 400;

    public static string Name(int index) => index == 0 ? BaseName : $"{BaseName}-{index + 1}";

    /// <summary>Every name a namespace's reports can have, in order (for the RBAC's resourceNames).</summary>
    public static IEnumerable<string> Names => Enumerable.Range(0, MaxReports).Select(Name);

    /// <summary>The reports of every namespace that has results, namespaces in order, each split into chunks.</summary>
    /// <param name="dropped">Results that did not fit in <see cref="MaxReports"/> reports of their namespace.</param>
    public static IReadOnlyList<PolicyReport> Build(IEnumerable<AuditResult> results, DateTimeOffset timestamp, ReportApi api,
        out int dropped)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(api);
        dropped = 0;
        var reports = new List<PolicyReport>();
        foreach (var ns in results.GroupBy(r => r.Namespace).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var chunk = new List<AuditResult>();
            var bytes = 0;
            var index = 0;
            foreach (var result in ns)
            {
                var size = EstimatedBytes(result);
                if (chunk.Count > 0 && (chunk.Count == MaxResults || bytes + size > MaxBytes))
                {
                    if (index + 1 == MaxReports) break;
                    reports.Add(Report(ns.Key, Name(index++), chunk, timestamp, api));
                    chunk = [];
                    bytes = 0;
                }
                chunk.Add(result);
                bytes += size;
            }
            reports.Add(Report(ns.Key, Name(index), chunk, timestamp, api));
            dropped += ns.Count() - reports.Where(r => r.Metadata.Namespace == ns.Key).Sum(r => r.Results.Count);
        }
        return reports;
    }

    /// <summary>The reports of <see cref="Build(IEnumerable{AuditResult}, DateTimeOffset, ReportApi, out int)"/>, for output.</summary>
    public static IReadOnlyList<PolicyReport> Build(IEnumerable<AuditResult> results, DateTimeOffset timestamp, ReportApi api) =>
        Build(results, timestamp, api, out _);

    private static PolicyReport Report(string @namespace, string name, List<AuditResult> results, DateTimeOffset timestamp, ReportApi api)
    {
        var summary = AuditSummary.Of(results);
        var stamp = ReportTimestamp.Of(timestamp);
        return new PolicyReport
        {
            ApiVersion = api.ApiVersion,
            Kind = api.Kind,
            Metadata = new ReportMetadata
            {
                Name = name,
                Namespace = @namespace,
                Labels = new Dictionary<string, string> { [ManagedByLabel] = Source },
            },
            Source = api.HasReportSource ? Source : null,
            Summary = new ReportSummary
            {
                Pass = summary.Pass,
                Fail = summary.Fail,
                Warn = summary.Warn,
                Error = summary.Error,
                Skip = summary.Skip,
            },
            Results = results.Select(r => new ReportResult
            {
                Source = Source,
                Policy = r.Policy,
                Rule = r.Rule,
                Category = r.Category,
                Severity = AuditNames.Of(r.Severity),
                Timestamp = stamp,
                Result = AuditNames.Of(r.Result),
                Scored = true,
                Resources =
                [
                    new ReportObjectReference
                    {
                        ApiVersion = r.Resource.ApiVersion,
                        Kind = r.Resource.Kind,
                        Name = r.Resource.Name,
                        Namespace = r.Resource.Namespace,
                        Uid = r.Resource.Uid,
                    },
                ],
                Message = r.Message,
                Properties = r.Properties.Count == 0 ? null : new Dictionary<string, string>(r.Properties),
            }).ToList(),
        };
    }

    private static int EstimatedBytes(AuditResult result)
    {
        var bytes = ResultOverheadBytes + Utf8(result.Message) + Utf8(result.Rule) + Utf8(result.Resource.Name) + Utf8(result.Resource.Uid);
        foreach (var (key, value) in result.Properties) bytes += Utf8(key) + Utf8(value) + 6;
        return bytes;
    }

    private static int Utf8(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);
}
