using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Reporting;
using RwxGuard.Domain;
using RwxGuard.Evaluation;

namespace RwxGuard.Audit;

/// <summary>The <c>table</c> and <c>json</c> outputs of <c>webhook audit</c>.</summary>
internal static class AuditOutput
{
    /// <summary>Provisioner shown for a class taken as existing (<c>--storage-class</c>).</summary>
    public const string AssumedProvisioner = "(assumed)";

    private static readonly string[] Headers = ["NAMESPACE", "KIND", "NAME", "REPLICAS", "CLAIMS", "RESULT", "RULE", "MESSAGE"];

    /// <summary>kubectl-style columns, then a summary, what was read, and the full text of every failure.</summary>
    public static string Table(IReadOnlyList<AuditResult> results, ManifestSet set, EnforcementMode mode, int exitCode,
        IReadOnlyList<StorageClassInfo> assumed)
    {
        var text = new StringBuilder();
        if (results.Count == 0)
        {
            text.Append("No workload mounting a PersistentVolumeClaim and no AnythingLLM claim found.\n");
        }
        else
        {
            var rows = results.Select(r => new[]
            {
                r.Resource.Namespace, r.Resource.Kind, r.Resource.Name,
                r.Properties.GetValueOrDefault("replicas", "-"), ClaimsColumn(r),
                AuditNames.Of(r.Result), r.Rule, r.Summary,
            }).ToList();
            var widths = Enumerable.Range(0, Headers.Length - 1)
                .Select(c => Math.Max(Headers[c].Length, rows.Max(row => row[c].Length)))
                .ToArray();
            foreach (var row in rows.Prepend(Headers))
            {
                for (var c = 0; c < row.Length - 1; c++) text.Append(row[c].PadRight(widths[c] + 3));
                text.Append(row[^1]).Append('\n');
            }
        }

        var summary = AuditSummary.Of(results);
        text.Append('\n').Append("Summary: ").Append(SummaryLine(summary)).Append(". ").Append(Verdict(results, mode, exitCode)).Append('\n');
        text.Append("Input: ").Append(InputLine(set)).Append('\n');
        foreach (var storageClass in assumed)
            text.Append("Assumed: StorageClass ").Append(storageClass.Name).Append(" exists and is RWX-capable (not in the input)\n");

        var failures = results.Where(r => r.Result is AuditOutcome.Fail or AuditOutcome.Error).ToList();
        if (failures.Count > 0)
        {
            text.Append("\nWhy:\n");
            foreach (var failure in failures)
            {
                text.Append("  ").Append(failure.Resource);
                if (Origin(set, failure) is { } origin) text.Append(" (").Append(origin).Append(')');
                text.Append(": ").Append(failure.Message).Append('\n');
            }
        }
        return text.ToString();
    }

