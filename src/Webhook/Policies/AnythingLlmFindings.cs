using RwxGuard.Domain;
namespace RwxGuard.Policies;

/// <summary>
/// Rules anythingllm-sqlite and anythingllm-lancedb: several AnythingLLM pods on a ReadWriteMany claim. RWX fixes
/// attachment, not concurrent writers, and AnythingLLM keeps two stores on that volume unless told otherwise. Each
/// finding says which store, why (image, DATABASE_URL, VECTOR_DB), and what to change.
/// </summary>
internal static class AnythingLlmFindings
{
    public static void Add(List<Finding> findings, string what, PodTemplateInfo template, ReplicaSource source,
        IReadOnlyList<ClaimInfo> sharedClaims, PolicyOptions options)
    {
        if (sharedClaims.Count == 0 || !AnythingLlm.IsAnythingLlm(template)) return;
        var servers = AnythingLlm.Servers(template);
        var claims = Text.Claims(sharedClaims);
        var keep = source.PerNode ? "run it as a one-replica Deployment" : "keep replicas: 1";

        // The first server that uses the store decides what is said (a pod normally runs one).
        foreach (var server in servers)
        {
            var use = AnythingLlmStores.Database(server);
            if (use == DatabaseUse.PostgreSql) continue;
            var (why, unless, line) = Database(use, server, source.Count);
            Finding.Add(findings, options.AnythingLlmSqlite, Rules.AnythingLlmSqlite,
                $"AnythingLLM {what} {source.Description} on shared claim {claims}, and its database is SQLite on that " +
                $"volume: {why}. ReadWriteMany fixes attachment, not concurrent writers{unless}. Fix: run " +
                $"{AnythingLlm.PgImage} with DATABASE_URL set to a postgresql:// URL, or {keep}.",
                Line(what, line));
            break;
        }
        foreach (var server in servers)
        {
            var use = AnythingLlmStores.VectorDatabase(server);
            if (use == VectorUse.External) continue;
            var (why, unless, line) = Vectors(use, source.Count);
            Finding.Add(findings, options.AnythingLlmLanceDb, Rules.AnythingLlmLanceDb,
                $"AnythingLLM {what} {source.Description} on shared claim {claims}, and its vector database is LanceDB " +
                $"on that volume: {why}. LanceDB commits with file renames and hard links: several writers on NFS or EFS " +
                $"get commit conflicts and \"Not found\" errors{unless}. Fix: set VECTOR_DB to an external vector " +
                $"database (pgvector, qdrant, chroma, pinecone, weaviate, milvus …) with its connection settings, or {keep}.",
                Line(what, line));
            break;
        }
    }

    private static (string Why, string Unless, string Line) Database(DatabaseUse use, ContainerInfo server, string count)
    {
        var image = server.Image;
        return use switch
        {
            DatabaseUse.MainImageSqlite => (
                $"image {image} is AnythingLLM's main image, whose Prisma datasource is the literal " +
                "file:../storage/anythingllm.db (it does not read DATABASE_URL)", "",
                $"{count} share SQLite; use image :pg + postgresql:// DATABASE_URL"),
            DatabaseUse.PgWrongUrl => (
                $"image {image} reads DATABASE_URL, which is {Scheme(server)} here, not postgresql://", "",
                $"image :pg needs a postgresql:// DATABASE_URL, not {Scheme(server)}"),
            DatabaseUse.PgNoUrl => (
                $"image {image} reads DATABASE_URL, which is not set", "",
                $"image :pg without DATABASE_URL; set a postgresql:// one"),
            DatabaseUse.PgUrlFromKey => (
                $"image {image} reads DATABASE_URL, which is set from a Secret or ConfigMap key rwx-guard cannot read",
                ", unless that key holds a postgresql:// URL",
                $"{count}: safe if DATABASE_URL (valueFrom) is postgresql://"),
            _ => (
                $"image {image} reads DATABASE_URL, which is not in env and rwx-guard cannot see envFrom",
                ", unless DATABASE_URL is set through envFrom to a postgresql:// URL",
                $"{count}: safe if envFrom sets DATABASE_URL=postgresql://"),
        };
    }

    private static (string Why, string Unless, string Line) Vectors(VectorUse use, string count) => use switch
    {
        VectorUse.LanceDbSet => (
            "VECTOR_DB=lancedb keeps its tables under STORAGE_DIR/lancedb", "",
            $"{count} share LanceDB (VECTOR_DB=lancedb); set an external one"),
        VectorUse.LanceDbDefault => (
            "VECTOR_DB is not set, so AnythingLLM uses LanceDB under STORAGE_DIR/lancedb", "",
            $"{count} share LanceDB (VECTOR_DB unset); set an external VECTOR_DB"),
        VectorUse.FromKey => (
            "VECTOR_DB is set from a Secret or ConfigMap key rwx-guard cannot read",
            ", unless that key names an external vector database",
            $"{count} share LanceDB unless VECTOR_DB (valueFrom) is external"),
        _ => (
            "VECTOR_DB is not in env and rwx-guard cannot see envFrom",
            ", unless VECTOR_DB is set through envFrom to an external vector database",
            $"{count} share LanceDB unless envFrom sets an external VECTOR_DB"),
    };

    /// <summary>The object first; with a long name the warning drops it rather than its fix (kubectl prints each warning
    /// under the object it applies, and the full message names it).</summary>
    private static string Line(string what, string line) => Text.FirstThatFits($"{what}: {line}", $"AnythingLLM: {line}");

    private static string Scheme(ContainerInfo server) =>
        server.Env.GetValueOrDefault(EnvironmentRead.DatabaseUrl) is { Length: > 0 } scheme ? scheme : "(no scheme)";
}
