using System.Text.Json;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>
/// Turns a verdict into the response the API server reads: the enforcement mode applied, warnings deduplicated and kept
/// within the API server's limits, audit annotations with valid keys, the patch encoded.
/// </summary>
public static class AdmissionDecision
{
    /// <summary>The API server drops warnings past 4096 characters in total.</summary>
    public const int MaxWarningsTotal = 4096;

    public static AdmissionResponse Errored(string uid, int code, string message) => new()
    {
        Uid = uid,
        Allowed = false,
        Status = new ResponseStatus { Status = "Failure", Code = code, Reason = ReasonFor(code), Message = message },
    };

    public static AdmissionResponse From(string uid, Verdict verdict, EnforcementMode mode) =>
        From(uid, verdict, new ResolvedMode(mode, EnforcementModes.FromSettings));

    public static AdmissionResponse From(string uid, Verdict verdict, ResolvedMode resolved)
    {
        var mode = resolved.Mode;
        var response = new AdmissionResponse { Uid = uid, Allowed = true };
        var findings = verdict.Findings;
        if (findings.Count == 0 && verdict.Patch.Count == 0) return response;

        var violations = findings.Where(f => f.Kind == FindingKind.Violation).ToList();
        var denied = verdict.Denied(mode);
        if (denied)
        {
            response.Allowed = false;
            response.Status = new ResponseStatus
            {
                Status = "Failure",
                Code = 403,
                Reason = "Forbidden",
                Message = string.Join(" ", violations.Select(v => v.Message).Distinct()),
            };
        }

        // In audit mode users see nothing; in the other modes every finding that is not the denial itself is a warning.
        if (mode != EnforcementMode.Audit)
            response.Warnings = Bounded(findings.Where(f => !(denied && f.Kind == FindingKind.Violation)).Select(f => f.Warning));

        if (findings.Count > 0)
        {
            // Keys become "<webhook name>/<key>" in the audit log: no '/', at most 63 characters.
            var annotations = new Dictionary<string, string>
            {
                ["mode"] = EnforcementModes.Label(mode),
                ["mode-source"] = resolved.Source,
                ["decision"] = denied ? Decisions.Denied : Decisions.Allowed,
                ["rules"] = RuleList(findings),
            };
            if (violations.Count > 0 && !denied) annotations["violation"] = Text.Cut(violations[0].Message, 1024);
            response.AuditAnnotations = annotations;
        }

        // A denied request needs no patch.
        if (!denied && verdict.Patch.Count > 0)
        {
            response.Patch = Convert.ToBase64String(
                JsonSerializer.SerializeToUtf8Bytes(verdict.Patch, AdmissionJsonContext.Default.IReadOnlyListJsonPatchOperationWire));
            response.PatchType = "JSONPatch";
        }
        return response;
    }

    /// <summary>"rule-a,rule-b": each rule once, in the order found (audit annotation and log line).</summary>
    public static string RuleList(IReadOnlyList<Finding> findings) => string.Join(",", findings.Select(f => f.Rule).Distinct());

    private static List<string>? Bounded(IEnumerable<string> warnings)
    {
        var list = new List<string>();
        var total = 0;
        foreach (var warning in warnings.Distinct())
        {
            if (total + warning.Length > MaxWarningsTotal) break;
            list.Add(warning);
            total += warning.Length;
        }
        return list.Count == 0 ? null : list;
    }

    private static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        403 => "Forbidden",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        _ => "InternalError",
    };
}
