using RwxGuard.Domain;

namespace RwxGuard.Policies;

public enum FindingKind
{
    /// <summary>Breaks a policy: denied in enforce mode, a warning in warn mode, recorded only in audit mode.</summary>
    Violation,
    /// <summary>Allowed; told to the user as a warning (recorded only in audit mode).</summary>
    Warning,
}

/// <summary>
/// One thing a policy has to say. <paramref name="Message"/> is the full explanation (the denial text);
/// <paramref name="Warning"/> is the one-line form kubectl prints, kept under 120 characters.
/// </summary>
public sealed record Finding(string Rule, FindingKind Kind, string Message, string Warning)
{
    /// <summary>A finding of a configurable rule: Deny makes it a violation, Warn a warning, Ignore nothing.</summary>
    public static void Add(List<Finding> findings, RuleAction action, string rule, string message, string warning)
    {
        if (action == RuleAction.Ignore) return;
        findings.Add(new Finding(rule, action == RuleAction.Deny ? FindingKind.Violation : FindingKind.Warning, message,
            Text.Warning(warning)));
    }
}

/// <summary>
/// What a policy returns: findings, and for the claim mutator the claim as it should be stored (null: unchanged).
/// The admission layer turns the difference into a JSON Patch; the whole-set evaluation reads the claim as is.
/// </summary>
public sealed record PolicyResult(IReadOnlyList<Finding> Findings, ClaimInfo? Admitted = null)
{
    public static readonly PolicyResult Empty = new([]);

    public static PolicyResult Of(IReadOnlyList<Finding> findings) => findings.Count == 0 ? Empty : new(findings);

    public bool HasViolation => Findings.Any(f => f.Kind == FindingKind.Violation);
}
