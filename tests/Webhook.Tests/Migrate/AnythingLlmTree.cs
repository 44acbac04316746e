using System.Diagnostics;

namespace RwxGuard.Tests.Migrate;

/// <summary>
/// A storage directory shaped like AnythingLLM's (/app/server/storage): a SQLite database written with real
/// transactions, a LanceDB-like vector store (versioned manifests, data files hard-linked between versions, a
/// symlink to the latest version), documents, mode 0600 secrets, empty directories, a name with a newline, files
/// owned by uid 1000, and optionally a large model file for throughput measurements.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class AnythingLlmTree
{
    public const string Database = "anythingllm.db";
    public const string NewlineName = "notes\nwith newline.txt";

    public static void Create(string root, int documents = 40, long modelBytes = 0)
    {
        Directory.CreateDirectory(root);
        // The database: real writes through SQLite (python3's sqlite3 module), several transactions, WAL checkpointed.
        var python = $$"""
            import sqlite3, os, random
            c = sqlite3.connect({{Quote(Path.Combine(root, Database))}})
            c.execute("pragma journal_mode=wal")
            c.execute("create table workspaces (id integer primary key, name text, slug text unique, createdAt text)")
            c.execute("create table workspace_chats (id integer primary key, workspaceId integer, prompt text, response text)")
            for w in range(5):
                c.execute("insert into workspaces (name, slug, createdAt) values (?, ?, datetime('now'))", (f"Workspace {w}", f"ws-{w}"))
                c.commit()
            r = random.Random(7)
            for i in range(2000):
                c.execute("insert into workspace_chats (workspaceId, prompt, response) values (?, ?, ?)", (i % 5 + 1, f"question {i} " * r.randint(1, 20), os.urandom(64).hex()))
                if i % 100 == 0: c.commit()
            c.commit()
            c.execute("delete from workspace_chats where id % 7 = 0")
            c.commit()
            c.execute("pragma wal_checkpoint(truncate)")
            c.close()
            """;
        RunPython(python);

        var lance = Path.Combine(root, "lancedb", "workspace-ws-1.lance");
        Directory.CreateDirectory(Path.Combine(lance, "data"));
        Directory.CreateDirectory(Path.Combine(lance, "_versions"));
        Directory.CreateDirectory(Path.Combine(lance, "_transactions"));
        var random = new Random(11);
        for (var v = 1; v <= 3; v++)
        {
            var data = Path.Combine(lance, "data", $"fragment-{v}.lance");
            var bytes = new byte[64 * 1024 + v];
            random.NextBytes(bytes);
            File.WriteAllBytes(data, bytes);
            File.WriteAllText(Path.Combine(lance, "_versions", $"{v}.manifest"), $"version {v}\n");
            // Versions share data files: hard links, as LanceDB's commits do.
            Run("ln", data, Path.Combine(lance, "_transactions", $"{v}-fragment.lance"));
        }
        File.CreateSymbolicLink(Path.Combine(lance, "_latest.manifest"), "_versions/3.manifest");
        File.CreateSymbolicLink(Path.Combine(root, "lancedb", "current"), "workspace-ws-1.lance");

        var docs = Path.Combine(root, "documents", "custom-documents");
        Directory.CreateDirectory(docs);
        for (var i = 0; i < documents; i++)
            File.WriteAllText(Path.Combine(docs, $"doc-{i:000}.json"), $$"""{"id":"{{i}}","pageContent":"{{new string('x', 200 + i * 37)}}"}""");

        Directory.CreateDirectory(Path.Combine(root, "vector-cache"));             // empty
        Directory.CreateDirectory(Path.Combine(root, "assets", "empty", "deeper")); // empty, nested
        File.WriteAllText(Path.Combine(root, ".env"), "JWT_SECRET=not-a-real-secret\n");
        File.SetUnixFileMode(Path.Combine(root, ".env"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(root, NewlineName), "a file name with a newline\n");
        var comkey = Path.Combine(root, "comkey");
        Directory.CreateDirectory(comkey);
        File.WriteAllText(Path.Combine(comkey, "ipc-priv.pem"), "not a real key\n");
        File.SetUnixFileMode(Path.Combine(comkey, "ipc-priv.pem"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (modelBytes > 0)
        {
            var models = Path.Combine(root, "models", "Xenova", "all-MiniLM-L6-v2");
            Directory.CreateDirectory(models);
            using var model = File.Create(Path.Combine(models, "model.onnx"));
            var block = new byte[1 << 20];
            for (long written = 0; written < modelBytes; written += block.Length)
            {
                random.NextBytes(block);
                model.Write(block, 0, (int)Math.Min(block.Length, modelBytes - written));
            }
        }
        // The application's user (the official image runs as uid 1000), and old timestamps to prove they are kept.
        Chown(Path.Combine(root, "documents"), 1000, 1000);
        Chown(Path.Combine(root, Database), 1000, 1000);
        File.SetLastWriteTimeUtc(Path.Combine(docs, "doc-000.json"), new DateTime(2021, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        Directory.SetLastWriteTimeUtc(Path.Combine(root, "vector-cache"), new DateTime(2022, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    /// <summary>PRAGMA integrity_check on a database file: "ok" when it is intact.</summary>
    public static string IntegrityCheck(string database) =>
        RunPython($"import sqlite3; print(sqlite3.connect({Quote(database)}).execute('pragma integrity_check').fetchone()[0])").Trim();

    public static string RunPython(string code)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(code);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"python3 failed: {error}");
        return output;
    }

    private static void Chown(string path, int uid, int gid) => Run("chown", "-R", $"{uid}:{gid}", path);

    private static void Run(string command, params string[] args)
    {
        using var process = Process.Start(command, args)!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed");
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
