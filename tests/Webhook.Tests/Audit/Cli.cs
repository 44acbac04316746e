using System.Text.Json.Nodes;
using RwxGuard.Audit;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Audit;

/// <summary>What one <c>webhook audit</c> run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonObject Json => JsonNode.Parse(Stdout)!.AsObject();

    public IReadOnlyList<JsonObject> Results => [.. Json["results"]!.AsArray().Select(r => r!.AsObject())];

    /// <summary>The results about one object (kind and name).</summary>
    public IReadOnlyList<JsonObject> For(string kind, string name) =>
        [.. Results.Where(r => (string?)r["kind"] == kind && (string?)r["name"] == name)];

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs <c>webhook audit</c> in-process with string readers and writers, at a fixed time.</summary>
public static class Cli
{
    public static readonly DateTimeOffset Now = new(2025, 3, 4, 10, 0, 0, 500, TimeSpan.Zero);

    public static string Anythingllm(string file) => Path.Combine(Fixtures.Dir, "anythingllm", file);
    public static string StorageClasses(string file) => Path.Combine(Fixtures.Dir, "storageclasses", file);
    public static string Admission(string file) => Path.Combine(Fixtures.Dir, "admission", file);

    public static Task<CliRun> RunAsync(params string[] args) => RunWithStdinAsync("", args);

    public static async Task<CliRun> RunWithStdinAsync(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AuditCommand.RunAsync(args, input, output, error, new FixedTime(Now), TestContext.Current.CancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The real binary (webhook.dll next to the tests) with <paramref name="stdin"/> piped in: `… | webhook audit -f -`.</summary>
    /// <summary>The built <c>webhook.dll audit …</c> as its own process, <paramref name="stdin"/> piped in.</summary>
    public static async Task<CliRun> RunBinaryWithStdinAsync(string stdin, params string[] args)
    {
        Assert.Equal("audit", args[0]);
        var run = await AuditProcess.RunAsync(args[1..], AuditProcess.Text(stdin), TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.False(run.Killed, run.ToString());
        return new CliRun(run.ExitCode, run.Stdout, run.Stderr);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
