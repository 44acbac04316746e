using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>An error answer, rendered as the API server's <c>Status</c> object with the same code, reason and message.</summary>
public sealed class ApiError(int code, string reason, string message, ResourceType? type = null, string? name = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["code"] = Code,
        };
        if (Reason.Length > 0) status["reason"] = Reason;
        if (type is not null)
        {
            var details = new JsonObject { ["kind"] = type.Plural };
            if (type.Group.Length > 0) details["group"] = type.Group;
            if (name is not null) details["name"] = name;
            status["details"] = details;
        }
        return status;
    }

    public static ApiError NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{Qualified(type)} \"{name}\" not found", type, name);

    public static ApiError AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{Qualified(type)} \"{name}\" already exists", type, name);

    public static ApiError Conflict(ResourceType type, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(type)} \"{name}\": the object has been modified; " +
                             "please apply your changes to the latest version and try again", type, name);

    public static ApiError Invalid(ResourceType type, string name, string cause) =>
        new(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {cause}", type, name);

    public static ApiError Expired(string message) => new(410, "Expired", message);

    public static ApiError Forbidden(string user, string verb, ResourceType type, string @namespace) =>
        new(403, "Forbidden", $"{type.Plural}{(type.Group.Length > 0 ? "." + type.Group : "")} is forbidden: User \"{user}\" " +
                              $"cannot {verb} resource \"{type.Plural}\" in API group \"{type.Group}\"" +
                              (@namespace.Length > 0 ? $" in the namespace \"{@namespace}\"" : " at the cluster scope"), type);

    /// <summary>What etcd answers for an object over its request limit: kube-apiserver passes it on as a plain 500
    /// without a reason (kubernetes/kubernetes#74600, #112152).</summary>
    public static ApiError TooLargeForEtcd() => new(500, "", "etcdserver: request is too large");

    private static string Qualified(ResourceType type) => type.Group.Length == 0 ? type.Plural : $"{type.Plural}.{type.Group}";
}
