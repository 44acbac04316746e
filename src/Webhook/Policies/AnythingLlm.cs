using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>How AnythingLLM shows up in real manifests (official chart, community charts, official raw manifest).</summary>
public static class AnythingLlm
{
    public static readonly string[] NameLabelValues = ["anythingllm", "anything-llm"];

    public static bool IsAnythingLlm(PodTemplateInfo template) =>
        (template.Labels.TryGetValue("app.kubernetes.io/name", out var name) && NameLabelValues.Contains(name))
        || template.Images.Any(IsAnythingLlmImage);

    /// <summary>mintplexlabs/anythingllm and ghcr.io/mintplex-labs/anything-llm.</summary>
    public static bool IsAnythingLlmImage(string image)
    {
        var repository = image.Split('@')[0];
        var lastSlash = repository.LastIndexOf('/');
        var colon = repository.IndexOf(':', lastSlash + 1);
        var name = (colon < 0 ? repository[(lastSlash + 1)..] : repository[(lastSlash + 1)..colon]).ToLowerInvariant();
        return name is "anythingllm" or "anything-llm";
    }

    /// <summary>
    /// AnythingLLM's Prisma schema uses SQLite under the storage directory unless DATABASE_URL points elsewhere. An
    /// envFrom'd ConfigMap could set it where admission cannot see: the warning says "unless" for that reason.
    /// </summary>
    public static bool UsesDefaultSqlite(PodTemplateInfo template) =>
        Variable(template, EnvironmentRead.DatabaseUrl) is not { Length: > 0 } url || url.StartsWith("file:", StringComparison.Ordinal);

    /// <summary>A variable's (reduced) value as the pod's containers set it, main containers first; null when unset
    /// or set through valueFrom.</summary>
    private static string? Variable(PodTemplateInfo template, string name)
    {
        foreach (var container in template.Containers)
            if (container.Env.TryGetValue(name, out var value)) return value;
        return null;
    }
}
