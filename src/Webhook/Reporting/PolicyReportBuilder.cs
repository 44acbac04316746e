using System.Text.Json;
using System.Text.Json.Serialization;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using RwxGuard.Evaluation;

namespace RwxGuard.Reporting;

/// <summary>Audit results → one PolicyReport per namespace. Pure: the timestamp is passed in.</summary>
public static class PolicyReportBuilder
{
    /// <summary>metadata.name of the reports rwx-guard writes (one per namespace).</summary>
    public const string DefaultName = "rwx-guard";

    /// <summary>The <c>source</c> of every result (and of the report, for openreports.io).</summary>
    public const string Source = "rwx-guard";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public static (string ApiVersion, string Kind) TypeOf(ReportApi api) => api switch
    {
        ReportApi.OpenReportsV1Alpha1 => ("openreports.io/v1alpha1", "Report"),
        _ => ("wgpolicyk8s.io/v1alpha2", "PolicyReport"),
    };

    /// <summary>The report of one namespace: the results whose resource is in <paramref name="namespace"/>, in order.</summary>
    public static PolicyReport Build(string @namespace, IEnumerable<AuditResult> results, DateTimeOffset timestamp,
        ReportApi api = ReportApi.WgPolicyV1Alpha2, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(results);
        var (apiVersion, kind) = TypeOf(api);
        var mine = results.Where(r => r.Namespace == @namespace).ToList();
        var summary = AuditSummary.Of(mine);
        var stamp = Timestamp(timestamp);
        return new PolicyReport
        {
            ApiVersion = apiVersion,
            Kind = kind,
            Metadata = new ReportMetadata
            {
                Name = name,
                Namespace = @namespace,
                Labels = new Dictionary<string, string> { [ManagedByLabel] = Source },
            },
            Source = api == ReportApi.OpenReportsV1Alpha1 ? Source : null,
            Summary = new ReportSummary
            {
                Pass = summary.Pass,
                Fail = summary.Fail,
                Warn = summary.Warn,
                Error = summary.Error,
                Skip = summary.Skip,
            },
            Results = mine.Select(r => new ReportResult
            {
                Source = Source,
                Policy = r.Policy,
                Rule = r.Rule,
                Category = r.Category,
                Severity = AuditNames.Of(r.Severity),
                Timestamp = new ReportTimestamp { Seconds = stamp.Seconds, Nanos = stamp.Nanos },
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

    /// <summary>One report per namespace that has results, ordered by namespace.</summary>
    public static IReadOnlyList<PolicyReport> BuildAll(IEnumerable<AuditResult> results, DateTimeOffset timestamp,
        ReportApi api = ReportApi.WgPolicyV1Alpha2, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        return list.Select(r => r.Namespace).Distinct().Order(StringComparer.Ordinal)
            .Select(ns => Build(ns, list, timestamp, api, name))
            .ToList();
    }

    private static (long Seconds, int Nanos) Timestamp(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        return (seconds, (int)(rest * 100)); // a tick is 100 ns
    }
}

/// <summary>Reports as text: JSON for the API server, multi-document YAML for people and <c>kubectl apply</c>.</summary>
public static class PolicyReportSerializer
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        // "2", "true", "1.85": strings that would read back as numbers or booleans are quoted (properties are strings).
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    public static string ToJson(PolicyReport report) => JsonSerializer.Serialize(report, JsonOptions);

    /// <summary>Each report a YAML document starting with <c>---</c>.</summary>
    public static string ToYaml(IEnumerable<PolicyReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var text = new System.Text.StringBuilder();
        foreach (var report in reports)
        {
            text.Append("---\n");
            text.Append(Yaml.Serialize(report).ReplaceLineEndings("\n"));
        }
        return text.ToString();
    }
}
