using System.Text.Json;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>Small accessors over Kubernetes objects held as <see cref="JsonObject"/>s.</summary>
public static class Obj
{
    public static JsonObject Metadata(this JsonObject o) =>
        o["metadata"] as JsonObject ?? (JsonObject)(o["metadata"] = new JsonObject());

    public static string Name(this JsonObject o) => (string?)o["metadata"]?["name"] ?? "";
    public static string Namespace(this JsonObject o) => (string?)o["metadata"]?["namespace"] ?? "";
    public static string Uid(this JsonObject o) => (string?)o["metadata"]?["uid"] ?? "";
    public static string ResourceVersion(this JsonObject o) => (string?)o["metadata"]?["resourceVersion"] ?? "";
    public static bool IsDeleting(this JsonObject o) => o["metadata"]?["deletionTimestamp"] is not null;

    public static IReadOnlyDictionary<string, string> Labels(this JsonObject o) => Map(o["metadata"]?["labels"]);
    public static IReadOnlyDictionary<string, string> Annotations(this JsonObject o) => Map(o["metadata"]?["annotations"]);

    public static IReadOnlyList<string> Finalizers(this JsonObject o) =>
        o["metadata"]?["finalizers"] is JsonArray a ? [.. a.Select(f => (string?)f ?? "")] : [];

    public static void SetFinalizers(this JsonObject o, IEnumerable<string> finalizers)
    {
        var list = finalizers.ToList();
        if (list.Count == 0) o.Metadata().Remove("finalizers");
        else o.Metadata()["finalizers"] = new JsonArray([.. list.Select(f => (JsonNode)JsonValue.Create(f))]);
    }

    public static void SetAnnotation(this JsonObject o, string key, string value)
    {
        var meta = o.Metadata();
        if (meta["annotations"] is not JsonObject annotations) meta["annotations"] = annotations = new JsonObject();
        annotations[key] = value;
    }

    /// <summary>The node at a dotted path ("spec.claimRef.name"), or null.</summary>
    public static JsonNode? At(this JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(part, out node)) return null;
        }
        return node;
    }

    public static string? Str(this JsonNode? node, string path) =>
        node.At(path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static int? Int(this JsonNode? node, string path) =>
        node.At(path) is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? int.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>Creates the intermediate objects of a dotted path and sets its last part.</summary>
    public static void Set(this JsonObject o, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var current = o;
        foreach (var part in parts[..^1])
        {
            if (current[part] is not JsonObject next) current[part] = next = new JsonObject();
            current = next;
        }
        current[parts[^1]] = value;
    }

    public static JsonObject Clone(this JsonObject o) => (JsonObject)o.DeepClone();

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Claim names of persistentVolumeClaim volumes in a pod spec.</summary>
    public static IEnumerable<string> ClaimNames(JsonNode? podSpec) =>
        podSpec?["volumes"] is JsonArray volumes
            ? volumes.Select(v => v.Str("persistentVolumeClaim.claimName")).OfType<string>()
            : [];

    /// <summary>A quantity such as "8Gi", "500M" or "1073741824" in bytes (the suffixes Kubernetes accepts).</summary>
    public static long Bytes(string? quantity)
    {
        if (string.IsNullOrEmpty(quantity)) return 0;
        string[] binary = ["Ki", "Mi", "Gi", "Ti", "Pi"];
        string[] dec = ["k", "M", "G", "T", "P"];
        for (var i = 0; i < binary.Length; i++)
            if (quantity.EndsWith(binary[i], StringComparison.Ordinal))
                return (long)(double.Parse(quantity[..^2], System.Globalization.CultureInfo.InvariantCulture) * Math.Pow(1024, i + 1));
        for (var i = 0; i < dec.Length; i++)
            if (quantity.EndsWith(dec[i], StringComparison.Ordinal))
                return (long)(double.Parse(quantity[..^1], System.Globalization.CultureInfo.InvariantCulture) * Math.Pow(1000, i + 1));
        return (long)double.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static IReadOnlyDictionary<string, string> Map(JsonNode? node) =>
        node is JsonObject o
            ? o.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>();
}
