using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>Where one AnythingLLM server keeps its database, as AnythingLLM's own source decides it.</summary>
public enum DatabaseUse
{
    /// <summary>The pg image with a postgresql:// (or postgres://) DATABASE_URL: nothing on the shared volume.</summary>
    PostgreSql,
    /// <summary>The main image: its Prisma datasource is the literal <c>file:../storage/anythingllm.db</c>; DATABASE_URL is ignored.</summary>
    MainImageSqlite,
    /// <summary>The pg image with a DATABASE_URL of another scheme (<c>file:</c>, none).</summary>
    PgWrongUrl,
    /// <summary>The pg image with no DATABASE_URL at all.</summary>
    PgNoUrl,
    /// <summary>The pg image, DATABASE_URL set through valueFrom (a Secret or ConfigMap key admission cannot read).</summary>
    PgUrlFromKey,
    /// <summary>The pg image, DATABASE_URL not in env but envFrom is set: it may come from there, unseen.</summary>
    PgUrlFromEnvFrom,
}

/// <summary>Where one AnythingLLM server keeps its vectors.</summary>
public enum VectorUse
{
    /// <summary>VECTOR_DB names another provider (pgvector, chroma, qdrant, pinecone, weaviate, milvus, …): a server, not files.</summary>
    External,
    /// <summary>VECTOR_DB=lancedb: tables under STORAGE_DIR/lancedb.</summary>
    LanceDbSet,
    /// <summary>VECTOR_DB unset (or empty): AnythingLLM falls back to LanceDB.</summary>
    LanceDbDefault,
    /// <summary>VECTOR_DB set through valueFrom: unseen.</summary>
    FromKey,
    /// <summary>VECTOR_DB not in env but envFrom is set: it may come from there, unseen.</summary>
    FromEnvFrom,
}

/// <summary>
/// The two stores AnythingLLM keeps under its storage directory unless told otherwise, decided per server container
/// from its image and its environment (<see cref="EnvironmentRead"/>). Pure: the texts are in <see cref="AnythingLlmFindings"/>.
/// </summary>
public static class AnythingLlmStores
{
    public static DatabaseUse Database(ContainerInfo server)
    {
        if (!AnythingLlm.IsPgImage(server.Image)) return DatabaseUse.MainImageSqlite;
        var (set, url) = AnythingLlm.Variable(server, EnvironmentRead.DatabaseUrl);
        if (set) return url is null ? DatabaseUse.PgUrlFromKey : IsPostgreSql(url) ? DatabaseUse.PostgreSql : DatabaseUse.PgWrongUrl;
        return server.HasEnvFrom ? DatabaseUse.PgUrlFromEnvFrom : DatabaseUse.PgNoUrl;
    }

    public static VectorUse VectorDatabase(ContainerInfo server)
    {
        var (set, name) = AnythingLlm.Variable(server, EnvironmentRead.VectorDb);
        if (set)
            return name is null ? VectorUse.FromKey
                // process.env.VECTOR_DB || "lancedb": an empty value is the default too.
                : name.Length == 0 ? VectorUse.LanceDbDefault
                : name.Equals("lancedb", StringComparison.OrdinalIgnoreCase) ? VectorUse.LanceDbSet
                : VectorUse.External;
        return server.HasEnvFrom ? VectorUse.FromEnvFrom : VectorUse.LanceDbDefault;
    }

    /// <summary>The schemes Prisma's postgresql provider accepts (the value is reduced to its scheme, <see cref="EnvironmentRead"/>).</summary>
    public static bool IsPostgreSql(string scheme) => scheme is "postgresql:" or "postgres:";
}
