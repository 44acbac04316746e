using System.Text;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// Deterministic, seeded mutations of a real AdmissionReview: byte flips, truncations, insertions and deletions of
/// bytes, invalid UTF-8, type swaps of JSON nodes, deleted fields, duplicated keys, out-of-range numbers, deep nesting,
/// long strings, lone surrogates. The same seed always gives the same body, so a failure names a case that replays.
/// </summary>
public static class CaptureMutator
{
    public static readonly string[] Kinds =
    [
        "flip-byte", "truncate", "insert-byte", "delete-range", "duplicate-range", "invalid-utf8",
        "swap-type", "delete-field", "null-field", "duplicate-key", "number-out-of-range", "deep-nesting",
        "long-string", "lone-surrogate", "empty-containers", "swap-array-object",
    ];

    public static (string Kind, byte[] Body) Mutate(JsonObject review, int seed)
    {
        var random = new Random(seed);
        var kind = Kinds[random.Next(Kinds.Length)];
        var text = review.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(text);
        return (kind, kind switch
        {
            "flip-byte" => FlipBytes(bytes, random),
            "truncate" => bytes[..random.Next(bytes.Length)],
            "insert-byte" => Insert(bytes, random.Next(bytes.Length), [(byte)Punctuation[random.Next(Punctuation.Length)]]),
            "delete-range" => DeleteRange(bytes, random),
            "duplicate-range" => DuplicateRange(bytes, random),
            "invalid-utf8" => Insert(bytes, random.Next(bytes.Length), InvalidUtf8[random.Next(InvalidUtf8.Length)]),
            "duplicate-key" => Encoding.UTF8.GetBytes(DuplicateKey(text, random)),
            "number-out-of-range" => Encoding.UTF8.GetBytes(ReplaceWithRaw(review, random, Numbers[random.Next(Numbers.Length)])),
            "deep-nesting" => Encoding.UTF8.GetBytes(ReplaceWithRaw(review, random, Nested(20 + random.Next(200)))),
            "lone-surrogate" => Encoding.UTF8.GetBytes(ReplaceWithRaw(review, random, "\"\\ud800x\\udfff\"")),
            _ => Encoding.UTF8.GetBytes(MutateTree(review, kind, random).ToJsonString()),
        });
    }

    private const string Punctuation = "{}[]\",:0\\ \u007f";

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xC3], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0x80],
    ];

    private static readonly string[] Numbers =
    [
        "1e400", "-1e400", "2147483648", "-2147483649", "9223372036854775808", "1.5", "-0", "1e-400", "00012",
        "123456789012345678901234567890", "-1",
    ];

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    /// <summary>
    /// A node to mutate: half the time one of the first four levels (apiVersion, request.uid, request.kind,
    /// object.spec …, what the decoder reads), else any node, managedFields included.
    /// </summary>
    private static JsonNode PickNode(JsonObject root, Random random)
    {
        var nodes = AllNodes(root).Where(n => n.Parent is not null).ToList();
        var shallow = nodes.Where(n => n.GetPath().Count(c => c is '.' or '[') <= 4).ToList();
        return random.Next(2) == 0 && shallow.Count > 0 ? shallow[random.Next(shallow.Count)] : nodes[random.Next(nodes.Count)];
    }

    private static byte[] FlipBytes(byte[] bytes, Random random)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = 1 + random.Next(4); i > 0; i--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    private static byte[] Insert(byte[] bytes, int at, byte[] inserted) => [.. bytes[..at], .. inserted, .. bytes[at..]];

    private static byte[] DeleteRange(byte[] bytes, Random random)
    {
        var at = random.Next(bytes.Length);
        var length = 1 + random.Next(Math.Min(64, bytes.Length - at));
        return [.. bytes[..at], .. bytes[(at + length)..]];
    }

    private static byte[] DuplicateRange(byte[] bytes, Random random)
    {
        var at = random.Next(bytes.Length);
        var length = 1 + random.Next(Math.Min(256, bytes.Length - at));
        return Insert(bytes, at, bytes[at..(at + length)]);
    }

    /// <summary>Repeats one "key": value pair of some object right after itself, with the value of another node.</summary>
    private static string DuplicateKey(string text, Random random)
    {
        // Candidate keys the decoder reads, so the duplicate matters: uid, kind, operation, replicas, name, namespace …
        var keys = new[] { "\"uid\":", "\"kind\":", "\"operation\":", "\"replicas\":", "\"name\":", "\"namespace\":",
            "\"apiVersion\":", "\"request\":", "\"object\":", "\"accessModes\":", "\"spec\":", "\"resource\":" };
        var present = keys.Where(k => text.Contains(k, StringComparison.Ordinal)).ToArray();
        if (present.Length == 0) return text;
        var key = present[random.Next(present.Length)];
        var positions = new List<int>();
        for (var at = text.IndexOf(key, StringComparison.Ordinal); at >= 0; at = text.IndexOf(key, at + 1, StringComparison.Ordinal))
            positions.Add(at);
        var position = positions[random.Next(positions.Count)];
        var values = new[] { "\"duplicate\"", "2", "null", "{}", "[]", "\"" + Guid.NewGuid() + "\"", "true", "\"DELETE\"" };
        return text.Insert(position, key + values[random.Next(values.Length)] + ",");
    }

    /// <summary>Serialises the review with one node replaced by raw JSON text (what JsonNode cannot hold).</summary>
    private static string ReplaceWithRaw(JsonObject review, Random random, string raw)
    {
        var copy = review.DeepClone().AsObject();
        var target = PickNode(copy, random);
        const string marker = "\"__rwx_guard_fuzz_marker__\"";
        Replace(target, JsonValue.Create("__rwx_guard_fuzz_marker__"));
        return copy.ToJsonString().Replace(marker, raw, StringComparison.Ordinal);
    }

    private static JsonNode MutateTree(JsonObject review, string kind, Random random)
    {
        var copy = review.DeepClone().AsObject();
        var target = PickNode(copy, random);
        switch (kind)
        {
            case "swap-type":
                Replace(target, target switch
                {
                    JsonObject => JsonValue.Create("object"),
                    JsonArray => JsonValue.Create(3),
                    JsonValue v when v.TryGetValue<string>(out var s) => s.Length % 2 == 0 ? JsonValue.Create(s.Length) : new JsonArray(s),
                    JsonValue v when v.TryGetValue<bool>(out var b) => JsonValue.Create(b ? "true" : "false"),
                    _ => JsonValue.Create(target.ToJsonString()),
                });
                break;
            case "delete-field":
                if (target.Parent is JsonObject parent) parent.Remove(target.GetPropertyName());
                else if (target.Parent is JsonArray array) array.RemoveAt(target.GetElementIndex());
                break;
            case "null-field":
                Replace(target, null);
                break;
            case "long-string":
                Replace(target, JsonValue.Create(new string('a', 50_000 + random.Next(100_000))));
                break;
            case "empty-containers":
                Replace(target, random.Next(2) == 0 ? new JsonObject() : new JsonArray());
                break;
            default: // swap-array-object
                Replace(target, target is JsonArray a
                    ? new JsonObject { ["0"] = a.Count > 0 ? a[0]?.DeepClone() : null }
                    : new JsonArray(target.DeepClone()));
                break;
        }
        return copy;
    }

    private static void Replace(JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[target.GetPropertyName()] = replacement;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }
    }

    private static IEnumerable<JsonNode> AllNodes(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.ToList())
            if (child is not null)
                foreach (var n in AllNodes(child))
                    yield return n;
    }
}
