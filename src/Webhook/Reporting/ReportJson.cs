using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RwxGuard.Reporting;

/// <summary>Source-generated JSON for reports, as the CRDs spell them (camelCase, nulls left out).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PolicyReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>A report's bytes and the hash of what it says.</summary>
public static class ReportJson
{
    public static byte[] Serialize(PolicyReport report) => JsonSerializer.SerializeToUtf8Bytes(report, ReportJsonContext.Default.PolicyReport);

    public static PolicyReport? Deserialize(string json) => JsonSerializer.Deserialize(json, ReportJsonContext.Default.PolicyReport);

    /// <summary>
    /// What a report says, without when it was said: every result's timestamp and the resourceVersion left out. Equal
    /// hashes mean a write would change nothing but the time, so the writer skips it; a report edited by someone else
    /// hashes differently and is put back.
    /// </summary>
    public static string ContentHash(PolicyReport report)
    {
        var stamps = report.Results.Select(r => r.Timestamp).ToList();
        var version = report.Metadata.ResourceVersion;
        var none = new ReportTimestamp();
        foreach (var result in report.Results) result.Timestamp = none;
        report.Metadata.ResourceVersion = null;
        try
        {
            return Convert.ToHexString(SHA256.HashData(Serialize(report)));
        }
        finally
        {
            for (var i = 0; i < stamps.Count; i++) report.Results[i].Timestamp = stamps[i];
            report.Metadata.ResourceVersion = version;
        }
    }
}
