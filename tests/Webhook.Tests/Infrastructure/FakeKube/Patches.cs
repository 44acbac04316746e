using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Infrastructure.FakeKube;

/// <summary>The three PATCH content types the API server accepts from clients (server-side apply is not modelled).</summary>
public static class Patches
{
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="target"/>; throws <see cref="PatchException"/>.</summary>
    public static JsonObject Apply(JsonObject target, string contentType, JsonNode patch)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType switch
        {
            MergePatch => (JsonObject)Merge(target.DeepClone(), patch, strategic: false)!,
            StrategicMergePatch => (JsonObject)Merge(target.DeepClone(), patch, strategic: true)!,
            JsonPatch => ApplyJsonPatch(target.Clone(), patch as JsonArray ?? throw new PatchException("a JSON patch is an array of operations")),
            _ => throw new PatchException($"the body of the request was in an unknown format - accepted media types include: {JsonPatch}, {MergePatch}, {StrategicMergePatch}", 415),
        };
    }

    /// <summary>
    /// RFC 7386: objects merge, null deletes, anything else replaces. With <paramref name="strategic"/>, lists of
    /// objects that all carry a "name" (containers, volumes, env, ports: the merge key Kubernetes declares for them)
    /// merge item by item, and <c>{"$patch": "delete"}</c> inside such an item removes it; every other list is replaced,
    /// as Kubernetes does for lists without a merge key.
    /// </summary>
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch, bool strategic)
    {
        if (patch is JsonArray patchList && strategic && target is JsonArray targetList && IsNamedList(patchList) && IsNamedList(targetList))
        {
            var merged = new JsonArray([.. targetList.Select(i => i!.DeepClone())]);
            foreach (var item in patchList.OfType<JsonObject>())
            {
                var name = (string?)item["name"];
                var existing = merged.OfType<JsonObject>().FirstOrDefault(i => (string?)i["name"] == name);
                if ((string?)item["$patch"] == "delete")
                {
                    if (existing is not null) merged.Remove(existing);
                    continue;
                }
                if (existing is null) merged.Add(item.DeepClone());
                else merged[merged.IndexOf(existing)] = Merge(existing.DeepClone(), item, strategic);
            }
            return merged;
        }
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else result[key] = Merge(result[key]?.DeepClone(), value, strategic);
        }
        return result;
    }

    private static bool IsNamedList(JsonArray list) => list.All(i => i is JsonObject o && o["name"] is JsonValue);

    private static JsonObject ApplyJsonPatch(JsonObject document, JsonArray operations)
    {
        JsonNode root = document;
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = (string?)operation["op"] ?? throw new PatchException("a JSON patch operation has no 'op'");
            var path = (string?)operation["path"] ?? throw new PatchException($"JSON patch {op}: no 'path'");
            switch (op)
            {
                case "add": Add(root, path, operation["value"]?.DeepClone()); break;
                case "replace": Remove(root, path); Add(root, path, operation["value"]?.DeepClone()); break;
                case "remove": Remove(root, path); break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), operation["value"]))
                        throw new PatchException($"testing value {path} failed");
                    break;
                case "copy": Add(root, path, Get(root, (string)operation["from"]!)?.DeepClone()); break;
                case "move":
                    var from = (string)operation["from"]!;
                    var moved = Get(root, from)?.DeepClone();
                    Remove(root, from);
                    Add(root, path, moved);
                    break;
                default: throw new PatchException($"unexpected JSON patch operation '{op}'");
            }
        }
        return (JsonObject)root;
    }

    private static string[] Pointer(string path) =>
        [.. path.Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static JsonNode? Get(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var part in Pointer(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(part, out var child) => child,
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new PatchException($"doc is missing path: \"{path}\""),
            };
        }
        return node;
    }

    private static void Add(JsonNode root, string path, JsonNode? value)
    {
        var parts = Pointer(path);
        var parent = Get(root, "/" + string.Join('/', parts[..^1].Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count: a.Insert(i, value); break;
            default: throw new PatchException($"doc is missing path: \"{path}\"");
        }
    }

    private static void Remove(JsonNode root, string path)
    {
        var parts = Pointer(path);
        var parent = Get(root, "/" + string.Join('/', parts[..^1].Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last): o.Remove(last); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count: a.RemoveAt(i); break;
            default: throw new PatchException($"Unable to remove nonexistent key: {last}: missing value");
        }
    }
}

/// <summary>A patch that does not apply: 422 (or 415 for an unknown content type), as the API server answers.</summary>
public sealed class PatchException(string message, int code = 422) : Exception(message)
{
    public int Code { get; } = code;
}
