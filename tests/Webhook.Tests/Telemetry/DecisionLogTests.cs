using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RwxGuard.Policies;
using RwxGuard.Telemetry;
using RwxGuard.Tests.Infrastructure;
using ZLogger;
using static RwxGuard.Tests.Infrastructure.Objects;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Telemetry;

/// <summary>One structured log line per decision, written by the same ZLogger set-up the server uses.</summary>
public sealed class DecisionLogTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_decision_writes_one_line_with_uid_kind_object_operation_decision_rules_and_duration(bool json)
    {
        var output = new MemoryStream();
        var view = new FakeClusterView().Add(Claim("data", AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" });
        await using (var webhook = await RunningWebhook.StartAsync(
                         settings: new Dictionary<string, string?> { ["Logging:LogLevel:RwxGuard.Admission"] = "Information" },
                         configure: b => b.Logging.AddZLoggerStream(output, o => TelemetryRegistration.ConfigureLogOutput(o, json)),
                         services: s => s.AddSingleton<RwxGuard.Domain.IClusterView>(view)))
        {
            var (_, denied) = await webhook.Client.PostAsync("/validate",
                Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data"));
            Assert.False(denied["response"]!["allowed"]!.GetValue<bool>());
        } // disposing the host flushes the logger

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains("b8a93de7-e0ef-4aaf-8a42-20df3811000e", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        if (json)
        {
            var entry = JsonNode.Parse(line)!;
            Assert.Equal("Information", entry["LogLevel"]!.GetValue<string>());
            Assert.Equal("validate", entry["Webhook"]!.GetValue<string>());
            Assert.Equal("b8a93de7-e0ef-4aaf-8a42-20df3811000e", entry["Uid"]!.GetValue<string>());
            Assert.Equal("Deployment", entry["Kind"]!.GetValue<string>());
            Assert.Equal("tzlil-tets/hn-rss-site", entry["Target"]!.GetValue<string>());
            Assert.Equal("CREATE", entry["Operation"]!.GetValue<string>());
            Assert.Equal("denied", entry["Decision"]!.GetValue<string>());
            Assert.Equal("replicated-single-attach", entry["Rules"]!.GetValue<string>());
            Assert.Equal("enforce", entry["Mode"]!.GetValue<string>());
            Assert.False(entry["DryRun"]!.GetValue<bool>());
            Assert.InRange(entry["DurationMs"]!.GetValue<double>(), 0.0, 10_000.0);
        }
        else
        {
            Assert.StartsWith("INF RwxGuard.Admission.DecisionRecorder[", line);
            Assert.Contains("kind=Deployment object=tzlil-tets/hn-rss-site operation=CREATE decision=denied rules=replicated-single-attach mode=enforce dryRun=False durationMs=", line);
        }
    }

    /// <summary>
    /// Names and uids come from whoever can reach the port: a name with a line break must not forge a second log line
    /// in the text format (Kubernetes validates names later than webhooks run, and a direct caller skips it entirely).
    /// </summary>
    [Fact]
    public async Task Control_characters_from_the_request_cannot_forge_a_text_log_line()
    {
        var output = new MemoryStream();
        await using (var webhook = await RunningWebhook.StartAsync(
                         settings: new Dictionary<string, string?> { ["Logging:LogLevel:RwxGuard.Admission"] = "Information" },
                         configure: b => b.Logging.AddZLoggerStream(output, o => TelemetryRegistration.ConfigureLogOutput(o, json: false))))
        {
            var review = Fixtures.Review("datree-deployment-create-replicas2-v1.json");
            review["request"]!["uid"] = "uid-1\nINF forged decision=allowed";
            review["request"]!["name"] = "web\r\nINF RwxGuard.Admission.DecisionRecorder[0] validate uid=x decision=allowed";
            review["request"]!["object"]!["metadata"]!["name"] = review["request"]!["name"]!.GetValue<string>();
            var (status, _) = await webhook.Client.PostAsync("/validate", review);
            Assert.Equal(200, status);
        }

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines, l => l.Contains("uid-1", StringComparison.Ordinal));
        Assert.Contains("uid=uid-1\\u000aINF forged", line);
        Assert.Contains("web\\u000d\\u000aINF", line);
        Assert.DoesNotContain(lines, l => l.StartsWith("INF forged", StringComparison.Ordinal) || l.StartsWith("INF RwxGuard.Admission.DecisionRecorder[0]", StringComparison.Ordinal));
    }
}
