using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RwxGuard.Options;
using RwxGuard.Tests.Cluster;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Infrastructure.FakeKube;
using RwxGuard.Tests.Mutation;
using RwxGuard.Tests.Telemetry;
using static RwxGuard.Tests.Cluster.ApiResource;
using static RwxGuard.Tests.Cluster.KubeApiFake;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// The monitoring component (deploy/manifests/components/monitoring), rendered with `kubectl kustomize` in both
/// certificate overlays: the scrape path from ServiceMonitor to the server's metrics port, the alert rules, the Grafana
/// dashboard, and that the component adds objects without changing any the overlays already had.
/// </summary>
public sealed partial class MonitoringTests
{
    public const string CertManagerMonitoring = "overlays/cert-manager-monitoring";

    /// <summary>Each rendering with the monitoring component, and the same rendering without it.</summary>
    public static readonly IReadOnlyDictionary<string, string> WithoutMonitoring = new Dictionary<string, string>
    {
        [CertManagerMonitoring] = "overlays/cert-manager",
        [Renderer.SelfManagedMonitoringTarget] = "overlays/self-managed",
        [Renderer.ChartMonitoringTarget] = Renderer.ChartCertManagerTarget,
    };

    /// <summary>Every rendering with monitoring on.</summary>
    private static readonly string[] WithMonitoring = [.. WithoutMonitoring.Keys, Renderer.ChartEverythingTarget];

    public static TheoryData<string> ComparableMonitoringTargets => new(WithoutMonitoring.Keys);
    public static TheoryData<string> MonitoringTargets => new(WithMonitoring);
    public static TheoryData<string> PlainTargets => new(Renderer.Targets.Where(t => !WithMonitoring.Contains(t)));

    /// <summary>Labels the Prometheus Operator adds to every scraped series (endpoints role); not the server's own.</summary>
    public static readonly HashSet<string> TargetLabels = ["namespace", "pod", "job", "instance", "service", "endpoint", "container"];

    [Fact]
    public void Targets_include_each_certificate_overlay_with_and_without_monitoring()
    {
        foreach (var target in WithoutMonitoring.Keys.Concat(WithoutMonitoring.Values)) Assert.Contains(target, Renderer.Targets);
    }

    // ---- scrape path -----------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(MonitoringTargets))]
    public async Task ServiceMonitor_scrapes_the_container_port_the_server_serves_metrics_on(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var monitor = r.Single("ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", (string?)monitor["apiVersion"]);
        var service = MetricsService(r, monitor);

        var endpoint = Assert.Single(monitor["spec"]!["endpoints"]!.AsArray())!;
        Assert.Equal("/metrics", (string?)endpoint["path"]);
        Assert.Equal("http", (string?)endpoint["scheme"] ?? "http");
        Assert.Equal("30s", (string?)endpoint["interval"]);
        var portName = (string?)endpoint["port"];
        Assert.Equal("metrics", portName);
        var servicePort = service["spec"]!["ports"]!.AsArray().SingleOrDefault(p => (string?)p!["name"] == portName);
        Assert.True(servicePort is not null, $"{target}: Service {Rendered.Name(service)} has no port named '{portName}'");
        Assert.Equal("TCP", (string?)servicePort!["protocol"] ?? "TCP");

        var containerPort = K8s.ResolvePort(r.Container, servicePort["targetPort"] ?? servicePort["port"]!);
        var declared = r.Container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "metrics")!;
        Assert.Equal((int)declared["containerPort"]!, containerPort);
        Assert.Equal(9090, containerPort);
        Assert.Equal(new ServerOptions().MetricsPort, containerPort);
        // The server's --metrics-port (when given) is that port.
        var arg = ManifestInvariantTests.Args(r).SingleOrDefault(a => a.StartsWith("--metrics-port", StringComparison.Ordinal));
        if (arg is not null) Assert.Equal($"--metrics-port={containerPort}", arg);

