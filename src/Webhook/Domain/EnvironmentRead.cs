namespace RwxGuard.Domain;

/// <summary>
/// The environment variables a policy reads, and how much of each value a record keeps. The cluster view holds every
/// workload of the cluster: keeping only these, reduced, bounds its memory and keeps credentials out of it (a
/// DATABASE_URL carries a password).
/// </summary>
public static class EnvironmentRead
{
    public const string DatabaseUrl = "DATABASE_URL";
    public const string VectorDb = "VECTOR_DB";

    private const int MaxValueLength = 64;

    public static bool IsRead(string name) => name is DatabaseUrl or VectorDb;

    /// <summary>
    /// DATABASE_URL: its scheme only ("postgresql:", "file:"; "" when it has none), never the credentials after it.
    /// VECTOR_DB: the provider name as written ("lancedb", "pgvector"; AnythingLLM compares it exactly), cut to 64
    /// characters like any other value.
    /// </summary>
    public static string Reduce(string name, string value)
    {
        if (name == DatabaseUrl)
        {
            var colon = value.IndexOf(':');
            return colon < 0 ? "" : value[..(colon + 1)].ToLowerInvariant();
        }
        return value.Length <= MaxValueLength ? value : value[..MaxValueLength];
    }
}
