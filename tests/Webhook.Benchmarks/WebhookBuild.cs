using System.Diagnostics;
using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>The webhook build a benchmark measures, and the command that starts it.</summary>
/// <param name="Label">What the results call it ("jit", "aot", or the name of the directory given).</param>
/// <param name="Program">webhook.dll (run with <c>dotnet</c>) or a native executable.</param>
public sealed record WebhookBuild(string Label, string Program)
{
    public string Command => Program.EndsWith(".dll", StringComparison.Ordinal) ? $"dotnet {Program}" : Program;

    /// <summary>
    /// <c>--dll PATH</c>: that webhook.dll; <c>--publish-dir DIR</c>: the build in DIR (webhook.dll, or the native
    /// <c>webhook</c> of an AOT publish); <c>--aot</c>: published with <c>-p:PublishAot=true</c> into its own directory
    /// (<c>--aot-lenient</c>: also with <c>-p:TreatWarningsAsErrors=false</c>, to measure a build whose trimming and AOT
    /// warnings are not fixed yet); none of these: published as the Dockerfile does.
    /// </summary>
    public static WebhookBuild Resolve(string[] args, string work)
    {
        if (Arg(args, "--dll") is { } dll)
            return File.Exists(dll) ? new WebhookBuild(Name(Path.GetDirectoryName(Path.GetFullPath(dll))!), Path.GetFullPath(dll)) : throw new ArgumentException($"--dll: {dll} does not exist");
        if (Arg(args, "--publish-dir") is { } dir)
        {
            foreach (var candidate in new[] { "webhook.dll", "webhook" })
                if (File.Exists(Path.Combine(dir, candidate)))
                    return new WebhookBuild(Name(dir), Path.GetFullPath(Path.Combine(dir, candidate)));
            throw new ArgumentException($"--publish-dir: neither webhook.dll nor webhook in {dir}");
        }
        if (args.Contains("--aot")) return PublishAot(work, lenient: false);
        if (args.Contains("--aot-lenient")) return PublishAot(work, lenient: true);
        return new WebhookBuild("jit", Path.Combine(Publish(work), "webhook.dll"));
    }

    /// <summary>A build given by its directory is called by the directory's name ("webhook-aot").</summary>
    private static string Name(string directory) =>
        System.Text.RegularExpressions.Regex.Replace(Path.GetFileName(Path.GetFullPath(directory).TrimEnd('/')), "[^A-Za-z0-9._-]", "-");

    /// <summary>
    /// <c>dotnet publish -p:PublishAot=true</c> into {work}/webhook-aot. On failure, the compiler's errors and warnings
    /// (trimming and AOT analysis) are printed and written to {work}/publish-aot.log, and the benchmark stops: there is
    /// nothing to measure.
    /// </summary>
    public static WebhookBuild PublishAot(string work, bool lenient)
    {
        var output = Path.Combine(work, "webhook-aot");
        var log = Path.Combine(work, "publish-aot.log");
        var flags = "-p:PublishAot=true" + (lenient ? " -p:TreatWarningsAsErrors=false" : "");
        Console.WriteLine($"# publishing the webhook with Native AOT ({flags}) into {output}; log {log}");
        var psi = new ProcessStartInfo("dotnet", $"publish src/Webhook/Webhook.csproj -c Release {flags} -o {output}")
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
        var problems = text.Split('\n').Where(l => l.Contains(" error ", StringComparison.Ordinal) || l.Contains(" warning IL", StringComparison.Ordinal)
                                                 || l.Contains(" warning SYSLIB", StringComparison.Ordinal))
            .Select(l => l.Trim()).Distinct().ToList();
        if (publish.ExitCode == 0 && File.Exists(native))
        {
            if (problems.Count > 0) Console.WriteLine($"# Native AOT publish succeeded with {problems.Count} trimming/AOT warnings (see {log})");
            return new WebhookBuild(lenient ? "aot-lenient" : "aot", native);
        }
        Console.WriteLine($"# Native AOT publish failed (exit {publish.ExitCode}); {problems.Count} distinct errors and trimming/AOT warnings:");
        foreach (var line in problems.Take(40)) Console.WriteLine("#   " + line);
        if (problems.Count == 0) Console.WriteLine(string.Join('\n', text.Split('\n').TakeLast(30)));
        throw new InvalidOperationException($"the Native AOT publish failed; see {log}");
    }
}
