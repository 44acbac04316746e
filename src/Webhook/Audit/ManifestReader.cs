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

    /// <summary>"file:line:column: message", one per unusable document or object.</summary>
    public List<string> Errors { get; } = [];
}

/// <summary>
/// Reads Kubernetes manifests: multi-document YAML or JSON, <c>List</c> kinds (<c>v1 List</c> and typed lists such as
/// <c>StorageClassList</c>, whose items carry no kind), and AdmissionReviews (their <c>request.object</c>; bare
/// <c>request</c> bodies too). Claims, Deployments, StatefulSets, ReplicaSets, DaemonSets, HorizontalPodAutoscalers and
/// StorageClasses are loaded with KubernetesYaml and mapped with <see cref="ModelMapping"/>; any other kind is counted
/// and skipped. Errors name the source, line and column.
/// </summary>
internal static partial class ManifestReader
{
    public const string NotAnObject = "(no apiVersion/kind)";
    public const string AdmissionReviewWithoutObject = "AdmissionReview without object";

    public static void Read(ManifestSource source, string defaultNamespace, ManifestSet into)
    {
        into.Sources.Add(source.Name);
        IReadOnlyList<YamlTreeNode> documents;
        try
        {
            documents = YamlTree.Parse(source.Text);
        }
        catch (YamlException e)
        {
            into.Errors.Add($"{source.Name}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {Clean(e.Message)}");
            return;
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
                    into.Errors.Add($"{source.Name}:{document.Start.Line}:{document.Start.Column}: a document must be " +
                                    $"a Kubernetes object (a mapping), not a {(document is YamlTreeSequence ? "sequence" : "scalar")}");
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
                into.Errors.Add($"{source.Name}:{line}:{column}: cannot read {kind}: {Clean(e.Message)}{inner}");
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
            into.Errors.Add($"{source.Name}:{node.Start.Line}:{node.Start.Column}: {message}");
    }

    private static void Count(SortedDictionary<string, int> counts, string key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;

    /// <summary>YamlDotNet prefixes its messages with the marks, which the caller prints its own way.</summary>
    private static string Clean(string message) => MarkPrefix().Replace(message, "");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
