namespace RwxGuard.Reporting;

/// <summary>
/// A namespaced PolicyReport (<c>wgpolicyk8s.io/v1alpha2</c>) or Report (<c>openreports.io/v1alpha1</c>): a plain object
/// model whose camelCase property names are the CRDs' field names, so it serializes as is to JSON (for the API) and YAML.
/// Null members are left out. Both CRDs share every field used here except the report-level <see cref="Source"/>
/// (openreports.io only).
/// </summary>
public sealed class PolicyReport
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ReportMetadata Metadata { get; set; } = new();
    /// <summary>Report-level source: openreports.io/v1alpha1 only (PolicyReport v1alpha2 has none).</summary>
    public string? Source { get; set; }
    public ReportSummary Summary { get; set; } = new();
    public List<ReportResult> Results { get; set; } = [];
}

public sealed class ReportMetadata
{
    public string Name { get; set; } = "";
    public string? Namespace { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    /// <summary>Set only on a replace, to the version read (optimistic concurrency).</summary>
    public string? ResourceVersion { get; set; }
}

/// <summary>Counts of results per outcome: every key is always written.</summary>
public sealed class ReportSummary
{
    public int Pass { get; set; }
    public int Fail { get; set; }
    public int Warn { get; set; }
    public int Error { get; set; }
    public int Skip { get; set; }
}

/// <summary>One result (PolicyReportResult / ReportResult).</summary>
public sealed class ReportResult
{
    public string Source { get; set; } = "";
    public string Policy { get; set; } = "";
    public string? Rule { get; set; }
    public string? Category { get; set; }
    /// <summary>critical, high, medium, low or info.</summary>
    public string? Severity { get; set; }
    public ReportTimestamp Timestamp { get; set; } = new();
    /// <summary>pass, fail, warn, error or skip.</summary>
    public string Result { get; set; } = "";
    public bool Scored { get; set; }
    public List<ReportObjectReference> Resources { get; set; } = [];
    public string? Message { get; set; }
    public Dictionary<string, string>? Properties { get; set; }
}

/// <summary>A protobuf Timestamp, as the CRDs spell it: seconds since the epoch and nanoseconds.</summary>
public sealed class ReportTimestamp
{
    public long Seconds { get; set; }
    public int Nanos { get; set; }

    public static ReportTimestamp Of(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        return new ReportTimestamp { Seconds = seconds, Nanos = (int)(rest * 100) }; // a tick is 100 ns
    }
}

/// <summary>core/v1 ObjectReference (the fields rwx-guard fills).</summary>
public sealed class ReportObjectReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
}
