using System.Diagnostics;
using RwxGuard.Audit;

namespace RwxGuard.Tests.Audit;

/// <summary>The real binary: <c>helm template … | webhook audit -f -</c>.</summary>
public sealed class AuditBinaryTests
{
    [Fact]
    public async Task Webhook_dll_audits_manifests_piped_to_stdin()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "webhook.dll");
        Assert.True(File.Exists(dll), $"{dll} is not next to the test assembly");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "audit", "-f", "-", "-o", "json" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardInput.WriteAsync(await File.ReadAllTextAsync(Cli.Anythingllm("community-chart-rendered.yaml"),
            TestContext.Current.CancellationToken));
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        var run = new CliRun(process.ExitCode, await stdout, await stderr);
        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal("fail", (string?)verdict["result"]);
        Assert.Equal("claim server-storage (RWO)", (string?)verdict["properties"]!["claims"]);
        Assert.Contains("hint:", run.Stderr); // stdout stays pure JSON; the hint goes to stderr
    }
}
