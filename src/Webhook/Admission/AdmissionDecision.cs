using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>
/// Turns a policy result into the response the API server reads: the enforcement mode applied, warnings deduplicated
/// and kept within the API server's limits, audit annotations with valid keys, the patch encoded.
/// </summary>
public static class AdmissionDecision
{
    /// <summary>The API server drops warnings past 4096 characters in total.</summary>
    public const int MaxWarningsTotal = 4096;

    public static AdmissionResponse Allowed(string uid) => new() { Uid = uid, Allowed = true };

    public static AdmissionResponse Errored(string uid, int code, string message) => new()
    {
        Uid = uid,
        Allowed = false,
        Status = new ResponseStatus { Status = "Failure", Code = code, Reason = ReasonFor(code), Message = message },
    };

    public static AdmissionResponse From(string uid, PolicyResult result, EnforcementMode mode, bool mutating) =>
        From(uid, result, new ResolvedMode(mode, EnforcementModes.FromSettings), mutating);

    public static AdmissionResponse From(string uid, PolicyResult result, ResolvedMode resolved, bool mutating)
    {
        var mode = resolved.Mode;
        var response = new AdmissionResponse { Uid = uid, Allowed = true };
        if (result.Findings.Count == 0 && result.Patch.Count == 0) return response;

        var violations = result.Findings.Where(f => f.Kind == FindingKind.Violation).ToList();
        var denied = mode == EnforcementMode.Enforce && violations.Count > 0;
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
        {
            var warnings = result.Findings.Where(f => !(denied && f.Kind == FindingKind.Violation)).Select(f => f.Warning);
            response.Warnings = Bounded(warnings);
        }

        if (result.Findings.Count > 0)
        {
            // Keys become "<webhook name>/<key>" in the audit log: no '/', at most 63 characters.
            var annotations = new Dictionary<string, string>
            {
                ["mode"] = EnforcementModes.Label(mode),
                ["mode-source"] = resolved.Source,
                ["decision"] = denied ? "denied" : "allowed",
                ["rules"] = string.Join(",", result.Findings.Select(f => f.Rule).Distinct()),
            };
            if (violations.Count > 0 && !denied) annotations["violation"] = Cut(violations[0].Message, 1024);
            response.AuditAnnotations = annotations;
        }

        // Validating webhooks must never send a patch; a denied request needs none.
        if (mutating && !denied && result.Patch.Count > 0)
        {
            var wire = result.Patch.Select(p => new JsonPatchOperationWire { Op = p.Op, Path = p.Path, Value = ToJson(p.Value) }).ToList();
            response.Patch = Convert.ToBase64String(
                JsonSerializer.SerializeToUtf8Bytes(wire, AdmissionJsonContext.Default.ListJsonPatchOperationWire));
            response.PatchType = "JSONPatch";
        }
        return response;
    }

    private static JsonNode ToJson(PatchValue value) => value switch
    {
        PatchValue.Text text => JsonValue.Create(text.Value),
        PatchValue.TextList list => new JsonArray([.. list.Values.Select(v => (JsonNode?)JsonValue.Create(v))]),
        PatchValue.TextMap map => new JsonObject(map.Entries.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)JsonValue.Create(e.Value)))),
        _ => throw new UnreachableException($"unknown patch value {value.GetType().Name}"),
    };

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

    private static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");

    private static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        403 => "Forbidden",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        _ => "InternalError",
    };
}
