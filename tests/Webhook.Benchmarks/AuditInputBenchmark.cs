using System.Diagnostics;
using System.Text;
using RwxGuard.Tests.Audit;

namespace RwxGuard.Benchmarks;

/// <summary>
/// <c>audit-input</c>: the hostile inputs of issue 11 and a 5 MB <c>helm template</c>-like stream through a built
/// <c>webhook audit</c> (this build's, or an older one with <c>--dll</c>), each as its own process killed at a
/// deadline, with wall time, CPU time, peak RSS and exit code: the before/after table of docs/reliability.md. Options:
/// <c>--dll</c>, <c>--deadline</c> (seconds, default 60), <c>--only</c> (a part of a case's name), <c>--keep</c>.
/// </summary>
public static class AuditInputBenchmark
{
    private sealed record Case(string Name, string Input, string[] Args, Func<Stream, CancellationToken, Task>? Stdin = null);

    public static async Task<int> RunAsync(string[] args)
    {
        var dll = Harness.Arg(args, "--dll") ?? Path.Combine(AppContext.BaseDirectory, "webhook.dll");
        var deadline = TimeSpan.FromSeconds(Harness.IntArg(args, "--deadline", 60));
        var only = Harness.Arg(args, "--only");
        var keep = args.Contains("--keep"); // leave the inputs in the temp directory, to look at or reuse
        var work = Directory.CreateTempSubdirectory("rwx-guard-audit-input-");
        try
        {
            var cases = await PrepareAsync(work.FullName);
            var table = new StringBuilder($"webhook audit: {dll}, deadline {deadline.TotalSeconds:F0} s, {Environment.ProcessorCount} cores\n\n");
            table.Append("| case | input | exit | wall s | CPU s | peak RSS MiB | stderr (first line) |\n|---|---|---:|---:|---:|---:|---|\n");
            foreach (var c in cases.Where(c => only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
            {
                var run = await AuditProcess.RunAsync(c.Args, c.Stdin, deadline, CancellationToken.None, dll, work.FullName);
                var exit = run.Killed ? "killed" : run.ExitCode.ToString();
                var first = run.Stderr.Split('\n', 2)[0].Replace(work.FullName + "/", "", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
                var line = $"| {c.Name} | {c.Input} | {exit} | {run.Elapsed.TotalSeconds:F2} | {run.Cpu.TotalSeconds:F2} | {run.PeakRssMiB:F0} | {(first.Length > 110 ? first[..110] + "…" : first)} |";
                table.Append(line).Append('\n');
                Console.WriteLine(line);
            }
            Console.WriteLine();
            Console.Write(table);
            return 0;
        }
        finally
        {
            if (keep) Console.WriteLine($"inputs kept in {work.FullName}");
            else work.Delete(recursive: true);
        }
    }

    private static async Task<List<Case>> PrepareAsync(string dir)
    {
        string Write(string name, string text)
        {
            var path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
            return name;
        }
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        var chart = File.ReadAllText(Path.Combine(fixtures, "anythingllm", "community-chart-rendered.yaml"));
        string Tree(string name)
        {
            Write(Path.Combine(name, "app.yaml"), chart);
            return Path.Combine(dir, name);
        }

        var bomb6 = ManifestCorpus.AliasBomb(6);
        var bomb7 = ManifestCorpus.AliasBomb(7);
        var loop = Tree("loop");
        File.CreateSymbolicLink(Path.Combine(loop, "a"), ".");
        File.CreateSymbolicLink(Path.Combine(loop, "b"), ".");
        var fifo = Tree("fifo");
        using (var mkfifo = Process.Start("mkfifo", [Path.Combine(fifo, "pipe.yaml")])) await mkfifo.WaitForExitAsync();
        var zero = Tree("zero");
        File.CreateSymbolicLink(Path.Combine(zero, "zero.yaml"), "/dev/zero");
        var render = ManifestCorpus.HelmTemplateLike(fixtures, 5_000_000);

        return
        [
            new("valid chart (reference)", $"{Encoding.UTF8.GetByteCount(chart):N0} B", ["-f", Write("chart.yaml", chart), "-o", "json"]),
            new("alias bomb, 5 levels", $"{ManifestCorpus.AliasBomb(5).Length} B file", ["-f", Write("bomb5.yaml", ManifestCorpus.AliasBomb(5)), "-o", "json"]),
            new("alias bomb, 6 levels", $"{bomb6.Length} B file", ["-f", Write("bomb6.yaml", bomb6), "-o", "json"]),
            new("alias bomb, 7 levels, stdin", $"{bomb7.Length} B stdin", ["-f", "-", "-o", "json"], AuditProcess.Text(bomb7)),
            new("100,000-deep flow sequence", "200,001 B file", ["-f", Write("deep.json", ManifestCorpus.DeepFlowSequence(100_000))]),
            new("directory with two `-> .` links", "dir", ["-f", "loop"]),
            new("directory with a FIFO", "dir", ["-f", "fifo"]),
            new("directory with `-> /dev/zero`", "dir", ["-f", "zero"]),
            new("`-f /dev/zero`", "device", ["-f", "/dev/zero"]),
            new("endless stdin (zeros)", "stdin", ["-f", "-"], AuditProcess.Zeros(8L * 1024 * 1024 * 1024)),
            new($"helm-template-like stream ({render.Deployments} Deployments, {render.Claims} claims, {render.CustomResourceDefinitions} CRDs)",
                $"{Encoding.UTF8.GetByteCount(render.Text):N0} B file", ["-f", Write("render.yaml", render.Text), "-o", "json"]),
            new("helm-template-like stream, stdin", $"{Encoding.UTF8.GetByteCount(render.Text):N0} B stdin", ["-f", "-", "-o", "json"], AuditProcess.Text(render.Text)),
        ];
    }
}
