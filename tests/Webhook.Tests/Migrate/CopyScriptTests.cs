namespace RwxGuard.Tests.Migrate;

/// <summary>
/// The copy Job's script, for real: BusyBox's sh and tools on this machine, two directories standing for the two
/// volumes, an AnythingLLM-shaped tree. The result is checked by an independent reading of both trees.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CopyScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rwx-guard-copy-").FullName;
    private string Source => Path.Combine(_root, "source");
    private string Target => Path.Combine(_root, "target");

    public CopyScriptTests()
    {
        AnythingLlmTree.Create(Source);
        Directory.CreateDirectory(Target);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Copies_everything_with_owners_modes_times_links_and_empty_directories_and_verifies_it()
    {
        var lines = new List<string>();
        var (code, output) = CopyScript.Run(Source, Target, onLine: l => { lock (lines) lines.Add(l); });

        Assert.True(code == 0, output);
        Assert.Contains("VERIFIED files=", output);
        Assert.Contains(lines, l => l.StartsWith("PROGRESS files=", StringComparison.Ordinal)); // progress lines for the CLI's bar
        var source = TreeSnapshot.Of(Source);
        var target = TreeSnapshot.Of(Target);
        Assert.True(source.SequenceEqual(target), $"source:\n{TreeSnapshot.Describe(source)}\ntarget:\n{TreeSnapshot.Describe(target)}");

        // The cases the tree was built for, each looked at directly.
        Assert.Equal("ok", AnythingLlmTree.IntegrityCheck(Path.Combine(Target, AnythingLlmTree.Database)));
        Assert.Contains(target, e => e.Path == AnythingLlmTree.NewlineName && e.Type == 'f');
        Assert.Contains(target, e => e.Path == "vector-cache" && e.Type == 'd' && e.MtimeSeconds == new DateTimeOffset(2022, 1, 2, 3, 4, 5, TimeSpan.Zero).ToUnixTimeSeconds());
        Assert.Contains(target, e => e.Path == "assets/empty/deeper" && e.Type == 'd');
        Assert.Contains(target, e => e.Path == ".env" && e.Mode == "600");
        Assert.Contains(target, e => e.Path == "lancedb/workspace-ws-1.lance/_latest.manifest" && e.Type == 'l' && e.LinkTarget == "_versions/3.manifest");
        var linked = target.Where(e => e.LinkGroup == "lancedb/workspace-ws-1.lance/_transactions/1-fragment.lance").Select(e => e.Path).ToList();
        Assert.Equal(["lancedb/workspace-ws-1.lance/_transactions/1-fragment.lance", "lancedb/workspace-ws-1.lance/data/fragment-1.lance"], linked);
        Assert.Contains(target, e => e.Path == AnythingLlmTree.Database && e.Uid == "1000" && e.Gid == "1000");
        Assert.False(File.Exists(Path.Combine(Target, ".rwx-guard-copy-in-progress")));
    }

    [Fact]
    public void A_byte_changed_in_the_copy_fails_the_verification_and_names_the_file()
    {
        Assert.Equal(0, CopyScript.Run(Source, Target).ExitCode);
        var fragment = Path.Combine(Target, "lancedb", "workspace-ws-1.lance", "data", "fragment-2.lance");
        var mtime = File.GetLastWriteTimeUtc(fragment);
        using (var stream = File.Open(fragment, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 1000;
            var b = stream.ReadByte();
            stream.Position = 1000;
            stream.WriteByte((byte)(b ^ 0xFF));
        }
        File.SetLastWriteTimeUtc(fragment, mtime); // same size, same time: only the checksum can tell

        var (code, output) = CopyScript.Run(Source, Target, mode: "verify");

        Assert.Equal(1, code);
        Assert.Contains("content differs (sha256): ./lancedb/workspace-ws-1.lance/data/fragment-2.lance", output);
        Assert.Contains("FAILED: the copy in", output);
    }

    [Fact]
    public void A_missing_file_a_broken_hard_link_and_a_changed_mode_each_fail_the_verification()
    {
        Assert.Equal(0, CopyScript.Run(Source, Target).ExitCode);
        File.Delete(Path.Combine(Target, "documents", "custom-documents", "doc-003.json"));
        var linked = Path.Combine(Target, "lancedb", "workspace-ws-1.lance", "_transactions", "2-fragment.lance");
        var bytes = File.ReadAllBytes(linked);
        var mtime = File.GetLastWriteTimeUtc(linked);
        File.Delete(linked);
        File.WriteAllBytes(linked, bytes); // same content, no longer the same file
        File.SetLastWriteTimeUtc(linked, mtime);
        File.SetUnixFileMode(Path.Combine(Target, ".env"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var (code, output) = CopyScript.Run(Source, Target, mode: "verify");

        Assert.Equal(1, code);
        Assert.Contains("missing: ./documents/custom-documents/doc-003.json", output);
        Assert.Contains("attributes differ", output); // link counts of the broken pair, and the mode of .env
        Assert.Contains("./.env", output);
        Assert.Contains("file count differs", output);
    }

    [Fact]
    public void A_target_with_foreign_data_is_refused_and_left_alone_and_an_interrupted_copy_is_redone()
    {
        File.WriteAllText(Path.Combine(Target, "someone-elses.txt"), "keep me");
        var (refused, output) = CopyScript.Run(Source, Target);
        Assert.Equal(1, refused);
        Assert.Contains("not empty and holds no interrupted copy of ours", output);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(Target, "someone-elses.txt")));

        // What a copy killed half-way leaves: our marker and part of the data.
        File.Delete(Path.Combine(Target, "someone-elses.txt"));
        File.WriteAllText(Path.Combine(Target, ".rwx-guard-copy-in-progress"), "");
        Directory.CreateDirectory(Path.Combine(Target, "documents"));
        File.WriteAllText(Path.Combine(Target, "documents", "half.json"), "{");
        var (code, again) = CopyScript.Run(Source, Target);
        Assert.True(code == 0, again);
        Assert.Contains("target holds an interrupted copy of ours: clearing it", again);
        var source = TreeSnapshot.Of(Source);
        var target = TreeSnapshot.Of(Target);
        Assert.True(source.SequenceEqual(target), $"{again}\nsource:\n{TreeSnapshot.Describe(source)}\ntarget:\n{TreeSnapshot.Describe(target)}");
    }
}
