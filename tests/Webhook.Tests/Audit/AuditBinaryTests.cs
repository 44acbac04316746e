using RwxGuard.Audit;

namespace RwxGuard.Tests.Audit;

/// <summary>The real binary: <c>helm template … | webhook audit -f -</c>.</summary>
public sealed class AuditBinaryTests
{
    [Fact]
    public async Task Webhook_dll_audits_manifests_piped_to_stdin()
    {
        var run = await Cli.RunBinaryWithStdinAsync(await File.ReadAllTextAsync(Cli.Anythingllm("community-chart-rendered.yaml"),
            TestContext.Current.CancellationToken), "audit", "-f", "-", "-o", "json");
        Assert.True(run.ExitCode == AuditCommand.ExitViolations, run.ToString());
        var verdict = Assert.Single(run.For("Deployment", "anything-llm-team-a"));
        Assert.Equal("fail", (string?)verdict["result"]);
        Assert.Equal("claim server-storage (RWO)", (string?)verdict["properties"]!["claims"]);
        Assert.Contains("hint:", run.Stderr); // stdout stays pure JSON; the hint goes to stderr
    }
}
