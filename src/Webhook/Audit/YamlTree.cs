using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RwxGuard.Audit;

/// <summary>
/// A YAML (or JSON: it is YAML too) document as a light tree whose nodes know where they start and end in the text,
/// which YamlDotNet's representation model does not record for mappings. Used to find objects, List items and
/// AdmissionReview payloads, and to hand each object's own text to KubernetesYaml.
/// </summary>
internal abstract record YamlTreeNode(Mark Start, Mark End);

internal sealed record YamlTreeScalar(string Value, ScalarStyle Style, Mark Start, Mark End) : YamlTreeNode(Start, End)
{
    /// <summary>An empty document, or a plain null.</summary>
    public bool IsNull => Style == ScalarStyle.Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record YamlTreeSequence(IReadOnlyList<YamlTreeNode> Items, Mark Start, Mark End) : YamlTreeNode(Start, End);

internal sealed record YamlTreeMapping(IReadOnlyList<KeyValuePair<string, YamlTreeNode>> Entries, bool Flow, Mark Start, Mark End)
    : YamlTreeNode(Start, End)
{
    /// <summary>The value of the last entry with this key (a later duplicate wins, as in most loaders).</summary>
    public YamlTreeNode? this[string key]
    {
        get
        {
            for (var i = Entries.Count - 1; i >= 0; i--)
            {
                if (Entries[i].Key == key) return Entries[i].Value;
            }
            return null;
        }
    }

    /// <summary>The value of a key when it is a non-null scalar.</summary>
    public string? Text(string key) => this[key] is YamlTreeScalar { IsNull: false } scalar ? scalar.Value : null;
}

internal static class YamlTree
{
    /// <summary>Every document of the text, in order. Throws <see cref="YamlException"/> (with its mark) on bad syntax.</summary>
    public static IReadOnlyList<YamlTreeNode> Parse(string text)
    {
        var parser = new Parser(new StringReader(text));
        var documents = new List<YamlTreeNode>();
        parser.Consume<StreamStart>();
        while (parser.TryConsume<DocumentStart>(out _))
        {
            var anchors = new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal);
            documents.Add(Read(parser, anchors));
            parser.Consume<DocumentEnd>();
        }
        parser.Consume<StreamEnd>();
        return documents;
    }

    private static YamlTreeNode Read(IParser parser, Dictionary<string, YamlTreeNode> anchors)
    {
        YamlTreeNode node;
        AnchorName anchor;
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"alias *{alias.Value} refers to no anchor");
        }
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            node = new YamlTreeScalar(scalar.Value, scalar.Style, scalar.Start, scalar.End);
            anchor = scalar.Anchor;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var items = new List<YamlTreeNode>();
            SequenceEnd end;
            while (!parser.TryConsume(out end!)) items.Add(Read(parser, anchors));
            node = new YamlTreeSequence(items, sequenceStart.Start, end.End);
            anchor = sequenceStart.Anchor;
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            var entries = new List<KeyValuePair<string, YamlTreeNode>>();
            MappingEnd end;
            while (!parser.TryConsume(out end!))
            {
                var key = Read(parser, anchors);
                var value = Read(parser, anchors);
                // Complex keys ({a: b}: c) never occur in Kubernetes objects; they are kept under an unmatchable name.
                entries.Add(new(key is YamlTreeScalar k ? k.Value : "\0complex", value));
            }
            node = new YamlTreeMapping(entries, mappingStart.Style == MappingStyle.Flow, mappingStart.Start, end.End);
            anchor = mappingStart.Anchor;
        }
        if (!anchor.IsEmpty) anchors[anchor.Value] = node;
        return node;
    }
}
