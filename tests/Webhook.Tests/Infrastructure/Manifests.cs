using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace RwxGuard.Tests.Infrastructure;

/// <summary>The AnythingLLM manifests in Fixtures/anythingllm, loaded with KubernetesClient's YAML support.</summary>
public static class Manifests
{
    public static IReadOnlyList<object> Load(string file) =>
        KubernetesYaml.LoadAllFromString(Fixtures.Read(Path.Combine("anythingllm", file)));

    /// <summary>A CREATE AdmissionReview for an object from a manifest, shaped as the API server sends it.</summary>
    public static JsonObject CreateReview(IKubernetesObject<V1ObjectMeta> obj, string group, string version, string resource,
        string? subResource = null)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        return Fixtures.Wrap(new JsonObject
        {
            ["uid"] = Guid.NewGuid().ToString(),
            ["kind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = obj.Kind },
            ["resource"] = new JsonObject { ["group"] = group, ["version"] = version, ["resource"] = resource },
            ["subResource"] = subResource,
            ["name"] = obj.Metadata.Name,
            ["namespace"] = obj.Metadata.NamespaceProperty,
            ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "kubernetes-admin" },
            ["object"] = json,
            ["oldObject"] = null,
            ["dryRun"] = false,
        });
    }
}
