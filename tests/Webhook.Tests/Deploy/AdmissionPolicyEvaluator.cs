using System.Text.Json;
using System.Text.Json.Nodes;
using Cel;

namespace RwxGuard.Tests.Deploy;

/// <summary>The outcome of a ValidatingAdmissionPolicy for one request, as the API server would decide it.</summary>
public sealed record PolicyDecision(bool Matched, bool Allowed, string? Message, string? Error)
{
    public override string ToString() =>
        !Matched ? "not matched" : Allowed ? "allowed" : $"denied: {Message}{(Error is null ? "" : $" (error: {Error})")}";
}

/// <summary>
/// Evaluates a rendered ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) against an AdmissionReview request
/// the way the API server's admission plugin does: matchConstraints.resourceRules, then the variables in order, then
/// each validation; an expression that fails to compile or evaluate applies failurePolicy. The CEL is evaluated by the
/// `Cel` package (a C# implementation of google/cel-spec), not by cel-go with the Kubernetes libraries: the policies
/// use core CEL only, which both implement, and a Kubernetes-only function would fail here to compile.
/// </summary>
public sealed class AdmissionPolicyEvaluator
{
    private readonly JsonObject _spec;
    private readonly CelEnvironment _cel = new(null, null);
    private readonly List<(string Name, Func<IDictionary<string, object?>, object?> Program)> _variables = [];
    private readonly List<(Func<IDictionary<string, object?>, object?> Program, string? Message)> _validations = [];

    public AdmissionPolicyEvaluator(JsonObject policy)
    {
        Assert.Equal("admissionregistration.k8s.io/v1", (string?)policy["apiVersion"]);
        Assert.Equal("ValidatingAdmissionPolicy", (string?)policy["kind"]);
        _spec = policy["spec"]!.AsObject();
        foreach (var variable in _spec["variables"]?.AsArray() ?? [])
            _variables.Add(((string)variable!["name"]!, Compile((string)variable["expression"]!)));
        foreach (var validation in _spec["validations"]!.AsArray())
            _validations.Add((Compile((string)validation!["expression"]!), (string?)validation["message"]));
    }

    private Func<IDictionary<string, object?>, object?> Compile(string expression)
    {
        try
        {
            var program = _cel.Compile(expression);
            return vars => program.Invoke((Dictionary<string, object?>)vars);
        }
        catch (Exception e)
        {
            Assert.Fail($"CEL does not compile: {expression}\n{e.Message}");
            throw;
        }
    }

    public string FailurePolicy => (string?)_spec["failurePolicy"] ?? "Fail";

    public PolicyDecision Evaluate(JsonObject request)
    {
        var resource = request["resource"]!;
        var sub = (string?)request["subResource"];
        var fullResource = (string)resource["resource"]! + (string.IsNullOrEmpty(sub) ? "" : "/" + sub);
        var matched = _spec["matchConstraints"]!["resourceRules"]!.AsArray().Any(rule => K8s.RuleMatches(rule!,
            (string)resource["group"]!, (string)resource["version"]!, fullResource, (string)request["operation"]!));
        if (!matched) return new(false, true, null, null);

        var variables = new Dictionary<string, object?>();
        var activation = new Dictionary<string, object?>
        {
            ["object"] = ToCel(request["object"]),
            ["oldObject"] = ToCel(request["oldObject"]),
            ["request"] = ToCel(request),
            ["variables"] = variables,
        };
        try
        {
            foreach (var (name, program) in _variables) variables[name] = program(activation);
            foreach (var (program, message) in _validations)
            {
                var result = program(activation);
                if (result is not bool ok) return Failure($"validation returned {result?.GetType().Name ?? "null"}, not a bool");
                if (!ok) return new(true, false, message, null);
            }
            return new(true, true, null, null);
        }
        catch (Exception e)
        {
            return Failure(e.Message);
        }

        PolicyDecision Failure(string error) => FailurePolicy == "Ignore" ? new(true, true, null, error) : new(true, false, null, error);
    }

    /// <summary>JSON as CEL sees it: maps with string keys, lists, int, double, string, bool, null.</summary>
    public static object? ToCel(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToCel(kv.Value)),
        JsonArray a => a.Select(ToCel).ToArray(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when v.TryGetValue<int>(out var i) => (long)i,
            JsonValueKind.Number when v.TryGetValue<long>(out var l) => l,
            JsonValueKind.Number => v.GetValue<double>(),
            _ => null,
        },
        _ => throw new NotSupportedException(node.GetType().Name),
    };
}
