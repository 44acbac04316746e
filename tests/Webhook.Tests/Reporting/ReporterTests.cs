using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using RwxGuard.Cluster;
using RwxGuard.Options;
using RwxGuard.Reporting;
using RwxGuard.Tests.Cluster;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using RwxGuard.Domain;
using RwxGuard.Policies;

namespace RwxGuard.Tests.Reporting;

/// <summary>The background reporter against WireMock.Net speaking the Lease and PolicyReport APIs.</summary>
public sealed class ReporterTests : IAsyncLifetime
{
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/rwx-guard/leases/rwx-guard-reporter";
    private const string ReportsPath = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/ai/policyreports";
    private readonly KubeApiFake _api = new();
    private ClusterView _view = null!;
    private IKubernetes _client = null!;

    public async ValueTask InitializeAsync()
    {
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _api.Url });
        _view = new ClusterView(_client, ViewHarness.Fast());
        await _view.StartAsync(TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => _view.Status.Ready, "view ready");
    }

    public async ValueTask DisposeAsync()
    {
        await _view.StopAsync();
        await _api.DisposeAsync();
    }

    /// <summary>A report whose content the test controls.</summary>
    private sealed class TestSource : IReportSource
    {
        public volatile string Message = "first";

        public IReadOnlyList<NamespaceReport> Build(IClusterView view, ReportKind kind, DateTimeOffset now) =>
        [
            new("ai", "rwx-guard", new JsonObject
            {
                ["apiVersion"] = kind.ApiVersion,
                ["kind"] = kind.Kind,
                ["metadata"] = new JsonObject { ["name"] = "rwx-guard", ["namespace"] = "ai" },
                ["summary"] = new JsonObject { ["fail"] = 1 },
                ["results"] = new JsonArray(new JsonObject { ["message"] = Message, ["timestamp"] = new JsonObject { ["seconds"] = now.ToUnixTimeSeconds() } }),
            }, Message),
        ];
    }

    private ReporterService Reporter(TestSource source)
    {
        var services = new ServiceCollection()
            .AddSingleton(_view)
            .AddSingleton(_client)
            .AddLogging()
            .BuildServiceProvider();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reporting:IntervalSeconds"] = "0.1",
            ["Reporting:LeaseNamespace"] = "rwx-guard",
            ["Reporting:LeaseDurationSeconds"] = "2",
            ["Reporting:RenewDeadlineSeconds"] = "1",
            ["Reporting:RetryPeriodSeconds"] = "0.2",
        }).Build();
        var settings = new LiveSettings<ReportingOptions>(config, ReportingOptions.Section, new ReportingOptionsValidator());
        return new ReporterService(services, source, settings, TimeProvider.System, NullLogger<ReporterService>.Instance);
    }

    private void FreeLease()
    {
        _api.Server.Given(Request.Create().WithPath(LeasePath).UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "application/json")
                .WithBody("""{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"""));
        // Create and replace answer with what was sent, as the API server does.
        foreach (var (method, status) in new[] { ("POST", 201), ("PUT", 200) })
            _api.Server.Given(Request.Create().WithPath(method == "POST" ? "/apis/coordination.k8s.io/v1/namespaces/rwx-guard/leases" : LeasePath).UsingMethod(method))
                .AtPriority(1).RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json")
                    .WithBody("{{{request.body}}}").WithTransformer());
    }

    private void ReportEndpoints()
    {
        _api.Server.Given(Request.Create().WithPath(ReportsPath).UsingPost()).InScenario("report").WillSetStateTo("exists").AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json").WithBody("{{{request.body}}}").WithTransformer());
        _api.Server.Given(Request.Create().WithPath(ReportsPath).UsingPost()).InScenario("report").WhenStateIs("exists").AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(409).WithHeader("Content-Type", "application/json")
                .WithBody("""{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"AlreadyExists","code":409}"""));
        _api.Server.Given(Request.Create().WithPath(ReportsPath + "/rwx-guard").UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("""{"apiVersion":"wgpolicyk8s.io/v1alpha2","kind":"PolicyReport","metadata":{"name":"rwx-guard","namespace":"ai","resourceVersion":"42"}}"""));
        _api.Server.Given(Request.Create().WithPath(ReportsPath + "/rwx-guard").UsingPut()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("{{{request.body}}}").WithTransformer());
    }

    private List<(string Method, string Path, string Body)> Calls() =>
        _api.Server.LogEntries.Select(e => (e.RequestMessage.Method, e.RequestMessage.Path, e.RequestMessage.Body ?? "")).ToList();

    [Fact]
    public async Task The_lease_is_taken_before_any_write_and_reports_are_written_only_when_they_change()
    {
        FreeLease();
        ReportEndpoints();
        var source = new TestSource();
        using var reporter = Reporter(source);
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => Calls().Any(c => c.Method == "POST" && c.Path == ReportsPath), "the report is created",
            state: () => string.Join("\n", Calls().Where(c => c.Path.Contains("lease") || c.Path.Contains("wgpolicy")).TakeLast(12).Select(c => $"{c.Method} {c.Path} {c.Body[..Math.Min(c.Body.Length, 200)]}")));
        var calls = Calls();
        var firstLease = calls.FindIndex(c => c.Path.Contains("/leases") && c.Method is "POST" or "PUT");
        var firstReport = calls.FindIndex(c => c.Path.StartsWith(ReportsPath, StringComparison.Ordinal));
        Assert.True(firstLease >= 0 && firstLease < firstReport, "the lease was written before the first report");
        Assert.True(reporter.IsLeader);

        // Many intervals with the same content: no further write.
        await Task.Delay(800, TestContext.Current.CancellationToken);
        Assert.Single(Calls(), c => c.Path.StartsWith(ReportsPath, StringComparison.Ordinal) && c.Method != "GET");

        source.Message = "second";
        await Poll.UntilAsync(() => Calls().Any(c => c.Method == "PUT" && c.Path == ReportsPath + "/rwx-guard"), "the changed report is replaced");
        var put = Calls().Last(c => c.Method == "PUT" && c.Path == ReportsPath + "/rwx-guard");
        var sent = JsonNode.Parse(put.Body)!;
        Assert.Equal("42", sent["metadata"]!["resourceVersion"]!.GetValue<string>()); // replaced at the version it read
        Assert.Equal("second", sent["results"]![0]!["message"]!.GetValue<string>());
        await reporter.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_real_source_reports_the_cluster_with_correct_summary_counts()
    {
        // A view with one violation (3 replicas on an RWO claim) and one clean workload, in namespace ai.
        await _view.StopAsync(TestContext.Current.CancellationToken);
        await using var api = new KubeApiFake();
        api.OnList(ApiResource.Claims, KubeApiFake.Ok(Json.List(ApiResource.Claims, "10",
            Json.Claim("ai", "storage", "10", ["ReadWriteOnce"], phase: "Bound", statusModes: ["ReadWriteOnce"]),
            Json.Claim("ai", "shared", "11", ["ReadWriteMany"], phase: "Bound", statusModes: ["ReadWriteMany"]))));
        api.OnList(ApiResource.Deployments, KubeApiFake.Ok(Json.List(ApiResource.Deployments, "20",
            Json.Deployment("ai", "anythingllm", "20", 3, ["storage"], image: "registry.example.com/other:1"),
            Json.Deployment("ai", "web", "21", 3, ["shared"], image: "registry.example.com/web:1"))));
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        var view = new ClusterView(client, ViewHarness.Fast());
        await view.StartAsync(TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => view.Status.Ready, "view ready");
        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build();
            var metrics = new RwxGuard.Telemetry.WebhookMetrics(new TestMeterFactory());
            var source = new PolicyReportSource(
                new LiveSettings<PolicyOptions>(config, PolicyOptions.Section, new PolicyOptionsValidator()),
                new LiveSettings<MutationOptions>(config, MutationOptions.Section, new MutationOptionsValidator()));

            var report = Assert.Single(source.Build(view, ReportKind.PolicyReport, DateTimeOffset.UnixEpoch));
            Assert.Equal("ai", report.Namespace);
            Assert.Equal("wgpolicyk8s.io/v1alpha2", report.Body["apiVersion"]!.GetValue<string>());
            Assert.Equal(1, report.Body["summary"]!["fail"]!.GetValue<int>());
            Assert.Equal(1, report.Body["summary"]!["pass"]!.GetValue<int>());
            var fail = report.Body["results"]!.AsArray().Single(r => r!["result"]!.GetValue<string>() == "fail")!;
            Assert.Equal("replicated-single-attach", fail["rule"]!.GetValue<string>());
            Assert.Equal("anythingllm", fail["resources"]![0]!["name"]!.GetValue<string>());

            // The same cluster a minute later: same hash, so the writer skips it; only timestamps differ.
            var later = Assert.Single(source.Build(view, ReportKind.PolicyReport, DateTimeOffset.UnixEpoch.AddMinutes(1)));
            Assert.Equal(report.ContentHash, later.ContentHash);
            Assert.NotEqual(report.Body.ToJsonString(), later.Body.ToJsonString());
        }
        finally
        {
            await view.StopAsync(TestContext.Current.CancellationToken);
            _view = new ClusterView(_client, ViewHarness.Fast()); // DisposeAsync stops it again
        }
    }

    [Fact]
    public async Task A_replica_without_the_lease_writes_nothing()
    {
        var renew = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");
        _api.Server.Given(Request.Create().WithPath(LeasePath).UsingGet()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody($$$"""
                {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"rwx-guard-reporter","namespace":"rwx-guard","resourceVersion":"7"},
                 "spec":{"holderIdentity":"rwx-guard-other-replica","leaseDurationSeconds":3600,"acquireTime":"{{{renew}}}","renewTime":"{{{renew}}}"}}
                """));
        ReportEndpoints();
        using var reporter = Reporter(new TestSource());
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => Calls().Count(c => c.Path == LeasePath) >= 3, "several attempts to read the lease");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(reporter.IsLeader);
        Assert.DoesNotContain(Calls(), c => c.Path.StartsWith("/apis/wgpolicyk8s.io", StringComparison.Ordinal));
        Assert.DoesNotContain(Calls(), c => c.Path.Contains("/leases") && c.Method != "GET");
        await reporter.StopAsync(TestContext.Current.CancellationToken);
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);
        public void Dispose() { }
    }
}
