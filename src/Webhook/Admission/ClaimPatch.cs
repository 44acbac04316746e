using System.Text.Json.Nodes;
using RwxGuard.Domain;

namespace RwxGuard.Admission;

/// <summary>
/// The RFC 6902 patch that turns a claim as sent into the claim as the mutator admitted it. Only "add" operations: on an
/// object member, "add" creates it or replaces it, so the patch applies whether or not the API server defaulted the
/// field first. Paths are RFC 6901 pointers with '~' and '/' escaped.
/// </summary>
public static class ClaimPatch
{
    public static List<JsonPatchOperationWire> Between(ClaimInfo sent, ClaimInfo admitted)
    {
        var patch = new List<JsonPatchOperationWire>(3);
        if (admitted.SpecModes != sent.SpecModes)
            patch.Add(Add("/spec/accessModes", new JsonArray([.. AccessModeSet.Format(admitted.SpecModes).Split(',').Select(m => (JsonNode?)m)])));
        if (admitted.StorageClassName != sent.StorageClassName && admitted.StorageClassName is not null)
            patch.Add(Add("/spec/storageClassName", admitted.StorageClassName));

        var added = admitted.Annotations.Where(a => !sent.Annotations.TryGetValue(a.Key, out var v) || v != a.Value).ToList();
        if (added.Count > 0 && sent.Annotations.Count == 0)
        {
            // metadata.annotations may be absent: then the whole map is added (a pointer into a missing member fails).
            patch.Add(Add("/metadata/annotations", new JsonObject(added.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)))));
        }
        else
        {
            foreach (var (key, value) in added) patch.Add(Add("/metadata/annotations/" + Escape(key), value));
        }
        return patch;
    }

    /// <summary>One RFC 6901 reference token: '~' becomes "~0" and '/' becomes "~1" (in that order).</summary>
    public static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static JsonPatchOperationWire Add(string path, JsonNode value) => new() { Op = "add", Path = path, Value = value };
}