    public static string Json(IReadOnlyList<AuditResult> results, ManifestSet set, EnforcementMode mode, int exitCode)
    {
        var summary = AuditSummary.Of(results);
        var document = new JsonObject
        {
            ["mode"] = EnforcementModes.Label(mode),
            ["exitCode"] = exitCode,
            ["summary"] = new JsonObject
            {
                ["pass"] = summary.Pass,
                ["fail"] = summary.Fail,
                ["warn"] = summary.Warn,
                ["error"] = summary.Error,
                ["skip"] = summary.Skip,
            },
            ["results"] = new JsonArray(results.Select(r =>
            {
                var result = new JsonObject
                {
                    ["namespace"] = r.Resource.Namespace,
                    ["apiVersion"] = r.Resource.ApiVersion,
                    ["kind"] = r.Resource.Kind,
                    ["name"] = r.Resource.Name,
                };
                if (r.Resource.Uid is { } uid) result["uid"] = uid;
                if (Origin(set, r) is { } origin) result["origin"] = origin;
                result["policy"] = r.Policy;
                result["rule"] = r.Rule;
                result["result"] = AuditNames.Of(r.Result);
                result["severity"] = AuditNames.Of(r.Severity);
                result["category"] = r.Category;
                result["summary"] = r.Summary;
                result["message"] = r.Message;
                result["properties"] = new JsonObject(r.Properties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
                return (JsonNode?)result;
            }).ToArray()),
            ["input"] = new JsonObject
            {
                ["sources"] = new JsonArray(set.Sources.Select(s => (JsonNode?)s).ToArray()),
                ["checked"] = Counts(set.Checked),
                ["skipped"] = Counts(set.Skipped),
                ["warnings"] = new JsonArray(set.Warnings.Select(w => (JsonNode?)w.ToString()).ToArray()),
            },
        };
        return document.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            // Messages carry "->" and quotes: keep them readable (the output is never embedded in HTML).
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }) + "\n";
    }

    private static JsonObject Counts(SortedDictionary<string, int> counts) =>
        new(counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));

    /// <summary>Workloads: their claims and modes. Claims: their modes and class, as the webhook would store them.</summary>
    private static string ClaimsColumn(AuditResult result)
    {
        if (result.Properties.TryGetValue("claims", out var claims))
            return claims.StartsWith("claims ", StringComparison.Ordinal) ? claims["claims ".Length..]
                : claims.StartsWith("claim ", StringComparison.Ordinal) ? claims["claim ".Length..] : claims;
        if (!result.Properties.TryGetValue("accessModes", out var modes)) return "-";
        var storageClass = result.Properties.GetValueOrDefault("storageClass", MutationRecord.Unset);
        return storageClass == MutationRecord.Unset ? modes : $"{modes} on {storageClass}";
    }

    private static string SummaryLine(AuditSummary summary)
    {
        var parts = new List<string>(5);
        if (summary.Pass > 0) parts.Add($"{summary.Pass} pass");
        if (summary.Fail > 0) parts.Add($"{summary.Fail} fail");
        if (summary.Warn > 0) parts.Add($"{summary.Warn} warn");
        if (summary.Error > 0) parts.Add($"{summary.Error} error");
        if (summary.Skip > 0) parts.Add($"{summary.Skip} skip");
        return $"{Text.Plural(summary.Total, "result")}{(parts.Count == 0 ? "" : ": " + string.Join(", ", parts))}";
    }

    private static string Verdict(IReadOnlyList<AuditResult> results, EnforcementMode mode, int exitCode)
    {
        var label = EnforcementModes.Label(mode);
        var failing = results.Where(r => r.Result == AuditOutcome.Fail).Select(r => r.Resource).Distinct().Count();
        var denied = results.Where(PolicyAudit.WouldDeny).Select(r => r.Resource).Distinct().Count();
        if (failing == 0) return $"Nothing would be denied (mode {label}); exit code {exitCode}.";
        if (denied == failing) return $"The webhook would deny {Text.Plural(denied, "object")} (mode {label}); exit code {exitCode}.";
        return denied == 0
            ? $"{Text.Plural(failing, "object")} violate the policy but mode {label} allows them; exit code {exitCode}."
            : $"{Text.Plural(failing, "object")} violate the policy; the webhook would deny {denied} (namespace modes); exit code {exitCode}.";
    }

    private static string InputLine(ManifestSet set)
    {
        var read = set.Checked.Values.Sum() + set.Skipped.Values.Sum();
        var sources = set.Sources.Count == 1 ? set.Sources[0] : Text.Plural(set.Sources.Count, "source");
        var line = new StringBuilder($"{Text.Plural(read, "document")} from {sources}");
        if (set.Checked.Count > 0) line.Append("; checked ").Append(string.Join(", ", set.Checked.Select(c => $"{c.Value} {c.Key}")));
        if (set.Skipped.Count > 0) line.Append("; not checked ").Append(string.Join(", ", set.Skipped.Select(c => $"{c.Value} {c.Key}")));
        if (set.Warnings.Count > 0) line.Append("; ").Append(Text.Plural(set.Warnings.Count, "warning")).Append(" (stderr)");
        return line.ToString();
    }

    private static string? Origin(ManifestSet set, AuditResult result) =>
        set.Origins.GetValueOrDefault((result.Resource.Kind, result.Resource.Namespace, result.Resource.Name));
}
