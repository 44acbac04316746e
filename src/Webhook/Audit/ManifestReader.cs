using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using RwxGuard.Mapping;
using RwxGuard.Policies;
using YamlDotNet.Core;
using RwxGuard.Domain;

namespace RwxGuard.Audit;

/// <summary>One input: a file, or stdin (named <c>&lt;stdin&gt;</c>).</summary>
internal sealed record ManifestSource(string Name, string Text);

/// <summary>What was read from all inputs: the objects the policies care about, counts, and errors.</summary>
internal sealed class ManifestSet
{
    public List<ClaimInfo> Claims { get; } = [];
    public List<WorkloadInfo> Workloads { get; } = [];
    public List<HpaInfo> Autoscalers { get; } = [];
    public List<StorageClassInfo> StorageClasses { get; } = [];

    /// <summary>"file:line" of each object, by kind, namespace and name (the last one read, when repeated).</summary>
    public Dictionary<(string Kind, string Namespace, string Name), string> Origins { get; } = [];

    /// <summary>Objects read, by kind.</summary>
    public SortedDictionary<string, int> Checked { get; } = new(StringComparer.Ordinal);

    /// <summary>Documents not checked (other kinds, non-Kubernetes YAML, AdmissionReviews without an object), by kind.</summary>
    public SortedDictionary<string, int> Skipped { get; } = new(StringComparer.Ordinal);

    public List<string> Sources { get; } = [];

    /// <summary>One per unusable input, document or object: nothing should be checked while there is any.</summary>
    public List<ManifestDiagnostic> Errors { get; } = [];

    /// <summary>Input that was read, but not as written (a duplicate key: the last value is used).</summary>
    public List<ManifestDiagnostic> Warnings { get; } = [];
}

/// <summary>
/// Reads Kubernetes manifests: multi-document YAML or JSON, <c>List</c> kinds (<c>v1 List</c> and typed lists such as
/// <c>StorageClassList</c>, whose items carry no kind), and AdmissionReviews (their <c>request.object</c>; bare
/// <c>request</c> bodies too). Claims, Deployments, StatefulSets, ReplicaSets, DaemonSets, HorizontalPodAutoscalers and
/// StorageClasses are loaded with KubernetesYaml and mapped with <see cref="ModelMapping"/>; any other kind is counted
/// and skipped. JSON objects written one after another with no separator are read as kubectl reads them
/// (<see cref="JsonStream"/>). Errors and warnings name the source, line and column. Everything is bounded by
/// <see cref="ManifestLimits"/>. No console I/O: the caller reports <see cref="ManifestSet.Errors"/> and
/// <see cref="ManifestSet.Warnings"/>.
/// </summary>
internal static partial class ManifestReader
{
    public const string NotAnObject = "(no apiVersion/kind)";
    public const string AdmissionReviewWithoutObject = "AdmissionReview without object";

    /// <summary>The name stdin goes by in messages and origins.</summary>
    public const string StdinName = "<stdin>";

