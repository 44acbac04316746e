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
public sealed record Finding(string Rule, FindingKind Kind, string Message, string Warning);

/// <summary>One RFC 6902 operation; <paramref name="Path"/> is an RFC 6901 pointer, already escaped.</summary>
public sealed record PatchOperation(string Op, string Path, PatchValue Value);

/// <summary>
/// What a patch operation sets: a string, a list of strings or a map of strings, which is all a claim patch ever
/// needs. Plain values keep the policies free of JSON types; the admission layer writes them as JSON.
/// </summary>
public abstract record PatchValue
{
    private PatchValue() { }

    public sealed record Text(string Value) : PatchValue;

    public sealed record TextList(IReadOnlyList<string> Values) : PatchValue;

    public sealed record TextMap(IReadOnlyDictionary<string, string> Entries) : PatchValue;
}

/// <summary>What a policy returns: findings, and for mutating policies the patch.</summary>
public sealed record PolicyResult(IReadOnlyList<Finding> Findings, IReadOnlyList<PatchOperation> Patch)
{
    public static readonly PolicyResult Empty = new([], []);

    public static PolicyResult Of(IReadOnlyList<Finding> findings) => findings.Count == 0 ? Empty : new(findings, []);

    public bool HasViolation => Findings.Any(f => f.Kind == FindingKind.Violation);
}