        Assert.True(K8s.Matches(new JsonObject { ["matchLabels"] = service["spec"]!["selector"]!.DeepClone() }, ManifestInvariantTests.PodLabels(r)),
            $"{target}: Service {Rendered.Name(service)} does not select the webhook pods");
        // A pod failing /readyz is the one whose metrics say why: it must stay a scrape target.
        Assert.True((bool?)service["spec"]!["publishNotReadyAddresses"] == true,
            $"{target}: Service {Rendered.Name(service)} must publish not-ready pods");
    }

    /// <summary>The one Service the ServiceMonitor selects (its own namespace unless namespaceSelector says otherwise).</summary>
    private static JsonObject MetricsService(Rendered r, JsonObject monitor)
    {
        var spec = monitor["spec"]!;
        var namespaces = spec["namespaceSelector"] is { } ns
            ? ((bool?)ns["any"] == true ? null : K8s.Strings(ns["matchNames"]))
            : [Rendered.Namespace(monitor)!];
        var selected = r.OfKind("Service")
            .Where(s => namespaces is null || namespaces.Contains(Rendered.Namespace(s)!))
            .Where(s => K8s.Matches(spec["selector"], K8s.Labels(s["metadata"])))
            .ToList();
        Assert.True(selected.Count == 1,
            $"{r.Target}: the ServiceMonitor selects {selected.Count} Services ({string.Join(", ", selected.Select(Rendered.Name))}), expected exactly one");
        // The API server's Service is not a scrape target (443 is HTTPS admission, and it must not change).
        var webhookService = (string)r.Validating["webhooks"]![0]!["clientConfig"]!["service"]!["name"]!;
        Assert.NotEqual(webhookService, Rendered.Name(selected[0]));
        return selected[0];
    }

    // ---- the component is additive and opt-in ----------------------------------------------------------------------

    [Theory, MemberData(nameof(ComparableMonitoringTargets))]
    public async Task Component_adds_monitoring_objects_and_changes_nothing_else(string target)
    {
        var with = await Renderer.RenderAsync(target);
        var without = await Renderer.RenderAsync(WithoutMonitoring[target]);
        foreach (var o in without.Objects)
        {
            var same = with.Find((string)o["kind"]!, Rendered.Name(o), Rendered.Namespace(o));
            Assert.True(same is not null, $"{target}: {o["kind"]} {Rendered.Name(o)} is missing");
            Assert.True(JsonNode.DeepEquals(Comparable(o), Comparable(same!)),
                $"{target}: {o["kind"]} {Rendered.Name(o)} differs from {without.Target}:\n{Comparable(same!)}\n---\n{Comparable(o)}");
        }
        var added = with.Objects.Where(o => without.Find((string)o["kind"]!, Rendered.Name(o), Rendered.Namespace(o)) is null)
            .Select(o => $"{o["kind"]}/{Rendered.Name(o)}").Order().ToList();
        Assert.Equal(["ConfigMap/rwx-guard-dashboard", "PrometheusRule/rwx-guard", "Service/rwx-guard-metrics", "ServiceMonitor/rwx-guard"], added);
    }

    /// <summary>An object without what differs between two renders of self-managed (each mints its own certificates).</summary>
    private static JsonNode Comparable(JsonObject o)
    {
        var copy = o.DeepClone().AsObject();
        if ((string?)copy["kind"] == "Secret") copy.Remove("data");
        foreach (var webhook in copy["webhooks"]?.AsArray() ?? []) webhook!["clientConfig"]!.AsObject().Remove("caBundle");
        return copy;
    }

    [Theory, MemberData(nameof(PlainTargets))]
    public async Task Without_the_component_nothing_about_monitoring_is_rendered(string target)
    {
        var r = await Renderer.RenderAsync(target);
        Assert.DoesNotContain(r.Objects, o => ((string?)o["apiVersion"])?.StartsWith("monitoring.coreos.com/", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(r.Objects, o => K8s.Labels(o["metadata"]).ContainsKey("grafana_dashboard"));
        Assert.Equal(["rwx-guard"], r.OfKind("Service").Select(Rendered.Name));
    }

    // ---- alerts ----------------------------------------------------------------------------------------------------

    private static readonly string[] RequiredAlerts =
    [
        "RwxGuardDown", "RwxGuardClusterViewNotSynced", "RwxGuardHighLatencyP99", "RwxGuardDenialsSpike", "RwxGuardErrors",
        "RwxGuardCertificateExpiringSoon", "RwxGuardCertificateReloadFailed", "RwxGuardSettingsReloadFailed",
    ];

    internal static IReadOnlyList<JsonObject> AlertRules(Rendered r)
    {
        var rule = r.Single("PrometheusRule");
        Assert.Equal("monitoring.coreos.com/v1", (string?)rule["apiVersion"]);
        var group = Assert.Single(rule["spec"]!["groups"]!.AsArray(), g => (string?)g!["name"] == "rwx-guard")!;
        return group["rules"]!.AsArray().Select(x => x!.AsObject()).Where(x => x["alert"] is not null).ToList();
    }

    [Theory, MemberData(nameof(MonitoringTargets))]
    public async Task Every_alert_has_an_expression_a_duration_a_severity_and_a_runbook(string target)
    {
        var r = await Renderer.RenderAsync(target);
        var alerts = AlertRules(r);
        Assert.Equal(RequiredAlerts.Order(), alerts.Select(a => (string)a["alert"]!).Distinct().Order());
        var anchors = DocAnchors();
        foreach (var alert in alerts)
        {
            var name = (string)alert["alert"]!;
            Assert.False(string.IsNullOrWhiteSpace((string?)alert["expr"]), $"{name}: no expr");
            var @for = (string?)alert["for"];
            Assert.True(@for is not null && PrometheusDuration().IsMatch(@for), $"{name}: 'for' must be a Prometheus duration, got '{@for}'");
            Assert.Contains((string?)alert["labels"]?["severity"], (string?[])["critical", "warning", "info"]);
            foreach (var annotation in new[] { "summary", "description" })
                Assert.False(string.IsNullOrWhiteSpace((string?)alert["annotations"]?[annotation]), $"{name}: no {annotation} annotation");
            // Each alert has its own runbook section in docs/monitoring.md, headed by the alert's name.
            Assert.Equal($"docs/monitoring.md#{name.ToLowerInvariant()}", (string?)alert["annotations"]?["runbook_url"]);
            Assert.True(anchors.Contains(name.ToLowerInvariant()), $"{name}: docs/monitoring.md has no section '### {name}'");
        }
        var certificate = alerts.Where(a => (string)a["alert"]! == "RwxGuardCertificateExpiringSoon")
            .Select(a => (string)a["labels"]!["severity"]!).Order();
        Assert.Equal(["critical", "warning"], certificate);
    }

    [Fact]
    public async Task Certificate_alerts_fire_only_after_a_renewal_should_have_happened()
    {
        // cert-manager renews the serving certificate renewBefore ahead of expiry; an alert above that would fire on
        // every healthy certificate.
        var r = await Renderer.RenderAsync(CertManagerMonitoring);
        var serving = r.OfKind("Certificate").Single(c => (string?)c["spec"]!["secretName"] == "rwx-guard-tls");
        var renewBefore = Hours((string)serving["spec"]!["renewBefore"]!);
        var thresholds = AlertRules(r).Where(a => (string)a["alert"]! == "RwxGuardCertificateExpiringSoon")
            .Select(a => CertificateThresholdDays((string)a["expr"]!)).ToList();
        Assert.Equal(2, thresholds.Count);
        Assert.All(thresholds, days => Assert.True(days * 24 < renewBefore,
            $"RwxGuardCertificateExpiringSoon at {days} days fires before cert-manager renews ({renewBefore} h before expiry)"));
        // certs/gen-certs.sh re-issues pairs expiring within --renew-days (default 30).
        var genCerts = await File.ReadAllTextAsync(Repo.GenCerts, TestContext.Current.CancellationToken);
        var renewDays = int.Parse(RenewDays().Match(genCerts).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.All(thresholds, days => Assert.True(days < renewDays));
    }

    private static double CertificateThresholdDays(string expr)
    {
        var match = DaysThreshold().Match(expr);
        Assert.True(match.Success, $"expected '< N * 86400' in: {expr}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static double Hours(string duration)
    {
        var match = GoDuration().Match(duration);
        Assert.True(match.Success, $"not a duration: {duration}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>GitHub's heading anchors in docs/monitoring.md.</summary>
    internal static HashSet<string> DocAnchors() =>
        File.ReadLines(Repo.Path("docs", "monitoring.md"))
            .Where(l => l.StartsWith('#'))
            .Select(l => string.Concat(l.TrimStart('#').Trim().ToLowerInvariant()
                .Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-'))
            .ToHashSet();

    // ---- dashboard -------------------------------------------------------------------------------------------------

    internal static JsonObject Dashboard(Rendered r)
    {
        var configMap = r.OfKind("ConfigMap").SingleOrDefault(c => K8s.Labels(c["metadata"]).GetValueOrDefault("grafana_dashboard") == "1");
        Assert.True(configMap is not null, $"{r.Target}: no ConfigMap labelled grafana_dashboard: \"1\"");
        var data = Assert.Single(configMap!["data"]!.AsObject());
        Assert.EndsWith(".json", data.Key);
        var json = (string)data.Value!;
        // kubectl apply (client-side) keeps the whole object in an annotation, limited to 256 KiB.
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(json) < 200 * 1024, $"dashboard is {json.Length} bytes");
        return JsonNode.Parse(json)!.AsObject(); // throws on invalid JSON
    }

    internal static IEnumerable<JsonObject> Panels(JsonObject dashboard) =>
        dashboard["panels"]!.AsArray().SelectMany(p => (string?)p!["type"] == "row"
            ? p["panels"]?.AsArray().Select(x => x!.AsObject()) ?? []
            : [p.AsObject()]);

    [Theory, MemberData(nameof(MonitoringTargets))]
    public async Task Dashboard_is_grafana_json_with_a_datasource_variable_and_a_query_in_every_panel(string target)
    {
        var dashboard = Dashboard(await Renderer.RenderAsync(target));
        Assert.False(string.IsNullOrEmpty((string?)dashboard["uid"]));
        Assert.False(string.IsNullOrEmpty((string?)dashboard["title"]));
        Assert.True(dashboard["schemaVersion"]?.GetValueKind() == JsonValueKind.Number && (int)dashboard["schemaVersion"]! >= 36,
            "schemaVersion must be a number (Grafana 9+: 36 or later)");
        var variables = dashboard["templating"]!["list"]!.AsArray();
        var datasource = variables.SingleOrDefault(v => (string?)v!["type"] == "datasource");
        Assert.True(datasource is not null, "no datasource variable");
        Assert.Equal("prometheus", (string?)datasource!["query"]);
        var datasourceRef = "${" + (string)datasource["name"]! + "}";

        var panels = Panels(dashboard).ToList();
        Assert.NotEmpty(panels);
        Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
        foreach (var panel in panels)
        {
            var title = (string?)panel["title"];
            Assert.False(string.IsNullOrWhiteSpace(title), $"panel {panel["id"]} has no title");
            var grid = panel["gridPos"]!;
            Assert.True((int)grid["x"]! + (int)grid["w"]! <= 24, $"{title}: wider than the 24-column grid");
            var targets = panel["targets"]?.AsArray() ?? [];
            Assert.True(targets.Count > 0, $"{title}: no query");
            foreach (var t in targets)
            {
                Assert.False(string.IsNullOrWhiteSpace((string?)t!["expr"]), $"{title}: a target has no expr");
                Assert.Equal(datasourceRef, (string?)(t["datasource"] ?? panel["datasource"])?["uid"]);
            }
        }
    }

    [Theory, MemberData(nameof(MonitoringTargets))]
    public async Task Dashboard_shows_traffic_latency_denials_patches_certificate_cluster_view_and_reloads(string target)
    {
        var dashboard = Dashboard(await Renderer.RenderAsync(target));
        var read = Panels(dashboard).SelectMany(p => p["targets"]!.AsArray())
            .SelectMany(t => Promql.Read((string)t!["expr"]!).Selectors).Select(s => s.Metric).ToHashSet();
        string[] shown =
        [
            "rwxguard_admission_requests_total", "rwxguard_admission_duration_seconds_bucket", "rwxguard_policy_results_total",
            "rwxguard_mutation_patches_total", "rwxguard_tls_certificate_expiry_seconds", "rwxguard_cluster_view_objects",
            "rwxguard_cluster_view_synced", "rwxguard_cluster_view_ready", "rwxguard_cluster_view_relists_total",
            "rwxguard_cluster_view_watch_restarts_total", "rwxguard_settings_reloads_total",
        ];
        foreach (var metric in shown) Assert.True(read.Contains(metric), $"no dashboard panel reads {metric}");
    }

    // ---- the PromQL scanner the metric checks rely on -----------------------------------------------------------

    [Fact]
    public void Promql_scanner_finds_selectors_matchers_and_grouping_labels()
    {
        var reading = Promql.Read("""
            histogram_quantile(0.99, sum by (namespace, le) (rate(foo_bucket{a="x", b=~"$v"}[$__rate_interval])))
              > 0.1 and on (pod) bar offset 1h or vector(0) < 14 * 86400 unless {__name__="baz", c!="y"}
            """);
        Assert.Equal(["foo_bucket", "bar", "baz"], reading.Selectors.Select(s => s.Metric));
        Assert.Equal([new Promql.Matcher("a", "=", "x"), new Promql.Matcher("b", "=~", "$v")], reading.Selectors[0].Matchers);
        Assert.Equal([new Promql.Matcher("c", "!=", "y")], reading.Selectors[2].Matchers);
        Assert.Equal(["namespace", "le", "pod"], reading.Labels);
    }

    [GeneratedRegex(@"^((\d+)(ms|s|m|h|d|w|y))+$")]
    private static partial Regex PrometheusDuration();

    [GeneratedRegex(@"<\s*(\d+(?:\.\d+)?)\s*\*\s*86400")]
    private static partial Regex DaysThreshold();

    [GeneratedRegex(@"^(\d+)h$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"(?m)^renew_days=(\d+)$")]
    private static partial Regex RenewDays();
}

/// <summary>
/// The names the alerts and the dashboard read against what the real server exports: a server with a cluster view fed
/// by WireMock (so the cluster-view series exist), one denied, one patched and one failed review, one good and one bad
/// settings edit, then /metrics scraped the way Prometheus asks for it. Meters are process-wide: this runs alone.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed class MonitoringMetricsTests(MonitoringMetricsTests.ScrapedServer server) : IClassFixture<MonitoringMetricsTests.ScrapedServer>
{
    [Theory, MemberData(nameof(MonitoringTests.MonitoringTargets), MemberType = typeof(MonitoringTests))]
    public async Task Alert_expressions_read_only_series_the_server_exports(string target)
    {
        var r = await Renderer.RenderAsync(target);
        foreach (var alert in MonitoringTests.AlertRules(r))
            CheckReads($"alert {alert["alert"]}", (string)alert["expr"]!, legend: null);
    }

    [Theory, MemberData(nameof(MonitoringTests.MonitoringTargets), MemberType = typeof(MonitoringTests))]
    public async Task Dashboard_queries_read_only_series_the_server_exports(string target)
    {
        var dashboard = MonitoringTests.Dashboard(await Renderer.RenderAsync(target));
        foreach (var panel in MonitoringTests.Panels(dashboard))
        foreach (var t in panel["targets"]!.AsArray())
            CheckReads($"panel '{panel["title"]}'", (string)t!["expr"]!, (string?)t["legendFormat"]);

        foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => (string?)v!["type"] == "query"))
        {
            var query = (string?)variable!["query"]?["query"] ?? (string?)variable["query"];
            var match = Regex.Match(query ?? "", @"^label_values\((.+),\s*(\w+)\)$");
            Assert.True(match.Success, $"variable {variable["name"]}: expected label_values(<selector>, <label>), got '{query}'");
            CheckReads($"variable {variable["name"]}", $"{match.Groups[1].Value} and on ({match.Groups[2].Value}) vector(1)", legend: null);
        }
    }

    [Fact]
    public void Docs_list_exactly_the_metrics_the_server_exports()
    {
        var documented = File.ReadLines(Repo.Path("docs", "monitoring.md"))
            .Where(l => l.StartsWith("| `rwxguard_", StringComparison.Ordinal))
            .Select(l => l.Split('`')[1])
            .ToList();
        Assert.Equal(documented.Count, documented.Distinct().Count());
        var exported = server.Samples.Keys.Where(n => n.StartsWith("rwxguard_", StringComparison.Ordinal))
            .Select(n => server.Family(n)).ToHashSet();
        Assert.Equal(exported.Order(), documented.Order());
    }

    [Fact]
    public void Scrape_has_the_series_of_a_synced_cluster_view_and_of_every_decision()
    {
        Assert.Contains(server.Samples["rwxguard_cluster_view_ready"], l => l["offline"] == "false");
        Assert.Equal(ApiResource.All.Count, server.Samples["rwxguard_cluster_view_synced"].Count);
        foreach (var decision in new[] { "allowed", "denied", "patched", "error" })
            Assert.Contains(server.Samples["rwxguard_admission_requests_total"], l => l["decision"] == decision);
        Assert.Contains(server.Samples["rwxguard_settings_reloads_total"], l => l["result"] == "failure");
    }

    /// <summary>
    /// Every selector names a series the server exports; every label matched on or grouped by is one of those series'
    /// labels (or a label Prometheus adds to every target); every equality matcher's value was seen in the scrape.
    /// </summary>
    private void CheckReads(string where, string expr, string? legend)
    {
        var reading = Promql.Read(expr);
        Assert.True(reading.Selectors.Count > 0, $"{where}: reads no series: {expr}");
        var available = new HashSet<string>(MonitoringTests.TargetLabels);
        foreach (var selector in reading.Selectors)
        {
            Assert.True(server.Samples.TryGetValue(selector.Metric, out var series),
                $"{where}: {selector.Metric} is not exported by the server (exported: {string.Join(", ", server.Samples.Keys.Order())})");
            var labels = series!.SelectMany(s => s.Keys).ToHashSet();
            available.UnionWith(labels);
            foreach (var m in selector.Matchers)
            {
                Assert.True(labels.Contains(m.Label) || MonitoringTests.TargetLabels.Contains(m.Label),
                    $"{where}: {selector.Metric} has no label '{m.Label}' (it has {string.Join(", ", labels.Order())})");
                if (m.Op == "=" && labels.Contains(m.Label))
                    Assert.True(series!.Any(s => s.GetValueOrDefault(m.Label) == m.Value),
                        $"{where}: {selector.Metric} never has {m.Label}=\"{m.Value}\" (seen: {string.Join(", ", series!.Select(s => s.GetValueOrDefault(m.Label)).Distinct())})");
            }
        }
        foreach (var label in reading.Labels)
            Assert.True(available.Contains(label), $"{where}: groups or matches on '{label}', which none of its series has: {expr}");
        if (legend is null) return;
        foreach (Match m in Regex.Matches(legend, @"\{\{\s*(\w+)\s*\}\}"))
            Assert.True(reading.Labels.Contains(m.Groups[1].Value), $"{where}: legend {{{{{m.Groups[1].Value}}}}} is not a label the query keeps");
    }

    /// <summary>
    /// The real server with a watched (fake, stateful) cluster, driven through every kind of outcome, reporting a
    /// violation that already runs, then scraped.
    /// </summary>
    public sealed class ScrapedServer : IAsyncLifetime
    {
        private const string Ns = "tzlil-tets"; // the namespace of the datree capture
        private FakeKubeApi _api = null!;
        private readonly TempDir _dir = new("monitoring");

        /// <summary>Series name → the label sets it was scraped with.</summary>
        public Dictionary<string, List<Dictionary<string, string>>> Samples { get; } = [];

        /// <summary>A histogram's series (_bucket, _sum, _count) belong to the histogram's name.</summary>
        public string Family(string sample)
        {
            foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            {
                if (sample.EndsWith(suffix, StringComparison.Ordinal) && Samples.ContainsKey(sample[..^suffix.Length] + "_bucket"))
                    return sample[..^suffix.Length];
            }
            return sample;
        }

        public async ValueTask InitializeAsync()
        {
            _api = await FakeKubeApi.StartAsync();
            var kubeconfig = _api.WriteKubeconfig(_dir.Path("kubeconfig"));
            var settings = _dir.Path("settings.json");
            await File.WriteAllTextAsync(settings, """{ "Policy": { "Mode": "Enforce" } }""");
            _api.Seed(ResourceType.Claims, Json.Claim(Ns, "data", "100", ["ReadWriteOnce"]));
            foreach (var storageClass in JsonNode.Parse(Fixtures.Read(Path.Combine("storageclasses", "eks.json")))!["items"]!.AsArray())
                _api.Seed(ResourceType.StorageClasses, storageClass!.ToJsonString());
            // A violation that already runs: the reporter writes a PolicyReport for it.
            _api.Seed(ResourceType.Deployments, Json.Deployment(Ns, "already-there", "101", 3, ["data"]));

            await using var webhook = await RunningWebhook.StartAsync(args: ["--kubeconfig", kubeconfig, "--config", settings],
                settings: new Dictionary<string, string?>
                {
                    ["Cluster:Connection"] = "Kubeconfig",
                    ["Cluster:BackoffInitialSeconds"] = "0.02",
                    ["Cluster:BackoffMaxSeconds"] = "0.2",
                    ["Reporting:IntervalSeconds"] = "0.2",
                    ["Reporting:LeaseNamespace"] = "rwx-guard",
                });
            await Poll.UntilAsync(async () => (await webhook.Client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK,
                "the cluster view synced (readyz)", TimeSpan.FromSeconds(30));

            // denied: a Deployment scaled to 2 on the ReadWriteOnce claim the API server listed
            var scaled = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");
            var (_, denied) = await webhook.Client.PostAsync("/validate", scaled);
            Assert.False(denied["response"]!["allowed"]!.GetValue<bool>());
            // allowed
            var (_, allowed) = await webhook.Client.PostAsync("/validate", Fixtures.Review("whorf-deployment-create-replicas1-v1.json"));
            Assert.True(allowed["response"]!["allowed"]!.GetValue<bool>());
            // patched: the AnythingLLM chart's claim, on the EKS classes the API server listed
            var defaultClass = StorageClassFixtures.Load("eks.json").Single(c => c.IsDefault).Name;
            var claim = MutateEndpointTests.ClaimAsAdmitted("official-helm-chart-rendered.yaml", defaultClass);
            var (_, patched) = await webhook.Client.PostAsync("/mutate", Manifests.CreateReview(claim, "", "v1", "persistentvolumeclaims"));
            Assert.NotNull(patched["response"]!["patch"]);
            // error: not JSON
            using var notJson = new StringContent("{}", System.Text.Encoding.UTF8, "text/plain");
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await webhook.Client.PostAsync("/validate", notJson)).StatusCode);

            // A good settings edit, then a bad one (kept out: the last good settings stay).
            await File.WriteAllTextAsync(settings, """{ "Policy": { "Mode": "Warn" } }""");
            await Poll.UntilAsync(async () => (await webhook.Client.PostAsync("/validate", scaled)).Body["response"]!["auditAnnotations"]!["mode"]!
                .GetValue<string>() == "warn", "the settings edit took effect", TimeSpan.FromSeconds(15));
            await File.WriteAllTextAsync(settings, """{ "Policy": { "Mode": "Sometimes" } }""");

            using var http = new HttpClient { BaseAddress = webhook.MetricsAddress };
            // What Prometheus (2.x and 3.x) asks for: OpenMetrics first, then the classic text format.
            http.DefaultRequestHeaders.TryAddWithoutValidation("Accept",
                "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
            var text = "";
            // The exporter caches a scrape briefly: poll until the rejected edit and the report write show.
            await Poll.UntilAsync(async () =>
            {
                text = await http.GetStringAsync("/metrics");
                var samples = Parse(text);
                return samples.GetValueOrDefault("rwxguard_settings_reloads_total")?.Any(l => l.GetValueOrDefault("result") == "failure") == true
                       && samples.ContainsKey("rwxguard_report_writes_total");
            }, "the rejected settings edit and the report write in /metrics", TimeSpan.FromSeconds(15), () => text);
            Assert.Single(_api.Store.List(ResourceType.PolicyReports, Ns));
            foreach (var (name, series) in Parse(text)) Samples[name] = series;
        }

        private static Dictionary<string, List<Dictionary<string, string>>> Parse(string exposition)
        {
            var samples = new Dictionary<string, List<Dictionary<string, string>>>();
            foreach (var line in exposition.Split('\n'))
            {
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var brace = line.IndexOf('{');
                var space = line.IndexOf(' ');
                var nameEnd = brace >= 0 && brace < space ? brace : space;
                var name = line[..nameEnd];
                // OpenMetrics _created lines are creation timestamps, not series Prometheus stores under that name.
                if (name.EndsWith("_created", StringComparison.Ordinal)) continue;
                var labels = new Dictionary<string, string>();
                if (nameEnd == brace)
                {
                    var close = line.LastIndexOf('}');
                    foreach (Match m in Regex.Matches(line[(brace + 1)..close], @"(\w+)=""((?:[^""\\]|\\.)*)"""))
                        labels[m.Groups[1].Value] = m.Groups[2].Value;
                }
                if (!samples.TryGetValue(name, out var list)) samples[name] = list = [];
                list.Add(labels);
            }
            return samples;
        }

        public async ValueTask DisposeAsync()
        {
            await _api.DisposeAsync();
            _dir.Dispose();
        }
    }
}
