using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Domain;
using RwxGuard.Policies;
using RwxGuard.Evaluation;

namespace RwxGuard.Reporting;

/// <summary>
/// The background reporter's source: the same audit as <c>webhook audit</c> over the live cluster view, shaped into one
/// report per namespace. The content hash leaves out timestamps, so a report is rewritten only when a result changed.
/// </summary>
public sealed class PolicyReportSource(LiveSettings<PolicyOptions> policy, LiveSettings<MutationOptions> mutation) : IReportSource
{
    public IReadOnlyList<NamespaceReport> Build(IClusterView view, ReportKind kind, DateTimeOffset now)
    {
        var api = kind == ReportKind.OpenReports ? ReportApi.OpenReportsV1Alpha1 : ReportApi.WgPolicyV1Alpha2;
        var results = PolicyAudit.Evaluate(view, policy.Current, mutation.Current);
        return PolicyReportBuilder.BuildAll(results, now, api)
            .Where(r => !string.IsNullOrEmpty(r.Metadata.Namespace))
            .Select(r =>
            {
                var body = JsonNode.Parse(PolicyReportSerializer.ToJson(r))!.AsObject();
                return new NamespaceReport(r.Metadata.Namespace!, r.Metadata.Name, body, ContentHash(body));
            })
            .ToList();
    }

    private static string ContentHash(JsonObject report)
    {
        var copy = (JsonObject)report.DeepClone();
        if (copy["results"] is JsonArray results)
            foreach (var result in results.OfType<JsonObject>()) result.Remove("timestamp");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(copy.ToJsonString())));
    }
}
