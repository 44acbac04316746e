using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using RwxGuard.Domain;
using RwxGuard.Evaluation;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Reporting;
using RwxGuard.Telemetry;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Infrastructure.FakeKube;
using static RwxGuard.Tests.Infrastructure.Objects;

namespace RwxGuard.Tests.Reporting;

/// <summary>
/// The background reporter against the stateful fake API server: leases, reports that must fit etcd (the fake refuses
/// objects over 1.5 MiB as etcd does), failures of one namespace, and what an earlier leader left behind.
/// </summary>
public sealed class ReporterTests : IAsyncLifetime
{
    private FakeKubeApi _api = null!;
    private Kubernetes _client = null!;
    private readonly WebhookMetrics _metrics = new(new TestMeterFactory());

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApi.StartAsync();
        _client = _api.Client();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        _metrics.Dispose();
    }

    /// <summary><paramref name="count"/> Deployments of 3 replicas, each on its own RWO claim: one violation each.</summary>
    private static FakeClusterView Violations(string @namespace, int count, FakeClusterView? into = null)
    {
        var view = into ?? new FakeClusterView();
        for (var i = 0; i < count; i++)
        {
            view.Add(Claim($"data-{i:00000}", AccessModes.ReadWriteOnce) with { Namespace = @namespace });
            view.Add(Workload($"web-{i:00000}", 3, $"data-{i:00000}") with { Namespace = @namespace, Uid = $"uid-{@namespace}-{i}" });
        }
        return view;
    }

    private ReporterService Reporter(IClusterView view) => new(view, Settings<ReportingOptions>(ReportingOptions.Section, new ReportingOptionsValidator(),
            new()
            {
                ["Reporting:IntervalSeconds"] = "0.1",
                ["Reporting:LeaseNamespace"] = "rwx-guard",
                ["Reporting:LeaseDurationSeconds"] = "2",
                ["Reporting:RenewDeadlineSeconds"] = "1",
                ["Reporting:RetryPeriodSeconds"] = "0.2",
            }),
        Settings<PolicyOptions>(PolicyOptions.Section, new PolicyOptionsValidator()),
        Settings<MutationOptions>(MutationOptions.Section, new MutationOptionsValidator()),
        _metrics, TimeProvider.System, NullLoggerFactory.Instance, _client);

    private static LiveSettings<T> Settings<T>(string section, FluentValidation.IValidator<T> validator, Dictionary<string, string?>? values = null)
        where T : class, new() =>
        new(new ConfigurationBuilder().AddInMemoryCollection(values ?? []).Build(), section, validator);

    private ReportWriter Writer() => new(_client, _metrics, NullLogger<ReportWriter>.Instance);

    private static IReadOnlyList<PolicyReport> Wanted(IClusterView view, out int dropped) =>
        PolicyReportBuilder.Build(PolicyAudit.Evaluate(view, new PolicyOptions(), new MutationOptions()), DateTimeOffset.UtcNow,
            ReportApi.PolicyReport, out dropped);

    private IReadOnlyList<JsonObject> Stored(string? @namespace = null) => _api.Store.List(ResourceType.PolicyReports, @namespace);

    private int ReportWrites() => _api.RequestLog.Count(l => l.Contains("/policyreports", StringComparison.Ordinal) && !l.StartsWith("GET", StringComparison.Ordinal));

    [Fact]
    public async Task The_lease_is_taken_before_any_write_and_reports_are_written_only_when_they_change()
    {
        var view = Violations("ai", 1);
        using var reporter = Reporter(view);
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => Stored("ai").Count == 1, "the report is created", state: () => string.Join("\n", _api.RequestLog.TakeLast(10)));
        var log = _api.RequestLog.ToList();
        var firstLease = log.FindIndex(l => l.Contains("/leases", StringComparison.Ordinal) && l.StartsWith("POST", StringComparison.Ordinal));
        var firstReport = log.FindIndex(l => l.Contains("/policyreports", StringComparison.Ordinal) && l.StartsWith("POST", StringComparison.Ordinal));
        Assert.True(firstLease >= 0 && firstLease < firstReport, "the lease was written before the first report");
        Assert.True(reporter.IsLeader);
        var report = Stored("ai").Single();
        Assert.Equal("rwx-guard", report.Name());
        Assert.Equal(1, report.Int("summary.fail"));

        // Many intervals with the same content: no further write.
        var writes = ReportWrites();
        await Task.Delay(800, TestContext.Current.CancellationToken);
        Assert.Equal(writes, ReportWrites());

        // A new violation: the report is replaced with both.
        view.Add(Workload("api", 2, "data-00000") with { Namespace = "ai" });
        await Poll.UntilAsync(() => Stored("ai").Single().Int("summary.fail") == 2, "the changed report is replaced");
        await reporter.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// The replica that takes the lease at start usually does so before its view has synced: it looks again within a
    /// second instead of waiting a whole interval, so the first reports do not wait a minute after the view is ready.
    /// </summary>
    [Fact]
    public async Task A_leader_whose_view_syncs_late_writes_its_first_reports_soon_after()
    {
        var view = Violations("ai", 1);
        var synced = view.Status;
        view.Status = new ClusterViewStatus(false, false, "persistentvolumeclaims (first list in progress)");
        var settings = Settings<ReportingOptions>(ReportingOptions.Section, new ReportingOptionsValidator(), new()
        {
            ["Reporting:IntervalSeconds"] = "60",
            ["Reporting:LeaseNamespace"] = "rwx-guard",
            ["Reporting:LeaseDurationSeconds"] = "2",
            ["Reporting:RenewDeadlineSeconds"] = "1",
            ["Reporting:RetryPeriodSeconds"] = "0.2",
        });
        using var reporter = new ReporterService(view, settings, Settings<PolicyOptions>(PolicyOptions.Section, new PolicyOptionsValidator()),
            Settings<MutationOptions>(MutationOptions.Section, new MutationOptionsValidator()), _metrics, TimeProvider.System,
            NullLoggerFactory.Instance, _client);
        await reporter.StartAsync(TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => reporter.IsLeader, "the lease taken while the view is still syncing");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(Stored("ai"));

        view.Status = synced;
        await Poll.UntilAsync(() => Stored("ai").Count == 1, "the first report within seconds of the sync, not a 60 s interval later",
            TimeSpan.FromSeconds(5));
        await reporter.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// The reproduction from the hardening review: 10,000 Deployments in one namespace made one 5.5 MB report, which
    /// etcd refuses, and the failed write stopped every namespace after it. Now the namespace is split into reports that
    /// the fake (like etcd) accepts, and the namespace after it is written too.
    /// </summary>
    [Fact]
    public async Task Ten_thousand_results_in_one_namespace_are_split_to_fit_etcd_and_every_namespace_is_written()
    {
        var big = Violations("big", 10_000);
        var wanted = Wanted(big, out var dropped).Concat(Wanted(Violations("small", 1), out _)).ToList();
        Assert.Equal(0, dropped);

        await Writer().SyncAsync(ReportApi.PolicyReport, wanted, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);

        var stored = Stored("big");
        Assert.True(stored.Count > 1, "split into several reports");
        Assert.Equal(10_000, stored.Sum(r => r["results"]!.AsArray().Count));
        Assert.Equal(10_000, stored.Sum(r => r.Int("summary.fail")));
        Assert.All(stored, r => Assert.True(System.Text.Encoding.UTF8.GetByteCount(r.ToJsonString()) < ObjectStore.MaxObjectBytes));
        Assert.Equal(PolicyReportBuilder.Names.Take(stored.Count).Order(), stored.Select(r => r.Name()).Order());
        Assert.Single(Stored("small"));
        Assert.Equal(0, _api.RequestLog.Count(l => l.Contains(" 500", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_failed_write_costs_only_its_namespace_is_counted_and_retried_next_time()
    {
        using var writes = new CounterRecorder(_metrics.ReportWrites);
        var view = Violations("b", 1, Violations("a", 1));
        _api.Faults.Add(new Fault { Verb = "create", Resource = ResourceType.PolicyReports, When = r => r.Namespace == "a" });
        var writer = Writer();

        await writer.SyncAsync(ReportApi.PolicyReport, Wanted(view, out _), DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
        Assert.Empty(Stored("a"));
        Assert.Single(Stored("b"));
        Assert.Equal(1, writes.Sum(("operation", "create"), ("result", "failure")));

        await writer.SyncAsync(ReportApi.PolicyReport, Wanted(view, out _), DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
        Assert.Single(Stored("a"));
        Assert.Equal(2, writes.Sum(("operation", "create"), ("result", "success")));
    }

    [Fact]
    public async Task A_pass_that_fails_halfway_keeps_what_it_wrote_and_deletes_nothing()
    {
        // The reporter builds reports one namespace at a time as the writer reads them: if building fails halfway, the
        // reports not reached yet must not be taken for stale and deleted.
        var before = Violations("c", 1, Violations("b", 1, Violations("a", 1)));
        var writer = Writer();
        await writer.SyncAsync(ReportApi.PolicyReport, Wanted(before, out _), DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
        Assert.All(new[] { "a", "b", "c" }, ns => Assert.Single(Stored(ns)));

        var after = Violations("a", 2); // namespace a changed; b and c not reached by the failing pass
        IEnumerable<PolicyReport> FailingAfterA()
        {
            foreach (var report in Wanted(after, out _)) yield return report;
            throw new InvalidOperationException("evaluation failed in namespace b");
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            writer.SyncAsync(ReportApi.PolicyReport, FailingAfterA(), DateTimeOffset.UtcNow, TestContext.Current.CancellationToken));

        Assert.Equal(2, Stored("a").Single().Int("summary.fail")); // written before the failure
        Assert.Single(Stored("b"));
        Assert.Single(Stored("c"));
    }

    [Fact]
    public async Task A_new_writer_deletes_stale_reports_restores_tampered_ones_and_leaves_others_alone()
    {
        var view = Violations("ai", 2);
        var wanted = Wanted(view, out _);
        // What an earlier leader left: a report for a namespace gone clean, and the ai report edited by someone.
        var stale = Report("gone", "rwx-guard", managed: true);
        _api.Seed(ResourceType.PolicyReports, stale);
        var tampered = JsonNode.Parse(ReportJson.Serialize(wanted.Single()))!.AsObject();
        tampered["summary"]!["fail"] = 0;
        tampered["results"]!.AsArray().RemoveAt(0);
        _api.Seed(ResourceType.PolicyReports, tampered);
        var foreign = Report("ai", "kyverno-polr", managed: false);
        _api.Seed(ResourceType.PolicyReports, foreign);

        await Writer().SyncAsync(ReportApi.PolicyReport, Wanted(view, out _), DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);

        Assert.Empty(Stored("gone"));
        var restored = Stored("ai").Single(r => r.Name() == "rwx-guard");
        Assert.Equal(2, restored.Int("summary.fail"));
        Assert.Equal(2, restored["results"]!.AsArray().Count);
        Assert.Contains(Stored("ai"), r => r.Name() == "kyverno-polr");
    }

    [Fact]
    public async Task A_replica_without_the_lease_writes_nothing()
    {
        var renew = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");
        _api.Seed(ResourceType.Leases, new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = new JsonObject { ["name"] = "rwx-guard-reporter", ["namespace"] = "rwx-guard" },
            ["spec"] = new JsonObject
            {
                ["holderIdentity"] = "rwx-guard-other-replica", ["leaseDurationSeconds"] = 3600, ["acquireTime"] = renew, ["renewTime"] = renew,
            },
        });
        using var reporter = Reporter(Violations("ai", 1));
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        await Poll.UntilAsync(() => _api.RequestLog.Count(l => l.Contains("/leases/rwx-guard-reporter", StringComparison.Ordinal)) >= 3,
            "several attempts to read the lease");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(reporter.IsLeader);
        Assert.DoesNotContain(_api.RequestLog, l => l.Contains("/policyreports", StringComparison.Ordinal));
        Assert.DoesNotContain(_api.RequestLog, l => l.Contains("/leases", StringComparison.Ordinal) && !l.StartsWith("GET", StringComparison.Ordinal));
        await reporter.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Reports_carry_the_mode_admission_uses_in_each_namespace()
    {
        var view = Violations("plain", 1, Violations("configured", 1, Violations("labelled", 1)))
            .Add(new NamespaceInfo { Name = "labelled", Labels = new Dictionary<string, string> { [WellKnown.ModeLabel] = "warn" } });
        var policy = new PolicyOptions { Namespaces = new() { ["configured"] = new() { Mode = "Audit" } } };

        var reports = PolicyReportBuilder.Build(PolicyAudit.Evaluate(view, policy, new MutationOptions()), DateTimeOffset.UtcNow, ReportApi.PolicyReport);

        string ModeIn(string ns) => reports.Single(r => r.Metadata.Namespace == ns).Results.Single().Properties!["mode"];
        Assert.Equal("warn", ModeIn("labelled"));
        Assert.Equal("audit", ModeIn("configured"));
        Assert.Equal("enforce", ModeIn("plain"));
    }

    private static JsonObject Report(string @namespace, string name, bool managed) => new()
    {
        ["apiVersion"] = "wgpolicyk8s.io/v1alpha2",
        ["kind"] = "PolicyReport",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = @namespace,
            ["labels"] = managed ? new JsonObject { ["app.kubernetes.io/managed-by"] = "rwx-guard" } : new JsonObject { ["app.kubernetes.io/managed-by"] = "kyverno" },
        },
        ["summary"] = new JsonObject { ["fail"] = 1 },
        ["results"] = new JsonArray(),
    };

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);
        public void Dispose() { }
    }

    [Fact]
    public void Namespace_by_namespace_the_reporter_gets_the_whole_cluster_evaluation()
    {
        // Real installs in several namespaces (shared claims, AnythingLLM stores, replicated workloads): the reporter
        // evaluates one namespace at a time to bound its memory, and must get exactly the results of one whole pass.
        var view = RwxGuard.Cluster.ManifestViewLoader.Load(Path.Combine(Fixtures.Dir, "installs"));
        var whole = PolicyAudit.Evaluate(view, new PolicyOptions(), new MutationOptions());
        var byNamespace = AuditSubjects.ExistingByNamespace(view)
            .SelectMany(subjects => PolicyAudit.Evaluate(view, subjects, new PolicyOptions(), new MutationOptions())).ToList();

        Assert.True(whole.Select(r => r.Namespace).Distinct().Count() >= 2, "the fixture spans one namespace only");
        Assert.Contains(whole, r => r.Result == AuditOutcome.Fail);
        Assert.Equal(Keys(whole), Keys(byNamespace));
        static List<string> Keys(IEnumerable<AuditResult> results) =>
            [.. results.Select(r => $"{r.Resource} {r.Rule} {r.Result} {r.Message} {string.Join(",", r.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))}")
                .Order(StringComparer.Ordinal)];
    }
}
