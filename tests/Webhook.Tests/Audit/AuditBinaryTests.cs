using RwxGuard.Audit;

namespace RwxGuard.Tests.Audit;

/// <summary>The real binary: <c>helm template … | webhook audit -f -</c>.</summary>
public sealed class AuditBinaryTests
{
    [Fact]
    public async Task Webhook_dll_audits_manifests_piped_to_stdin()
    {
        Assert.True(File.Exists(AuditProcess.DefaultDll), $"{AuditProcess.DefaultDll} is not next to the test assembly");
        var chart = await File.ReadAllTextAsync(Cli.Anythingllm("community-chart-rendered.yaml"), TestContext.Current.CancellationToken);

        var process = await AuditProcess.RunAsync(["-f", "-", "-o", "json"], AuditProcess.Text(chart), TimeSpan.FromSeconds(60),
            TestContext.Current.CancellationToken);

        var run = new CliRun(process.ExitCode, process.Stdout, process.Stderr);
        Assert.True(run.ExitCode == AuditCommand.ExitViolations, process.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal("fail", (string?)verdict["result"]);
        Assert.Equal("claim server-storage (RWO)", (string?)verdict["properties"]!["claims"]);
        Assert.Contains("hint:", run.Stderr); // stdout stays pure JSON; the hint goes to stderr
    }
}
