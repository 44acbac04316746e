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
    public static async Task<CliRun> RunBinaryWithStdinAsync(string stdin, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "webhook.dll");
        Assert.True(File.Exists(dll), $"{dll} is not next to the test assembly");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = System.Diagnostics.Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
