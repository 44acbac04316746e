namespace RwxGuard.Evaluation;

/// <summary>The outcome of one rule on one object: the wgpolicyk8s.io / openreports.io result enum.</summary>
public enum AuditOutcome
{
    /// <summary>The policy's requirements are met.</summary>
    Pass,
    /// <summary>A violation: denied by the webhook in Enforce mode.</summary>
    Fail,
    /// <summary>Allowed, with a warning.</summary>
    Warn,
    /// <summary>The policy could not be evaluated (the cluster view was not available).</summary>
    Error,
    /// <summary>Not evaluated.</summary>
    Skip,
}

/// <summary>The PolicyReport severity enum (critical, high, medium, low, info).</summary>
public enum AuditSeverity
{
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Wire spellings of the enums, as the PolicyReport CRDs list them.</summary>
public static class AuditNames
{
    public static string Of(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Pass => "pass",
        AuditOutcome.Fail => "fail",
        AuditOutcome.Warn => "warn",
        AuditOutcome.Error => "error",
        _ => "skip",
    };

    public static string Of(AuditSeverity severity) => severity switch
    {
        AuditSeverity.Critical => "critical",
        AuditSeverity.High => "high",
        AuditSeverity.Medium => "medium",
        AuditSeverity.Low => "low",
        _ => "info",
    };
}

/// <summary>The checked object (a PolicyReport result's <c>resources</c> entry).</summary>
public sealed record ResourceRef(string ApiVersion, string Kind, string Namespace, string Name, string? Uid = null)
{
    public override string ToString() => string.IsNullOrEmpty(Namespace) ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}

/// <summary>
/// One rule's verdict on one object. <see cref="Message"/> is the full explanation (the denial text, with the fix);
/// <see cref="Summary"/> is the one-line form (under 120 characters, no "rwx-guard: " prefix) for tables.
/// </summary>
public sealed record AuditResult
{
    public required ResourceRef Resource { get; init; }
    public string Policy { get; init; } = PolicyAudit.PolicyName;
    /// <summary>A <see cref="Policies.Rules"/> name.</summary>
    public required string Rule { get; init; }
    public required AuditOutcome Result { get; init; }
    public required AuditSeverity Severity { get; init; }
    /// <summary><see cref="PolicyAudit.SingleAttachCategory"/> (Policy 1) or <see cref="PolicyAudit.ClaimCategory"/> (Policy 2).</summary>
    public required string Category { get; init; }
    public required string Message { get; init; }
    public required string Summary { get; init; }
    /// <summary>
    /// Extra facts, all strings (the CRDs' <c>properties</c> map): <c>mode</c> always; <c>replicas</c>,
    /// <c>replicaSource</c>, <c>claims</c> for workloads and autoscalers; <c>accessModes</c>, <c>storageClass</c>,
    /// <c>selectedBy</c> and, when the mutator would change the claim, <c>mutation</c> (the text of its
    /// rwx-guard.io/mutated annotation) for claims.
    /// </summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public string Namespace => Resource.Namespace;
}

/// <summary>Counts per outcome (a PolicyReport's <c>summary</c>).</summary>
public sealed record AuditSummary(int Pass, int Fail, int Warn, int Error, int Skip)
{
    public static AuditSummary Of(IEnumerable<AuditResult> results)
    {
        int pass = 0, fail = 0, warn = 0, error = 0, skip = 0;
        foreach (var result in results)
        {
            switch (result.Result)
            {
                case AuditOutcome.Pass: pass++; break;
                case AuditOutcome.Fail: fail++; break;
                case AuditOutcome.Warn: warn++; break;
                case AuditOutcome.Error: error++; break;
                default: skip++; break;
            }
        }
        return new AuditSummary(pass, fail, warn, error, skip);
    }

    public int Total => Pass + Fail + Warn + Error + Skip;
}
