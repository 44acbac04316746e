using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RwxGuard.Audit;

/// <summary>
/// A YAML (or JSON: it is YAML too) document as a light tree whose nodes know where they start and end in the text,
/// which YamlDotNet's representation model does not record for mappings. Used to find objects, List items and
/// AdmissionReview payloads, and to hand each object's own text to KubernetesYaml.
/// </summary>
/// <param name="Nodes">This node and everything under it, aliases expanded.</param>
internal abstract record YamlTreeNode(Mark Start, Mark End, long Nodes);

internal sealed record YamlTreeScalar(string Value, ScalarStyle Style, Mark Start, Mark End) : YamlTreeNode(Start, End, 1)
{
    /// <summary>An empty document, or a plain null.</summary>
    public bool IsNull => Style == ScalarStyle.Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record YamlTreeSequence(IReadOnlyList<YamlTreeNode> Items, Mark Start, Mark End, long Nodes)
    : YamlTreeNode(Start, End, Nodes);

internal sealed record YamlTreeMapping(IReadOnlyList<KeyValuePair<string, YamlTreeNode>> Entries, bool Flow, Mark Start, Mark End,
    long Nodes) : YamlTreeNode(Start, End, Nodes)
{
    /// <summary>The value of the last entry with this key (a later duplicate wins, as with kubectl).</summary>
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

/// <summary>A key that occurs twice in one mapping: the value at <paramref name="Duplicate"/> is the one used.</summary>
internal sealed record YamlDuplicateKey(string Key, Mark First, Mark Duplicate);

/// <summary>A document past one of the <see cref="ManifestLimits"/>; the marks say where the limit was crossed.</summary>
internal sealed class YamlLimitException(Mark start, Mark end, string message) : YamlException(start, end, message);

/// <summary>
/// Parses the documents of one input within <see cref="ManifestLimits"/>: nesting depth, and nodes counted after
/// alias expansion (an alias counts everything its anchor holds, so the count is what a naive walk would visit,
/// computed without walking it). Counts add up over every <see cref="Parse(string)"/> call on one instance, so use
/// one instance per input file. Duplicate keys are collected, not refused.
/// </summary>
internal sealed class YamlTree(ManifestLimits limits)
{
    private long _nodes;
    private long _aliasNodes;
    private Origin _origin = Origin.TextStart;

    /// <summary>Keys given twice in one mapping, in the order they were read.</summary>
    public List<YamlDuplicateKey> DuplicateKeys { get; } = [];

    /// <summary>Every document of the text, in order. Throws <see cref="YamlException"/> (with its mark) on bad syntax
    /// and <see cref="YamlLimitException"/> past a limit.</summary>
    public IReadOnlyList<YamlTreeNode> Parse(string text) => Parse(text, 0, text.Length, 1, 1);

    /// <summary>The documents of <c>text[start..(start + length)]</c>, which begins at <paramref name="line"/> and
    /// <paramref name="column"/> of the text: every mark is in the coordinates of the whole text.</summary>
    public IReadOnlyList<YamlTreeNode> Parse(string text, int start, int length, long line, long column)
    {
        _origin = new Origin(start, line, column);
        try
        {
            var parser = new Parser(new StringReader(start == 0 && length == text.Length ? text : text.Substring(start, length)));
            var documents = new List<YamlTreeNode>();
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal);
                documents.Add(Read(parser, anchors, 0));
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
            return documents;
        }
        catch (YamlException e) when (e is not YamlLimitException && _origin != Origin.TextStart)
        {
            throw new YamlException(Shift(e.Start), Shift(e.End), ManifestReader.WithoutMarks(e.Message), e);
        }
    }

    private YamlTreeNode Read(IParser parser, Dictionary<string, YamlTreeNode> anchors, int depth)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                throw new YamlException(Shift(alias.Start), Shift(alias.End), $"alias *{alias.Value} refers to no anchor");
            _aliasNodes += target.Nodes;
            if (_aliasNodes > limits.MaxAliasNodes)
                throw Limit(alias, $"aliases expand to more than {limits.MaxAliasNodes:N0} nodes, the limit for one input");
            Count(alias, target.Nodes);
            return target;
        }

        YamlTreeNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            Count(scalar, 1);
            node = new YamlTreeScalar(scalar.Value, scalar.Style, Shift(scalar.Start), Shift(scalar.End));
            anchor = scalar.Anchor;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            Enter(sequenceStart, depth);
            var items = new List<YamlTreeNode>();
            long nodes = 1;
            SequenceEnd end;
            while (!parser.TryConsume(out end!))
            {
                var item = Read(parser, anchors, depth + 1);
                items.Add(item);
                nodes += item.Nodes;
            }
            node = new YamlTreeSequence(items, Shift(sequenceStart.Start), Shift(end.End), nodes);
            anchor = sequenceStart.Anchor;
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            Enter(mappingStart, depth);
            var entries = new List<KeyValuePair<string, YamlTreeNode>>();
            var seen = new Dictionary<string, Mark>(StringComparer.Ordinal);
            long nodes = 1;
            MappingEnd end;
            while (!parser.TryConsume(out end!))
            {
                var key = Read(parser, anchors, depth + 1);
                var value = Read(parser, anchors, depth + 1);
                nodes += key.Nodes + value.Nodes;
                // Complex keys ({a: b}: c) never occur in Kubernetes objects; they are kept under an unmatchable name.
                var name = key is YamlTreeScalar k ? k.Value : "\0complex";
                if (key is YamlTreeScalar && !seen.TryAdd(name, key.Start))
                    DuplicateKeys.Add(new YamlDuplicateKey(name, seen[name], key.Start));
                entries.Add(new(name, value));
            }
            node = new YamlTreeMapping(entries, mappingStart.Style == MappingStyle.Flow, Shift(mappingStart.Start), Shift(end.End),
                nodes);
            anchor = mappingStart.Anchor;
        }
        if (!anchor.IsEmpty) anchors[anchor.Value] = node;
        return node;
    }

    private void Enter(ParsingEvent collection, int depth)
    {
        if (depth + 1 > limits.MaxDepth)
            throw Limit(collection, $"nested deeper than {limits.MaxDepth:N0} levels, the limit");
        Count(collection, 1);
    }

    private void Count(ParsingEvent at, long nodes)
    {
        _nodes += nodes;
        if (_nodes > limits.MaxNodes)
            throw Limit(at, $"more than {limits.MaxNodes:N0} YAML nodes (aliases expanded), the limit for one input");
    }

    private YamlLimitException Limit(ParsingEvent at, string message) => new(Shift(at.Start), Shift(at.End), message);

    private Mark Shift(Mark mark) => _origin == Origin.TextStart
        ? mark
        : new Mark(_origin.Index + mark.Index, _origin.Line + mark.Line - 1,
            mark.Line == 1 ? _origin.Column + mark.Column - 1 : mark.Column);

    /// <summary>Where the parsed text starts in the whole text.</summary>
    private readonly record struct Origin(long Index, long Line, long Column)
    {
        public static readonly Origin TextStart = new(0, 1, 1);
    }
}
