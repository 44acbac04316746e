using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using RwxGuard.Benchmarks.Shape;
using RwxGuard.Tests.Infrastructure.FakeKube;

namespace RwxGuard.Benchmarks.FakeApi;

/// <summary>An error answer: the API server's <c>Status</c> object (rendered by the tests' fake, <see cref="ApiError"/>).</summary>
public sealed record ApiAnswer(int Code, JsonObject Status)
{
    public ApiAnswer(int code, string reason, string message) : this(new ApiError(code, reason, message)) { }

    public ApiAnswer(ApiError error) : this(error.Code, error.ToStatus()) { }

    /// <summary>422 as apimachinery's ValidateListOptions errors come back: one cause per field error.</summary>
    public static ApiAnswer InvalidListOptions(IReadOnlyList<(string Field, string Message)> causes)
    {
        var errors = causes.Select(c => $"{c.Field}: Forbidden: {c.Message}").ToList();
        var text = errors.Count == 1 ? errors[0] : $"[{string.Join(", ", errors)}]";
        var status = new ApiError(422, "Invalid", $"ListOptions.meta.k8s.io \"\" is invalid: {text}").ToStatus();
        status["details"] = new JsonObject
        {
            ["group"] = "meta.k8s.io",
            ["kind"] = "ListOptions",
            ["causes"] = new JsonArray([.. causes.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = "FieldValueForbidden",
                ["message"] = $"Forbidden: {c.Message}",
                ["field"] = c.Field,
            })]),
        };
        return new ApiAnswer(422, status);
    }

    public async Task WriteAsync(HttpContext http)
    {
        http.Response.StatusCode = Code;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(ObjectBuilder.Json(Status));
    }
}
