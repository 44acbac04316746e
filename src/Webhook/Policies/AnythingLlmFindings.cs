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
            var (why, line) = Database(use, server, source.Count);
            Finding.Add(findings, options.AnythingLlmSqlite, Rules.AnythingLlmSqlite,
                $"AnythingLLM {what} {source.Description} on shared claim {claims}{why} Fix: run {AnythingLlm.PgImage} " +
                $"with DATABASE_URL set to a postgresql:// URL, or {keep}.",
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
                $"on that volume{unless}: {why}. LanceDB commits with file renames and hard links: several writers on NFS " +
                "or EFS get commit conflicts and \"Not found\" errors. Fix: set VECTOR_DB to an external vector " +
                $"database (pgvector, qdrant, chroma, pinecone, weaviate, milvus …) with its connection settings, or {keep}.",
                Line(what, line));
            break;
        }
    }

    /// <summary>The rest of the first sentence, and the one-line warning. On the main image the database is SQLite on
    /// the volume, whatever DATABASE_URL says; the pg image has no SQLite at all, but needs a postgresql:// DATABASE_URL,
    /// which rwx-guard must see to call the install safe.</summary>
    private static (string Why, string Line) Database(DatabaseUse use, ContainerInfo server, string count)
    {
        var pg = $", and runs the pg image {server.Image}, whose database is PostgreSQL at DATABASE_URL: ";
        return use switch
        {
            DatabaseUse.MainImageSqlite => (
                $", and its database is SQLite on that volume: image {server.Image} is AnythingLLM's main image, whose " +
                "Prisma datasource is the literal file:../storage/anythingllm.db (it does not read DATABASE_URL). " +
                "ReadWriteMany fixes attachment, not concurrent writers.",
                $"{count} share SQLite; use image :pg + postgresql:// DATABASE_URL"),
            DatabaseUse.PgWrongUrl => (
                $"{pg}DATABASE_URL is {Scheme(server)} here, and that image accepts only a postgresql:// (or postgres://) URL.",
                $"image :pg needs a postgresql:// DATABASE_URL, not {Scheme(server)}"),
            DatabaseUse.PgNoUrl => (
                $"{pg}DATABASE_URL is not set.",
                $"image :pg without DATABASE_URL; set a postgresql:// one"),
            DatabaseUse.PgUrlFromKey => (
                $"{pg}DATABASE_URL is set from a Secret or ConfigMap key rwx-guard cannot read, so it cannot confirm the " +
                "database is off the shared volume; fine if that key holds a postgresql:// URL.",
                $"{count} on image :pg; safe only if DATABASE_URL (valueFrom) is postgresql://"),
            _ => (
                $"{pg}DATABASE_URL is not in env, and rwx-guard cannot see envFrom; fine if DATABASE_URL is set through " +
                "envFrom to a postgresql:// URL.",
                $"{count} on image :pg; safe only if envFrom sets DATABASE_URL=postgresql://"),
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