    /// <summary>
    /// Reads every input: files, directories (recursively, <see cref="ManifestFiles"/>) and <c>-</c> for
    /// <paramref name="stdin"/> (read once however often it is named). Reading stops at the first input past
    /// <see cref="ManifestLimits.MaxTotalBytes"/>.
    /// </summary>
    public static async Task<ManifestSet> ReadAsync(IReadOnlyList<string> paths, TextReader stdin, string defaultNamespace,
        ManifestLimits limits, CancellationToken cancellationToken)
    {
        var set = new ManifestSet();
        long total = 0;
        var stdinRead = false;
        foreach (var path in paths)
        {
            List<string> files;
            try
            {
                if (path == "-")
                {
                    if (stdinRead) continue;
                    stdinRead = true;
                    files = ["-"];
                }
                else if (Directory.Exists(path)) files = ManifestFiles.InDirectory(path, set.Errors);
                else if (File.Exists(path)) files = [path];
                else
                {
                    set.Errors.Add(ManifestDiagnostic.About(path, "no such file or directory"));
                    continue;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                set.Errors.Add(ManifestDiagnostic.About(path, $"cannot read: {e.Message}"));
                continue;
            }

            foreach (var file in files)
            {
                var left = limits.MaxTotalBytes - total;
                string TooLong(long max) => max < limits.MaxFileBytes
                    ? $"the input exceeds {Size(limits.MaxTotalBytes)} in all here, the limit for all inputs together: not read"
                    : $"larger than {Size(limits.MaxFileBytes)}, the limit for one input: not read";
                var name = file == "-" ? StdinName : file;
                var (text, bytes) = file == "-"
                    ? await ManifestFiles.ReadStdinAsync(stdin, name, Math.Min(limits.MaxFileBytes, left), TooLong, set.Errors, cancellationToken)
                    : await ManifestFiles.ReadFileAsync(file, Math.Min(limits.MaxFileBytes, left), TooLong, set.Errors, cancellationToken);
                total += bytes;
                if (total > limits.MaxTotalBytes) return set;
                if (text is not null) Read(new ManifestSource(name, text), defaultNamespace, set, limits);
            }
        }
        // Empty input is more often a failed `helm template` in a pipe than a clean manifest set.
        var objects = set.Checked.Values.Sum() + set.Skipped.Values.Sum() - set.Skipped.GetValueOrDefault(NotAnObject);
        if (paths.Count > 0 && set.Errors.Count == 0 && objects == 0)
        {
            set.Errors.Add(ManifestDiagnostic.About(set.Sources.Count == 1 ? set.Sources[0] : "input",
                "no Kubernetes object: only empty documents, comments or YAML without apiVersion and kind (kubectl apply " +
                "refuses such input too)"));
        }
        return set;
    }

    /// <summary>Reads one input whose text is in memory.</summary>
    public static void Read(ManifestSource source, string defaultNamespace, ManifestSet into, ManifestLimits limits)
    {
        into.Sources.Add(source.Name);
        IReadOnlyList<YamlTreeNode> documents;
        List<YamlDuplicateKey> duplicates;
        try
        {
            (documents, duplicates) = Parse(source.Text, limits);
        }
        catch (YamlLimitException e)
        {
            into.Errors.Add(new(source.Name, e.Start.Line, e.Start.Column, $"{WithoutMarks(e.Message)}: not read (docs/audit.md#limits)"));
            return;
        }
        catch (YamlException e)
        {
            var (line, column) = TabIndentation(source.Text, e) ?? (e.Start.Line, e.Start.Column);
            into.Errors.Add(new(source.Name, line, column, $"invalid YAML: {WithoutMarks(e.Message)}"));
            return;
        }
        foreach (var duplicate in duplicates)
        {
            into.Warnings.Add(new(source.Name, duplicate.Duplicate.Line, duplicate.Duplicate.Column,
                $"duplicate key \"{duplicate.Key}\" (first at line {duplicate.First.Line}): the last value is used, as with kubectl"));
        }

        var reader = new Reader(source, defaultNamespace, into);
        foreach (var document in documents)
        {
            switch (document)
            {
                case YamlTreeScalar { IsNull: true }:
                    break; // an empty document ("---" with only comments), as helm template prints them
                case YamlTreeMapping mapping:
                    reader.Visit(mapping, null, null);
                    break;
                default:
                    into.Errors.Add(new(source.Name, document.Start.Line, document.Start.Column, "a document must be a " +
                        $"Kubernetes object (a mapping), not a {(document is YamlTreeSequence ? "sequence" : "scalar")}"));
                    break;
            }
        }
    }

    private sealed class Reader(ManifestSource source, string defaultNamespace, ManifestSet into)
    {
        public void Visit(YamlTreeMapping map, string? impliedApiVersion, string? impliedKind)
        {
            // A bare AdmissionRequest (the "request" member of a review, as some captures store it).
            if (map["kind"] is YamlTreeMapping requestKind && map["operation"] is not null)
            {
                AdmissionRequest(map, requestKind);
                return;
            }

            var kind = map.Text("kind") ?? impliedKind;
            var apiVersion = map.Text("apiVersion") ?? impliedApiVersion;
            if (kind == "AdmissionReview")
            {
                if (map["request"] is YamlTreeMapping request) AdmissionRequest(request, request["kind"] as YamlTreeMapping);
                else Count(into.Skipped, AdmissionReviewWithoutObject);
                return;
            }
            if (kind is null || apiVersion is null)
            {
                Count(into.Skipped, NotAnObject);
                return;
            }
            if (kind.EndsWith("List", StringComparison.Ordinal) && map["items"] is { } items)
            {
                // v1 List items carry their own apiVersion and kind; a typed list's items (StorageClassList) carry none.
                var itemKind = kind == "List" ? null : kind[..^"List".Length];
                if (items is YamlTreeSequence sequence)
                {
                    foreach (var item in sequence.Items)
                    {
                        if (item is YamlTreeMapping itemMap) Visit(itemMap, itemKind is null ? null : apiVersion, itemKind);
                        else if (item is not YamlTreeScalar { IsNull: true }) Error(item, $"{kind} items must be objects");
                    }
                }
                else if (items is not YamlTreeScalar { IsNull: true })
                {
                    Error(items, $"{kind}.items must be a list");
                }
                return;
            }

            var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
            switch (group, kind)
            {
                case ("", "PersistentVolumeClaim"):
                    Load<V1PersistentVolumeClaim>(map, kind, c => c.Metadata, c => into.Claims.Add(ModelMapping.ToClaim(c)));
                    break;
                case ("apps" or "extensions", "Deployment"):
                    Load<V1Deployment>(map, kind, d => d.Metadata, d => into.Workloads.Add(ModelMapping.ToWorkload(d)));
                    break;
                case ("apps", "StatefulSet"):
                    Load<V1StatefulSet>(map, kind, s => s.Metadata, s => into.Workloads.Add(ModelMapping.ToWorkload(s)));
                    break;
                case ("apps" or "extensions", "ReplicaSet"):
                    Load<V1ReplicaSet>(map, kind, r => r.Metadata, r => into.Workloads.Add(ModelMapping.ToWorkload(r)));
                    break;
                case ("apps" or "extensions", "DaemonSet"):
                    Load<V1DaemonSet>(map, kind, d => d.Metadata, d => into.Workloads.Add(ModelMapping.ToWorkload(d)));
                    break;
                case ("autoscaling", "HorizontalPodAutoscaler"):
                    // autoscaling/v1 has the same scaleTargetRef, minReplicas and maxReplicas; its CPU target is ignored.
                    Load<V2HorizontalPodAutoscaler>(map, kind, h => h.Metadata, h => into.Autoscalers.Add(ModelMapping.ToHpa(h)));
                    break;
                case ("storage.k8s.io", "StorageClass"):
                    Load<V1StorageClass>(map, kind, s => s.Metadata, s => into.StorageClasses.Add(ModelMapping.ToStorageClass(s)),
                        clusterScoped: true);
                    break;
                default:
                    Count(into.Skipped, kind);
                    break;
            }
        }

        private void AdmissionRequest(YamlTreeMapping request, YamlTreeMapping? requestKind)
        {
            if (request["object"] is not YamlTreeMapping obj)
            {
                Count(into.Skipped, AdmissionReviewWithoutObject); // DELETE carries only oldObject
                return;
            }
            // The request names the kind too: used when the object itself does not (it always does in captures).
            var group = requestKind?.Text("group");
            var version = requestKind?.Text("version");
            var apiVersion = version is null ? null : string.IsNullOrEmpty(group) ? version : $"{group}/{version}";
            Visit(obj, apiVersion, requestKind?.Text("kind"));
        }

        private void Load<T>(YamlTreeMapping map, string kind, Func<T, V1ObjectMeta?> metadata, Action<T> add, bool clusterScoped = false)
            where T : class
        {
            T obj;
            try
            {
                // The object's own text, indented as in the source so that line and column numbers carry over.
                // A flow mapping's end mark is its closing brace; a block mapping's is where the next token starts.
                var start = (int)map.Start.Index;
                var end = (int)map.End.Index + (map.Flow ? 1 : 0);
                var text = new string(' ', (int)map.Start.Column - 1) + source.Text[start..end];
                obj = KubernetesYaml.Deserialize<T>(text);
            }
            catch (YamlException e)
            {
                var line = e.Start.Line > 0 ? map.Start.Line + e.Start.Line - 1 : map.Start.Line;
                var column = e.Start.Line > 0 ? e.Start.Column : map.Start.Column;
                var inner = e.InnerException is null ? "" : $": {e.InnerException.Message}";
                into.Errors.Add(new(source.Name, line, column, $"cannot read {kind}: {WithoutMarks(e.Message)}{inner}"));
                return;
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException)
            {
                Error(map, $"cannot read {kind}: {e.Message}");
                return;
            }

            var meta = metadata(obj);
            if (string.IsNullOrEmpty(meta?.Name))
            {
                Error(map, $"{kind} has no metadata.name");
                return;
            }
            if (!clusterScoped && string.IsNullOrEmpty(meta.NamespaceProperty)) meta.NamespaceProperty = defaultNamespace;
            add(obj);
            Count(into.Checked, kind);
            into.Origins[(kind, clusterScoped ? "" : meta.NamespaceProperty, meta.Name)] = $"{source.Name}:{map.Start.Line}";
        }

        private void Error(YamlTreeNode node, string message) =>
            into.Errors.Add(new(source.Name, node.Start.Line, node.Start.Column, message));
    }

    /// <summary>
    /// The documents of one input. YAML first; text that is not YAML but JSON values written one after another is
    /// read value by value, with marks in the coordinates of the whole text.
    /// </summary>
    private static (IReadOnlyList<YamlTreeNode> Documents, List<YamlDuplicateKey> Duplicates) Parse(string text, ManifestLimits limits)
    {
        var tree = new YamlTree(limits);
        try
        {
            return (tree.Parse(text), tree.DuplicateKeys);
        }
        catch (YamlException e) when (e is not YamlLimitException && JsonStream.Split(text) is { } values)
        {
            tree = new YamlTree(limits); // counts and duplicates start again
            var documents = new List<YamlTreeNode>();
            foreach (var value in values)
                documents.AddRange(tree.Parse(text, value.Start, value.Length, value.Line, value.Column));
            return (documents, tree.DuplicateKeys);
        }
    }

    /// <summary>
    /// YamlDotNet reports a tab used as indentation at the start of the enclosing mapping (line 1 for a top-level key);
    /// kubectl, and the person fixing the file, want the line with the tab: the first indented line after the mark
    /// whose indentation holds one.
    /// </summary>
    private static (long Line, long Column)? TabIndentation(string text, YamlException e)
    {
        if (!e.Message.Contains("tab", StringComparison.Ordinal)) return null;
        var line = e.Start.Line;
        for (var i = (int)Math.Min(e.Start.Index, text.Length); i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            line++;
            for (var j = i + 1; j < text.Length && text[j] is ' ' or '\t'; j++)
            {
                if (text[j] == '\t') return (line, j - i);
            }
        }
        return null;
    }

    private static void Count(SortedDictionary<string, int> counts, string key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    private static string Size(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes:N0} bytes";

    /// <summary>YamlDotNet prefixes its messages with the marks, which the caller prints its own way.</summary>
    public static string WithoutMarks(string message) => MarkPrefix().Replace(message, "");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
