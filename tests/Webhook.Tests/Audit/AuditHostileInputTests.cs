using RwxGuard.Audit;
using RwxGuard.Platform;

namespace RwxGuard.Tests.Audit;

/// <summary>
/// Issue 11, item 3: input of a few hundred bytes that made <c>webhook audit</c> run for minutes, crash with a stack
/// overflow (exit 134) or read forever. Each case runs the built CLI as its own process, killed after
/// <see cref="Deadline"/>, and must end with exit code 2 and a message naming the file, within <see cref="Budget"/>
/// of CPU (process start and JIT included) and <see cref="WallBudget"/> of wall time: on 2 cores shared with the rest of
/// the suite a run that needs 0.5 s of CPU can wait seconds for a core, so the CPU time is what proves the bound and the
/// wall time only that nothing blocks. Before the fix (docs/reliability.md) these used 5 s to 60 s+ of CPU, blocked
/// until killed, or ended in exit 134.
/// </summary>
public sealed class AuditHostileInputTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WallBudget = TimeSpan.FromSeconds(10);

    private readonly ManifestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string relative, string text) => _dir.Write(relative, text);

    /// <summary>A directory holding one real manifest, so that only the hostile entry makes the input unusable.</summary>
    private string TreeWithAManifest(string name)
    {
        var tree = Path.Combine(_dir.FullName, name);
        Directory.CreateDirectory(tree);
        File.Copy(Cli.Anythingllm("community-chart-rendered.yaml"), Path.Combine(tree, "app.yaml"));
        return tree;
    }

    private static async Task<AuditProcessRun> RunAsync(string[] args, Func<Stream, CancellationToken, Task>? stdin = null) =>
        await AuditProcess.RunAsync(args, stdin, Deadline, TestContext.Current.CancellationToken);

    private static void AssertRefusedQuickly(AuditProcessRun run, string expected)
    {
        Assert.False(run.Killed, run.ToString());
        Assert.True(run.ExitCode == AuditCommand.ExitUnusable, run.ToString()); // never 134, never a result
        Assert.Contains(expected, run.Stderr);
        Assert.Contains("error: unusable input, nothing was checked", run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.True(run.Cpu > TimeSpan.Zero && run.Cpu < Budget, run.ToString());
        Assert.True(run.Elapsed < WallBudget, run.ToString());
    }

    [Fact]
    public async Task An_alias_bomb_in_nested_Lists_is_refused_at_the_alias_that_crosses_the_limit()
    {
        var bomb = ManifestCorpus.AliasBomb(levels: 6); // 10⁶ claims from 638 bytes; 37 s before the fix
        var path = Write("bomb.yaml", bomb);

        var run = await RunAsync(["-f", path, "-o", "json"]);

        // Line 7 is "- &l5 {… items: [*l4, …": the fifth *l4 (11,111 nodes each) crosses 100,000 alias nodes.
        AssertRefusedQuickly(run, $"{path}:7:64: aliases expand to more than 100,000 nodes, the limit for one input: not read");
    }

    [Fact]
    public async Task An_alias_bomb_on_stdin_is_refused()
    {
        var bomb = ManifestCorpus.AliasBomb(levels: 7); // killed after 60 s at 234 MiB before the fix

        var run = await RunAsync(["-f", "-"], AuditProcess.Text(bomb));

        AssertRefusedQuickly(run, "<stdin>:7:64: aliases expand to more than 100,000 nodes");
    }

    [Fact]
    public async Task A_100000_deep_flow_sequence_is_refused_not_a_stack_overflow()
    {
        var path = Write("deep.json", ManifestCorpus.DeepFlowSequence(100_000)); // 200 KB; "Stack overflow", exit 134 before

        var run = await RunAsync(["-f", path]);

        AssertRefusedQuickly(run, $"{path}:1:257: nested deeper than 256 levels, the limit: not read");
        Assert.DoesNotContain("Stack overflow", run.Stderr);
    }

    [Fact]
    public async Task Symbolic_links_to_the_directory_itself_are_refused_not_walked()
    {
        var tree = TreeWithAManifest("loop");
        File.CreateSymbolicLink(Path.Combine(tree, "a"), ".");
        File.CreateSymbolicLink(Path.Combine(tree, "b"), "."); // two of them: 1.28 GB and killed before the fix

        var run = await RunAsync(["-f", tree, "-o", "json"]);

        var real = UnixFiles.RealPath(tree);
        AssertRefusedQuickly(run, $"{tree}/a: symbolic link to {real}, a directory that contains it (a loop): not followed");
        Assert.Contains($"{tree}/b: symbolic link to {real}", run.Stderr);
    }

    [Fact]
    public async Task A_FIFO_in_a_directory_is_refused_without_opening_it()
    {
        var tree = TreeWithAManifest("fifo");
        await MakeFifoAsync(Path.Combine(tree, "pipe.yaml")); // nobody writes to it: reading it blocked forever before the fix

        var run = await RunAsync(["-f", tree]);

        AssertRefusedQuickly(run, $"{tree}/pipe.yaml: not a regular file (a FIFO): not read");
    }

    [Fact]
    public async Task A_link_to_dev_zero_in_a_directory_is_refused()
    {
        var tree = TreeWithAManifest("zero");
        File.CreateSymbolicLink(Path.Combine(tree, "zero.yaml"), "/dev/zero"); // read until it crashed (4.3 GB, exit 134) before

        var run = await RunAsync(["-f", tree]);

        AssertRefusedQuickly(run, $"{tree}/zero.yaml: symbolic link to /dev/zero, outside {UnixFiles.RealPath(tree)}: not followed");
    }

    [Fact]
    public async Task Dev_zero_named_on_the_command_line_is_read_only_up_to_the_file_limit()
    {
        var run = await RunAsync(["-f", "/dev/zero"]);

        AssertRefusedQuickly(run, "/dev/zero: larger than 32 MiB, the limit for one input: not read");
    }

    [Fact]
    public async Task Endless_stdin_is_read_only_up_to_the_file_limit()
    {
        var run = await RunAsync(["-f", "-"], AuditProcess.Zeros(maxBytes: 4L * 1024 * 1024 * 1024));

        AssertRefusedQuickly(run, "<stdin>: larger than 32 MiB, the limit for one input: not read");
        Assert.True(run.PeakRssMiB < 400, run.ToString()); // 32 MiB of text, not everything that was sent
    }

    [Fact]
    public async Task A_directory_mounted_inside_itself_is_not_walked_again()
    {
        // A loop no link shows: a bind mount of the directory onto its own subdirectory (in a private mount namespace).
        Assert.SkipUnless(UnixFiles.EffectiveUserId == 0 && File.Exists("/usr/bin/unshare"), "needs root and unshare(1) to bind-mount");
        var tree = TreeWithAManifest("mounted");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));

        var run = await AuditProcess.RunAsync(["-f", tree], null, Deadline, TestContext.Current.CancellationToken,
            wrapper: ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount --bind \"$0\" \"$0/sub\" && exec \"$@\"", tree]);

        AssertRefusedQuickly(run, $"{tree}/sub: directory reached twice (a mount over itself?): not read again");
    }

    internal static async Task MakeFifoAsync(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
