using System.Diagnostics;
using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>The webhook build a benchmark measures, and the command that starts it.</summary>
/// <param name="Label">What the results call it ("jit", "aot", or the path given).</param>
/// <param name="Program">webhook.dll (run with <c>dotnet</c>) or a native executable.</param>
public sealed record WebhookBuild(string Label, string Program)
{
    public string Command => Program.EndsWith(".dll", StringComparison.Ordinal) ? $"dotnet {Program}" : Program;

    /// <summary>
    /// <c>--dll PATH</c>: that webhook.dll; <c>--publish-dir DIR</c>: the build in DIR (webhook.dll, or the native
    /// <c>webhook</c> of an AOT publish); <c>--aot</c>: published with <c>-p:PublishAot=true</c> into its own directory;
    /// none of these: published as the Dockerfile does.
    /// </summary>
    public static WebhookBuild Resolve(string[] args, string work)
    {
        if (Arg(args, "--dll") is { } dll)
            return File.Exists(dll) ? new WebhookBuild(dll, Path.GetFullPath(dll)) : throw new ArgumentException($"--dll: {dll} does not exist");
        if (Arg(args, "--publish-dir") is { } dir)
        {
            foreach (var candidate in new[] { "webhook.dll", "webhook" })
                if (File.Exists(Path.Combine(dir, candidate)))
                    return new WebhookBuild(dir, Path.GetFullPath(Path.Combine(dir, candidate)));
            throw new ArgumentException($"--publish-dir: neither webhook.dll nor webhook in {dir}");
        }
        if (args.Contains("--aot")) return PublishAot(work);
        return new WebhookBuild("jit", Path.Combine(Publish(work), "webhook.dll"));
    }

    /// <summary>
    /// <c>dotnet publish -p:PublishAot=true</c> into {work}/webhook-aot. On failure, the compiler's errors and warnings
    /// (trimming and AOT analysis) are printed and written to {work}/publish-aot.log, and the benchmark stops: there is
    /// nothing to measure.
    /// </summary>
    public static WebhookBuild PublishAot(string work)
    {
        var output = Path.Combine(work, "webhook-aot");
        var log = Path.Combine(work, "publish-aot.log");
        Console.WriteLine($"# publishing the webhook with Native AOT (-p:PublishAot=true) into {output}; log {log}");
        var psi = new ProcessStartInfo("dotnet", $"publish src/Webhook/Webhook.csproj -c Release -p:PublishAot=true -o {output}")
        {
            WorkingDirectory = RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(psi)!;
        var stderr = publish.StandardError.ReadToEndAsync();
        var text = publish.StandardOutput.ReadToEnd() + stderr.Result;
        publish.WaitForExit();
        File.WriteAllText(log, text);
        var native = Path.Combine(output, "webhook");
        if (publish.ExitCode == 0 && File.Exists(native)) return new WebhookBuild("aot", native);

        var problems = text.Split('\n').Where(l => l.Contains(" error ", StringComparison.Ordinal) || l.Contains(" warning ", StringComparison.Ordinal))
            .Select(l => l.Trim()).Distinct().ToList();
        Console.WriteLine($"# Native AOT publish failed (exit {publish.ExitCode}); {problems.Count} distinct errors and warnings:");
        foreach (var line in problems.Take(40)) Console.WriteLine("#   " + line);
        if (problems.Count == 0) Console.WriteLine(string.Join('\n', text.Split('\n').TakeLast(30)));
        throw new InvalidOperationException($"the Native AOT publish failed; see {log}");
    }
}
