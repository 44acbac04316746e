using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>
/// How AnythingLLM shows up in real manifests (official chart, community charts, official raw manifest, homelab and
/// GitOps repositories), and what its own source says about the two stores it keeps under its storage directory.
/// docs/mutation.md ("Which claims") and the README ("AnythingLLM on shared storage") quote the source lines.
/// </summary>
public static class AnythingLlm
{
    public static readonly string[] NameLabelValues = ["anythingllm", "anything-llm"];

    /// <summary>The image names AnythingLLM is published under (Docker Hub <c>mintplexlabs/anythingllm</c>, GHCR
    /// <c>mintplex-labs/anything-llm</c>), compared with the last path segment of an image, whatever the registry.</summary>
    public static readonly string[] ImageNames = ["anythingllm", "anything-llm"];

    /// <summary>Where AnythingLLM documents its PostgreSQL image: what every fix message points to.</summary>
    public const string PgImage = "mintplexlabs/anythingllm:pg";

    public static bool IsAnythingLlm(PodTemplateInfo template) =>
        (template.Labels.TryGetValue("app.kubernetes.io/name", out var name) && NameLabelValues.Contains(name))
        || template.Images.Any(IsAnythingLlmImage);

    /// <summary>mintplexlabs/anythingllm and ghcr.io/mintplex-labs/anything-llm, behind any registry or mirror, any tag or digest.</summary>
    public static bool IsAnythingLlmImage(string image) => ImageNames.Contains(ImageReference.Parse(image).Name);

    /// <summary>
    /// The PostgreSQL variant, built from AnythingLLM's <c>pg</c> branch and published as <c>:pg</c> (and
    /// <c>:pg-&lt;version&gt;</c> for releases). An image pinned by digest alone cannot be told apart: it is not taken as pg.
    /// </summary>
    public static bool IsPgImage(string image) =>
        ImageReference.Parse(image).Tag is { } tag && (tag == "pg" || tag.StartsWith("pg-", StringComparison.Ordinal));

    /// <summary>
    /// The containers whose environment decides what AnythingLLM uses: the main containers running AnythingLLM's image.
    /// A pod template recognised by its <c>app.kubernetes.io/name</c> label only (a rebuilt image under another name)
    /// is decided by its first main container, the one the charts run the server in.
    /// </summary>
    public static IReadOnlyList<ContainerInfo> Servers(PodTemplateInfo template)
    {
        var main = template.Containers.Where(c => !c.Init).ToList();
        var servers = main.Where(c => IsAnythingLlmImage(c.Image)).ToList();
        return servers.Count > 0 ? servers : main.Take(1).ToList();
    }

    /// <summary>A variable as one container sets it: absent, set through <c>valueFrom</c> (unseen), or a value.</summary>
    public static (bool Set, string? Value) Variable(ContainerInfo container, string name) =>
        container.Env.TryGetValue(name, out var value) ? (true, value) : (false, null);
}
