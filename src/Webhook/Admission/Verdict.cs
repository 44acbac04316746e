using RwxGuard.Domain;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>What one webhook says about one request: the policies' findings, and for /mutate the patch.</summary>
public sealed record Verdict(IReadOnlyList<Finding> Findings, IReadOnlyList<JsonPatchOperationWire> Patch)
{
    public static readonly Verdict None = new([], []);

    /// <summary>A validating decision: findings only. Validating webhooks must never send a patch.</summary>
    public static Verdict Of(PolicyResult result) => result.Findings.Count == 0 ? None : new(result.Findings, []);

    /// <summary>A mutating decision: the patch from the claim as sent to the claim as the mutator admitted it.</summary>
    public static Verdict Of(ClaimInfo sent, PolicyResult result) =>
        new(result.Findings, result.Admitted is { } admitted ? ClaimPatch.Between(sent, admitted) : []);

    public bool Denied(EnforcementMode mode) => mode == EnforcementMode.Enforce && Findings.Any(f => f.Kind == FindingKind.Violation);

    /// <summary>The decision label of metrics and logs: denied, patched or allowed.</summary>
    public string Decision(EnforcementMode mode) =>
        Denied(mode) ? Decisions.Denied : Patch.Count > 0 ? Decisions.Patched : Decisions.Allowed;
}

/// <summary>The values of the <c>decision</c> metric attribute and log field.</summary>
public static class Decisions
{
    public const string Allowed = "allowed";
    public const string Denied = "denied";
    public const string Patched = "patched";
    public const string Error = "error";
}
