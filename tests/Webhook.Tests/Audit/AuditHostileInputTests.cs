using RwxGuard.Audit;
using RwxGuard.Platform;

namespace RwxGuard.Tests.Audit;

/// <summary>
/// Issue 11, item 3: input of a few hundred bytes that made <c>webhook audit</c> run for minutes, crash with a stack
/// overflow (exit 134) or read forever. Each case runs the built CLI as its own process, killed after
/// <see cref="Deadline"/>, and must end with exit code 2 and a message naming the file. "Quickly" is measured against a
/// run of the same binary on a small valid manifest (process start and JIT included in both): at most
/// <see cref="Budget"/> more. Before the fix (docs/reliability.md) these took 5.3 s to 60 s+, or ended in exit 134.
/// </summary>
public sealed class AuditHostileInputTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly SemaphoreSlim BaselineLock = new(1, 1);
    private static TimeSpan? _baseline;

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

    /// <summary>The same binary on a small valid manifest: what start-up costs on this machine right now.</summary>
    private static async Task<TimeSpan> BaselineAsync()
    {
        await BaselineLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_baseline is null)
            {
                var run = await RunAsync(["-f", Cli.Anythingllm("community-chart-rendered.yaml"), "-o", "json"]);
                Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
                _baseline = run.Elapsed;
            }
            return _baseline.Value;
        }
        finally
        {
            BaselineLock.Release();
        }
    }

    private static async Task AssertRefusedQuicklyAsync(AuditProcessRun run, string expected)
    {
        Assert.False(run.Killed, run.ToString());
        Assert.True(run.ExitCode == AuditCommand.ExitUnusable, run.ToString()); // never 134, never a result
        Assert.Contains(expected, run.Stderr);
        Assert.Contains("error: unusable input, nothing was checked", run.Stderr);
        Assert.Equal("", run.Stdout);
        var baseline = await BaselineAsync();
        Assert.True(run.Elapsed < baseline + Budget,
            $"took {run.Elapsed.TotalSeconds:F2} s; a small valid manifest took {baseline.TotalSeconds:F2} s\n{run}");
    }

    [Fact]
    public async Task An_alias_bomb_in_nested_Lists_is_refused_at_the_alias_that_crosses_the_limit()
    {
        var bomb = ManifestCorpus.AliasBomb(levels: 6); // 10⁶ claims from 638 bytes; 37 s before the fix
        var path = Write("bomb.yaml", bomb);

        var run = await RunAsync(["-f", path, "-o", "json"]);

        // Line 7 is "- &l5 {… items: [*l4, …": the fifth *l4 (11,111 nodes each) crosses 100,000 alias nodes.
        await AssertRefusedQuicklyAsync(run, $"{path}:7:64: aliases expand to more than 100,000 nodes, the limit for one input: not read");
    }

    [Fact]
    public async Task An_alias_bomb_on_stdin_is_refused()
    {
        var bomb = ManifestCorpus.AliasBomb(levels: 7); // killed after 60 s at 234 MiB before the fix

        var run = await RunAsync(["-f", "-"], AuditProcess.Text(bomb));

        await AssertRefusedQuicklyAsync(run, "<stdin>:7:64: aliases expand to more than 100,000 nodes");
    }

    [Fact]
    public async Task A_100000_deep_flow_sequence_is_refused_not_a_stack_overflow()
    {
        var path = Write("deep.json", ManifestCorpus.DeepFlowSequence(100_000)); // 200 KB; "Stack overflow", exit 134 before

        var run = await RunAsync(["-f", path]);

        await AssertRefusedQuicklyAsync(run, $"{path}:1:257: nested deeper than 256 levels, the limit: not read");
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
        await AssertRefusedQuicklyAsync(run, $"{tree}/a: symbolic link to {real}, a directory that contains it (a loop): not followed");
        Assert.Contains($"{tree}/b: symbolic link to {real}", run.Stderr);
    }

    [Fact]
    public async Task A_FIFO_in_a_directory_is_refused_without_opening_it()
    {
        var tree = TreeWithAManifest("fifo");
        await MakeFifoAsync(Path.Combine(tree, "pipe.yaml")); // nobody writes to it: reading it blocked forever before the fix

        var run = await RunAsync(["-f", tree]);

        await AssertRefusedQuicklyAsync(run, $"{tree}/pipe.yaml: not a regular file (a FIFO): not read");
    }

    [Fact]
    public async Task A_link_to_dev_zero_in_a_directory_is_refused()
    {
        var tree = TreeWithAManifest("zero");
        File.CreateSymbolicLink(Path.Combine(tree, "zero.yaml"), "/dev/zero"); // read until it crashed (4.3 GB, exit 134) before

        var run = await RunAsync(["-f", tree]);

        await AssertRefusedQuicklyAsync(run, $"{tree}/zero.yaml: symbolic link to /dev/zero, outside {UnixFiles.RealPath(tree)}: not followed");
    }

    [Fact]
    public async Task Dev_zero_named_on_the_command_line_is_read_only_up_to_the_file_limit()
    {
        var run = await RunAsync(["-f", "/dev/zero"]);

        await AssertRefusedQuicklyAsync(run, "/dev/zero: larger than 32 MiB, the limit for one input: not read");
    }

    [Fact]
    public async Task Endless_stdin_is_read_only_up_to_the_file_limit()
    {
        var run = await RunAsync(["-f", "-"], AuditProcess.Zeros(maxBytes: 4L * 1024 * 1024 * 1024));

        await AssertRefusedQuicklyAsync(run, "<stdin>: larger than 32 MiB, the limit for one input: not read");
        Assert.True(run.PeakRssMiB < 400, run.ToString()); // 32 MiB of text, not everything that was sent
    }

    internal static async Task MakeFifoAsync(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
