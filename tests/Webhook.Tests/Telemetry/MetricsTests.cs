using System.Net;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Telemetry;

/// <summary>
/// Every host in this test process creates a meter named "RwxGuard", and an OpenTelemetry provider listens to all
/// meters of that name. In production there is one host per process; here the metrics tests run alone.
/// </summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>/metrics on the plain-HTTP port, in Prometheus format, with the admission instruments.</summary>
[Collection(nameof(MetricsCollection))]
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
        // The series this request must have produced (other servers in this test process share the meter name).
        string[] labels = ["decision=\"denied\"", "kind=\"Deployment\"", "operation=\"CREATE\"", "webhook=\"validate\"",
            "mode=\"enforce\"", "dry_run=\"false\""];
        var text = "";
        // The Prometheus exporter caches a scrape briefly; poll until the request shows up.
        for (var i = 0; i < 50 && Series(text, "rwxguard_admission_requests_total{", labels) is null; i++)
        {
            await Task.Delay(i == 0 ? 0 : 100, TestContext.Current.CancellationToken);
            text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        }

        Assert.NotNull(Series(text, "rwxguard_admission_requests_total{", labels));
        Assert.NotNull(Series(text, "rwxguard_admission_duration_seconds_bucket{", labels));
        Assert.NotNull(Series(text, "rwxguard_policy_results_total{", ["rule=\"replicated-single-attach\"", "result=\"violation\""]));
        // Never object names or uids in attributes.
        Assert.DoesNotContain("hn-rss-site", text);
        Assert.DoesNotContain("b8a93de7", text);
    }

    [Fact]
    public async Task Certificate_expiry_and_loads_are_published()
    {
        await using var webhook = await RunningWebhook.StartAsync();
        using var http = new HttpClient { BaseAddress = webhook.MetricsAddress };
        var text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var expiry = Series(text, "rwxguard_tls_certificate_expiry_seconds{", []) ?? Series(text, "rwxguard_tls_certificate_expiry_seconds ", []);
        Assert.NotNull(expiry);
        // The development certificate lasts 30 days: between 29 and 30 days remain.
        var seconds = double.Parse(expiry.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 29 * 86400, 30 * 86400);
        Assert.NotNull(Series(text, "rwxguard_tls_certificate_loads_total{", ["result=\"success\""]));
    }

    [Fact]
    public async Task Plain_port_serves_metrics_and_probes_only_and_https_port_does_not_serve_metrics()
    {
        await using var webhook = await RunningWebhook.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = webhook.MetricsAddress };
        // The kubelet probes here (it has no client certificate when Server:ClientCaFile is set).
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz", ct));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await http.PostAsync("/validate", Fixtures.Json(Fixtures.Review("kwctl-pod-create-v1.json")), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await http.PostAsync("/mutate", Fixtures.Json(Fixtures.Review("kwctl-pod-create-v1.json")), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await webhook.Client.GetAsync("/metrics", ct)).StatusCode);
    }

    private static string? Series(string text, string prefix, string[] labels) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal) && labels.All(l.Contains));
}
