using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Deploy;

/// <summary>The API server's matching semantics, re-implemented for assertions (selectors, webhook rules, ports).</summary>
public static class K8s
{
    public static IReadOnlyList<string> Strings(JsonNode? array) =>
        array is null ? [] : array.AsArray().Select(n => (string)n!).ToList();

    public static IReadOnlyDictionary<string, string> Labels(JsonNode? metadata) =>
        metadata?["labels"]?.AsObject().ToDictionary(kv => kv.Key, kv => (string)kv.Value!) ?? new Dictionary<string, string>();

    /// <summary>metav1.LabelSelector semantics. A null selector matches nothing here (callers require one).</summary>
    public static bool Matches(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null) return false;
        foreach (var (key, value) in selector["matchLabels"]?.AsObject() ?? [])
        {
            if (!labels.TryGetValue(key, out var actual) || actual != (string)value!) return false;
        }
        foreach (var expression in selector["matchExpressions"]?.AsArray() ?? [])
        {
            var key = (string)expression!["key"]!;
            var values = Strings(expression["values"]);
            var has = labels.TryGetValue(key, out var actual);
            var ok = (string)expression["operator"]! switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                var op => throw new NotSupportedException($"selector operator {op}"),
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>A namespace as the API server labels it (kubernetes.io/metadata.name is set on every namespace).</summary>
    public static IReadOnlyDictionary<string, string> NamespaceLabels(string name, params (string Key, string Value)[] extra)
    {
        var labels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name };
        foreach (var (k, v) in extra) labels[k] = v;
        return labels;
    }

    /// <summary>admissionregistration/v1 RuleWithOperations matching for one request.</summary>
    public static bool RuleMatches(JsonNode rule, string group, string version, string resource, string operation)
    {
        var scope = (string?)rule["scope"] ?? "*";
        return Contains(rule["apiGroups"], group)
               && Contains(rule["apiVersions"], version)
               && Contains(rule["operations"], operation)
               && ResourceMatches(Strings(rule["resources"]), resource)
               && scope is "*" or "Namespaced";

        static bool Contains(JsonNode? list, string value) => Strings(list).Any(v => v == value || v == "*");
    }

    /// <summary>"*" matches resources but not subresources; "*/scale" every scale subresource; "*/*" everything.</summary>
    private static bool ResourceMatches(IReadOnlyList<string> patterns, string resource)
    {
        var slash = resource.IndexOf('/');
        return patterns.Any(p => p == resource || p == "*/*"
                                 || (p == "*" && slash < 0)
                                 || (slash > 0 && p == "*" + resource[slash..]));
    }

    public static bool AnyRuleMatches(JsonNode webhook, string group, string version, string resource, string operation) =>
        webhook["rules"]!.AsArray().Any(r => RuleMatches(r!, group, version, resource, operation));

    /// <summary>A container port given by number or by name.</summary>
    public static int ResolvePort(JsonNode container, JsonNode port)
    {
        if (port.GetValueKind() == System.Text.Json.JsonValueKind.Number) return (int)port;
        var name = (string)port!;
        var match = container["ports"]!.AsArray().SingleOrDefault(p => (string?)p!["name"] == name);
        Assert.True(match is not null, $"container {(string?)container["name"]} has no port named '{name}'");
        return (int)match!["containerPort"]!;
    }

    /// <summary>A container's effective security field: the container's own, else the pod's.</summary>
    public static JsonNode? Effective(JsonObject pod, JsonObject container, string field) =>
        container["securityContext"]?[field] ?? pod["securityContext"]?[field];

    public static string Image(JsonNode container) => (string)container["image"]!;

    public static readonly IReadOnlySet<string> AdmissionPolicyKinds = new HashSet<string> { "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding" };

    /// <summary>The cluster-scoped kinds rwx-guard's installs render.</summary>
    public static readonly IReadOnlySet<string> ClusterScoped = new HashSet<string>(
    [
        "Namespace", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
        "CustomResourceDefinition", .. AdmissionPolicyKinds,
    ]);
}
