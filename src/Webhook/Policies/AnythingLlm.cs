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
    /// <summary>The environment variables this class reads; mappings into cached records keep only these.</summary>
    public static readonly IReadOnlySet<string> EnvironmentRead = new HashSet<string>(["DATABASE_URL"], StringComparer.Ordinal);

    public static bool UsesDefaultSqlite(PodTemplateInfo template) =>
        !template.Env.TryGetValue("DATABASE_URL", out var url) || url.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
}
