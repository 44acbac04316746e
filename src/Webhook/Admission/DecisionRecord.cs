using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>What was decided about one request, for metrics, the span and the decision log.</summary>
/// <param name="Kind">The route's metric label (Deployment, Scale …); "unknown" before the request could be read.</param>
public sealed record DecisionRecord(int HttpStatus, string? Uid, string Kind, string Operation, string? Namespace, string? Name,
    bool DryRun, string Decision, IReadOnlyList<Finding> Findings, string? Error, EnforcementMode Mode)
{
    public const string Unknown = "unknown";

    /// <summary>A request answered with an error review before (or instead of) a decision.</summary>
    public static DecisionRecord Failed(int httpStatus, string? uid, string error, EnforcementMode mode) =>
        new(httpStatus, uid, Unknown, Unknown, null, null, false, Decisions.Error, [], error, mode);
}

/// <summary>The answer to one request: HTTP status, the encoded AdmissionReview, and the record of it.</summary>
public sealed record Decided(int HttpStatus, byte[] Payload, DecisionRecord Record);
