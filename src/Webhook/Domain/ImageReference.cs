namespace RwxGuard.Domain;

/// <summary>
/// A container image reference split the way registries read it: <c>[registry[:port]/]path/name[:tag][@digest]</c>.
/// Only the image field is ever parsed; text elsewhere in a manifest (a comment, an environment value) is never an image.
/// </summary>
/// <param name="Name">The last path segment of the repository, lowercase: the same image whatever registry or mirror
/// serves it (<c>docker.io/mintplexlabs/anythingllm</c>, <c>mirror.example/mintplexlabs/anythingllm</c>).</param>
/// <param name="Tag">The tag, when there is one (<c>pg</c>, <c>1.8.4</c>); null for <c>name</c> and <c>name@digest</c>.</param>
/// <param name="Digest">The digest, when pinned by one (<c>sha256:…</c>).</param>
public readonly record struct ImageReference(string Name, string? Tag, string? Digest)
{
    public static ImageReference Parse(string image)
    {
        var text = image.Trim();
        string? digest = null;
        var at = text.IndexOf('@');
        if (at >= 0)
        {
            digest = text[(at + 1)..];
            text = text[..at];
        }
        // A colon after the last slash starts the tag; one before it belongs to a registry port ("registry:5000/x").
        var lastSlash = text.LastIndexOf('/');
        var colon = text.IndexOf(':', lastSlash + 1);
        var tag = colon < 0 ? null : text[(colon + 1)..];
        var repository = colon < 0 ? text : text[..colon];
        return new ImageReference(repository[(lastSlash + 1)..].ToLowerInvariant(), string.IsNullOrEmpty(tag) ? null : tag,
            string.IsNullOrEmpty(digest) ? null : digest);
    }
}
