using System.Net;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;

namespace RwxGuard.Tests.Telemetry;

/// <summary>/metrics on the plain-HTTP port, in Prometheus format, with the admission instruments.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Admission_requests_and_policy_results_appear_in_prometheus_format()
    {
        var view = new FakeClusterView().Add(Claim("data", AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" });
        await using var webhook = await RunningWebhook.StartAsync(view);
        var (_, denied) = await webhook.Client.PostAsync("/validate",
            Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data"));
        Assert.False(denied["response"]!["allowed"]!.GetValue<bool>());

        using var http = new HttpClient { BaseAddress = webhook.MetricsAddress };
        var text = "";
        // The Prometheus exporter caches a scrape briefly; poll until the request shows up.
        for (var i = 0; i < 50 && !text.Contains("rwxguard_admission_requests_total{"); i++)
        {
            text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
            if (!text.Contains("rwxguard_admission_requests_total{")) await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var requests = Line(text, "rwxguard_admission_requests_total{");
        Assert.Contains("decision=\"denied\"", requests);
        Assert.Contains("kind=\"Deployment\"", requests);
        Assert.Contains("operation=\"CREATE\"", requests);
        Assert.Contains("webhook=\"validate\"", requests);
        Assert.Contains("mode=\"enforce\"", requests);
        Assert.Contains("dry_run=\"false\"", requests);
        Assert.Contains("rwxguard_admission_duration_seconds_bucket{", text);
        Assert.Contains("rule=\"replicated-single-attach\"", Line(text, "rwxguard_policy_results_total{"));
        // Never object names or uids in attributes.
        Assert.DoesNotContain("hn-rss-site", text);
        Assert.DoesNotContain("b8a93de7", text);
    }

    [Fact]
    public async Task Metrics_port_serves_only_metrics_and_https_port_does_not_serve_metrics()
    {
        await using var webhook = await RunningWebhook.StartAsync();
        using var http = new HttpClient { BaseAddress = webhook.MetricsAddress };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await http.PostAsync("/validate", Fixtures.Json(Fixtures.Review("kwctl-pod-create-v1.json")), TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await webhook.Client.GetAsync("/metrics", TestContext.Current.CancellationToken)).StatusCode);
    }

    private static string Line(string text, string prefix) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no line starting with {prefix} in:\n{text}");
}
