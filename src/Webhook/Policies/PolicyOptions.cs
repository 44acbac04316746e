using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>What a violation does: enforce denies, warn allows with warnings, audit only records.</summary>
public enum EnforcementMode
{
    Enforce,
    Warn,
    Audit,
}

/// <summary>What a configurable rule does when it fires.</summary>
public enum RuleAction
{
    /// <summary>Counts as a violation (denied in enforce mode).</summary>
    Deny,
    /// <summary>Allowed with a warning.</summary>
    Warn,
    /// <summary>Not reported to the user (still logged).</summary>
    Ignore,
}

public sealed class NamespacePolicyOptions
{
    /// <summary>Enforce, Warn or Audit. A string, because the binder silently drops a bad value for a nullable enum
    /// and a typo must stop the start instead.</summary>
    public string? Mode { get; set; }
}

public sealed class PolicyOptions
{
    public const string Section = "Policy";

    public EnforcementMode Mode { get; set; } = EnforcementMode.Enforce;
    /// <summary>Per-namespace overrides: Policy:Namespaces:&lt;namespace&gt;:Mode.</summary>
    public Dictionary<string, NamespacePolicyOptions> Namespaces { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Namespace label whose value (enforce, warn, audit) sets the mode there; empty turns labels off.</summary>
    public string ModeLabel { get; set; } = WellKnown.ModeLabel;
    /// <summary>A claim (or a scaled workload) the view does not know.</summary>
    public RuleAction OnClaimNotFound { get; set; } = RuleAction.Warn;
    /// <summary>The view is not synced or has lost the API server.</summary>
    public RuleAction OnClusterUnavailable { get; set; } = RuleAction.Warn;
    /// <summary>One replica, RollingUpdate with maxSurge above 0, on a single-attach claim.</summary>
    public RuleAction RollingUpdateSurge { get; set; } = RuleAction.Warn;
    /// <summary>AnythingLLM with several pods on RWX while its database is SQLite on that volume (its main image, or
    /// the pg image without a postgresql:// DATABASE_URL).</summary>
    public RuleAction AnythingLlmSqlite { get; set; } = RuleAction.Warn;
    /// <summary>AnythingLLM with several pods on RWX while its vector database is LanceDB on that volume (VECTOR_DB unset
    /// or lancedb).</summary>
    public RuleAction AnythingLlmLanceDb { get; set; } = RuleAction.Warn;
    /// <summary>A single-attach claim mounted by pods of several workloads, or by a DaemonSet (shared-single-attach).
    /// Warn by default: pods that all run on one node share an RWO volume legally.</summary>
    public RuleAction SharedClaim { get; set; } = RuleAction.Warn;
    /// <summary>Count an HPA's maxReplicas as the workload's replicas when the HPA targets it.</summary>
    public bool CountAutoscalers { get; set; } = true;
}
