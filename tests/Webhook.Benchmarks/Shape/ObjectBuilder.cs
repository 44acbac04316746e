using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RwxGuard.Benchmarks.Shape;

/// <summary>
/// What the API server adds to what a user applies, so that the fake's objects weigh what real ones do:
/// <c>kubectl.kubernetes.io/last-applied-configuration</c> (the applied manifest again, as an escaped string) and
/// <c>managedFields</c> (one entry per field manager, a tree of every field it set). Both are derived from the object,
/// as the API server derives them.
/// </summary>
public static class ObjectBuilder
{
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>Like Go's encoder: quotes escaped, the rest of the text as it is.</summary>
    private static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Json(JsonNode node) => node.ToJsonString(Wire);

    /// <summary>The annotation `kubectl apply` (client-side) writes: the manifest as applied (metadata reduced to what a
    /// user writes, spec as given), one line, newline-terminated.</summary>
    public static void AddLastApplied(JsonObject obj, string apiVersion, string kind)
    {
        var metadata = obj["metadata"]!.AsObject();
        var applied = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject(),
                ["labels"] = metadata["labels"]?.DeepClone(),
                ["name"] = metadata["name"]?.DeepClone(),
                ["namespace"] = metadata["namespace"]?.DeepClone(),
            },
        };
        if (obj["spec"] is { } spec) applied["spec"] = spec.DeepClone();
        var annotations = metadata["annotations"] as JsonObject ?? new JsonObject();
        annotations[LastAppliedAnnotation] = Json(applied) + "\n";
        metadata["annotations"] = annotations;
    }

    /// <summary>
    /// managedFields as the API server records them: each manager's fields as a FieldsV1 tree ("f:name" per field,
    /// "k:{...}" per keyed list item, "." for a map the manager owns as a whole).
    /// </summary>
    public static void AddManagedFields(JsonObject obj, string apiVersion, params (string Manager, string? Subresource, string Time, string[] Paths)[] managers)
    {
        var entries = new JsonArray();
        foreach (var (manager, subresource, time, paths) in managers)
        {
            var fields = new JsonObject();
            foreach (var path in paths)
            {
                var parts = path.Split('.', 2);
                var source = obj[parts[0]];
                if (source is null) continue;
                if (parts.Length == 1)
                {
                    fields["f:" + parts[0]] = Fields(source, depth: 1);
                }
                else
                {
                    var parent = fields["f:" + parts[0]] as JsonObject ?? new JsonObject();
                    fields["f:" + parts[0]] = parent;
                    if (source[parts[1]] is { } child) parent["f:" + parts[1]] = Fields(child, depth: 2);
                }
            }
            var entry = new JsonObject
            {
                ["manager"] = manager,
                ["operation"] = "Update",
                ["apiVersion"] = apiVersion,
                ["time"] = time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = fields,
            };
            if (subresource is not null) entry["subresource"] = subresource;
            entries.Add(entry);
        }
        obj["metadata"]!["managedFields"] = entries;
    }

    private static JsonObject Fields(JsonNode node, int depth)
    {
        var result = new JsonObject();
        switch (node)
        {
            case JsonObject o:
                if (depth >= 2 && o.Count > 0) result["."] = new JsonObject();
                foreach (var (key, value) in o)
                    if (value is not null) result["f:" + key] = Fields(value, depth + 1);
                break;
            case JsonArray a:
                foreach (var item in a)
                    if (item is JsonObject element && Key(element) is { } key)
                    {
                        var fields = Fields(element, depth + 1);
                        result[key] = fields;
                    }
                break;
        }
        return result;
    }

    /// <summary>The list-map key of an item as the API declares it (owner references by uid; containers, env, volumes by
    /// name; ports by number and protocol; conditions by type); null: an atomic list.</summary>
    private static string? Key(JsonObject item)
    {
        if (item["uid"] is JsonValue uid) return $"k:{{\"uid\":{Json(uid)}}}";
        if (item["containerPort"] is JsonValue port)
            return $"k:{{\"containerPort\":{Json(port)},\"protocol\":{Json(item["protocol"] ?? "TCP")}}}";
        if (item["name"] is JsonValue name) return $"k:{{\"name\":{Json(name)}}}";
        if (item["type"] is JsonValue type) return $"k:{{\"type\":{Json(type)}}}";
        return null;
    }

    /// <summary>The compact text of <paramref name="obj"/> without its opening brace (what <see cref="JsonTemplate"/> takes).</summary>
    public static string Body(JsonObject obj) => Json(obj)[1..];
}
