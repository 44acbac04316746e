using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube.Controllers;

/// <summary>core/v1 Events as the kubelet and the controllers record them (one per reason and object, counted).</summary>
public static class FakeEvents
{
    public static void Emit(FakeKubeApi api, ResourceType type, JsonObject involved, string eventType, string reason, string message,
        string component)
    {
        var ns = involved.Namespace().Length > 0 ? involved.Namespace() : "default";
        var name = $"{involved.Name()}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(reason + involved.Uid())))[..16]}";
        var now = api.Store.Now();
        if (api.Store.Mutate(ResourceType.Events, ns, name, e =>
            {
                e["count"] = (e.Int("count") ?? 1) + 1;
                e["lastTimestamp"] = now;
                e["message"] = message;
            }) is not null)
            return;
        api.Store.Create(ResourceType.Events, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = type.Kind,
                ["namespace"] = involved.Namespace(),
                ["name"] = involved.Name(),
                ["uid"] = involved.Uid(),
                ["apiVersion"] = type.ApiVersion,
                ["resourceVersion"] = involved.ResourceVersion(),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
            ["type"] = eventType,
            ["eventTime"] = null,
            ["reportingComponent"] = component,
            ["reportingInstance"] = "",
        });
    }
}
