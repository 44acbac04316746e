using System.Diagnostics;
using System.Globalization;
using System.Text;
using RwxGuard.Benchmarks.FakeApi;
using RwxGuard.Benchmarks.Shape;
using RwxGuard.Tests.Infrastructure.FakeKube;
using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>
/// Issue 16's measurement: the webhook (published as the Dockerfile does, or another build) synced from a fake API
/// server holding the realistic cluster shape (or N times it), lists served paged, unpaged or streamed (WatchList), then
/// minutes of mixed admission load with the reporter writing PolicyReports to the same fake, then wrk per request at
/// 1 and 32 connections; the bare-Kestrel baseline measured in the same run. Each configuration becomes a section of
/// results.md with a sizing row (objects → peak and steady RSS → memory request and limit with 20% headroom).
/// </summary>
public static class ShapeBenchmark
{
    private const string Usage = """
        shape [--scale 1,10] [--lists paged,unpaged,watchlist] [--minutes 5] [--duration 10] [--warmup 20]
              [--connections 1,32] [--workers 32] [--reporter-interval S] [--no-reporter] [--event-interval-ms 1000]
              [--watchlist-refusal gate-off|before-1.27] [--set Section:Key=Value]... [--ready-timeout 300]
              [--dll PATH | --publish-dir DIR | --aot | --aot-lenient] [--no-baseline] [--out results.md]
        With neither --scale nor --lists: scales 1 and 10, lists paged and unpaged (four configurations). With one of
        them, the other is its first value (so `shape --scale 1 --minutes 1` is one configuration).
        """;

    private sealed record Options(double[] Scales, string[] Lists, double Minutes, int Seconds, int Warmup, int[] Connections,
        int Workers, string? ReporterInterval, bool Reporter, int EventIntervalMs, WatchListSupport Refusal,
        IReadOnlyDictionary<string, string> Settings, TimeSpan ReadyTimeout, bool Baseline, string? Output);

    /// <summary>What one configuration measured.</summary>
    private sealed record Measured(string Name, string Section, string SizingRow, bool Problems);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        var options = Parse(args);
        var work = Directory.CreateTempSubdirectory("rwx-guard-shape-").FullName;
        Console.WriteLine($"# work dir {work}");
        Wrk.Require();
        WebhookBuild build;
        try
        {
            build = WebhookBuild.Resolve(args, work);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            Console.WriteLine($"# nothing to measure: {e.Message}");
            return 2;
        }
        var (cert, key) = WriteCertificate(work);

        // The baseline answers every body alike: the first configuration's requests serve for it.
        var baseline = options.Baseline
            ? await BaselineAsync(options, await WriteBodiesAsync(ClusterShape.Realistic(options.Scales[0]), work, "baseline"), cert, key, work)
            : null;
        var measured = new List<Measured>();
        foreach (var scale in options.Scales)
            foreach (var lists in options.Lists)
                measured.Add(await MeasureAsync(options, build, scale, lists, baseline, cert, key, work));

        var text = options.Output is null ? "" : ResultsFile.Read(options.Output);
        foreach (var m in measured) text = ResultsFile.WithSection(text, m.Name, m.Section);
        text = ResultsFile.WithSection(text, "shape sizing", SizingSection(ResultsFile.SizingRows(text)));
        Console.WriteLine();
        foreach (var m in measured) Console.WriteLine(m.Section);
        Console.WriteLine("Sizing rows measured in this run (for docs/deploy.md):");
        Console.WriteLine(ResultsFile.SizingTable(measured.Select(m => m.SizingRow)));
        if (options.Output is not null)
        {
            await File.WriteAllTextAsync(options.Output, text);
            Console.WriteLine($"# wrote {options.Output} (sections: {ResultsFile.Names(text)})");
        }
        return measured.Any(m => m.Problems) ? 1 : 0;
    }

    private static Options Parse(string[] args)
    {
        var scaleArg = Arg(args, "--scale");
        var listsArg = Arg(args, "--lists");
        var scales = (scaleArg ?? (listsArg is null ? "1,10" : "1")).Split(',')
            .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var lists = (listsArg ?? (scaleArg is null ? "paged,unpaged" : "paged")).Split(',');
        foreach (var l in lists)
            if (l is not ("paged" or "unpaged" or "watchlist")) throw new ArgumentException($"--lists: {l} is not paged, unpaged or watchlist");
        var settings = new Dictionary<string, string>();
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] == "--set")
            {
                var (name, value) = (args[i + 1][..args[i + 1].IndexOf('=')], args[i + 1][(args[i + 1].IndexOf('=') + 1)..]);
                settings[name.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        var refusal = Arg(args, "--watchlist-refusal") ?? "gate-off";
        return new Options(scales, lists, DoubleArg(args, "--minutes", 5), IntArg(args, "--duration", 10), IntArg(args, "--warmup", 20),
            (Arg(args, "--connections") ?? "1,32").Split(',').Select(int.Parse).ToArray(), IntArg(args, "--workers", 32),
            Arg(args, "--reporter-interval"), !args.Contains("--no-reporter"), IntArg(args, "--event-interval-ms", 1000),
            refusal switch
            {
                "gate-off" => WatchListSupport.GateOff,
                "before-1.27" => WatchListSupport.Before127,
                _ => throw new ArgumentException($"--watchlist-refusal: {refusal} is not gate-off or before-1.27"),
            },
            settings, TimeSpan.FromSeconds(DoubleArg(args, "--ready-timeout", 300)), !args.Contains("--no-baseline"), Arg(args, "--out"));
    }

    /// <summary>
    /// The mixed load's requests and weights. The API server calls the webhook for every write it matches, so the mix
    /// follows what a busy cluster writes: Deployment writes from CI and GitOps are the most frequent matched write and
    /// the largest body (10.6 KB, the request the issue's targets are about), so they weigh most (40); scale writes from
    /// HPAs and `kubectl scale` next (30); each claim CREATE is sent to both webhooks, mutating then validating (10 + 10);
    /// HPA writes are rare (10). Variants are spread over the cluster's objects, so lookups miss caches as real ones do.
    /// </summary>
    private static List<LoadKind> MixedKinds(ClusterShape shape)
    {
        const int variants = 64;
        string Ns(int app) => shape.NamespaceOf(app);
        int App(int v) => shape.SingleAttachApp(v);
        return
        [
            LoadKind.Of("deployment-create", "/validate", 40, variants, v => Requests.DeploymentCreate(Ns(App(v)), $"app-new-{App(v)}", $"claim-{App(v)}")),
            LoadKind.Of("scale-update", "/validate", 30, variants, v => Requests.ScaleUpdate(Ns(App(v)), $"app-{App(v)}", 3)),
            LoadKind.Of("pvc-create-mutate", "/mutate", 10, variants, v => Requests.ClaimCreate(Ns(App(v)), "anythingllm-storage")),
            LoadKind.Of("pvc-create-validate", "/validate", 10, variants, v => Requests.PlainClaimCreate(Ns(App(v)), $"new-claim-{App(v)}")),
            LoadKind.Of("hpa-create", "/validate", 10, variants, v => Requests.AutoscalerCreate(Ns(App(v)), $"hpa-new-{App(v)}", $"app-{App(v)}", 4)),
        ];
    }

    private sealed record Baseline(double StartSeconds, long RssMb, List<WrkRun> Runs);

    /// <summary>The bare-Kestrel server (same certificate, parses each body, fixed answer) under the same wrk runs.</summary>
    /// <summary>The requests for <paramref name="shape"/>, each body in a file for wrk.</summary>
    private static async Task<List<(Scenario Scenario, string BodyFile)>> WriteBodiesAsync(ClusterShape shape, string work, string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(work, "bodies-" + name)).FullName;
        var written = new List<(Scenario, string)>();
        foreach (var scenario in Scenario.For(shape))
        {
            var file = Path.Combine(directory, scenario.Name + ".json");
            await File.WriteAllBytesAsync(file, scenario.Body);
            written.Add((scenario, file));
        }
        return written;
    }

    private static async Task<Baseline> BaselineAsync(Options options, List<(Scenario Scenario, string BodyFile)> scenarios,
        string cert, string key, string work)
    {
        var port = FreePort();
        var self = typeof(ShapeBenchmark).Assembly.Location;
        var clock = Stopwatch.StartNew();
        var process = StartProcess($"exec dotnet {self} baseline-server --port {port} --tls-cert-file {cert} --tls-private-key-file {key}",
            Path.Combine(work, "baseline.log"));
        try
        {
            await WaitAsync($"https://127.0.0.1:{port}/validate", TimeSpan.FromSeconds(60), post: true);
            var start = clock.Elapsed.TotalSeconds;
            var rss = RssMb(process.Id, "VmRSS");
            var runs = new List<WrkRun>();
            foreach (var (scenario, body) in scenarios)
            {
                Wrk.Warm($"https://127.0.0.1:{port}/validate", body, options.Warmup / scenarios.Count, work);
                foreach (var c in options.Connections)
                    runs.Add(Wrk.Run("baseline", scenario.Name, $"https://127.0.0.1:{port}/validate", body, c, options.Seconds, process.Id, work));
            }
            return new Baseline(start, rss, runs);
        }
        finally
        {
            Stop(process);
        }
    }

    private static async Task<Measured> MeasureAsync(Options options, WebhookBuild build, double scale, string lists,
        Baseline? baseline, string cert, string key, string work)
    {
        var shape = ClusterShape.Realistic(scale);
        var name = $"shape scale {scale.ToString(CultureInfo.InvariantCulture)} {lists} {build.Label}";
        Console.WriteLine($"# {name}: {shape.Describe()}");
        var loadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        await using var api = new FakeApiServer(shape)
        {
            Lists = lists == "unpaged" ? ListServing.Unpaged : ListServing.Paged,
            WatchList = lists == "watchlist" ? WatchListSupport.Streams : options.Refusal,
            EventInterval = TimeSpan.FromMilliseconds(options.EventIntervalMs),
        };
        await api.StartAsync();

        var environment = new Dictionary<string, string>(options.Settings)
        {
            // As the manifests set them from the downward API: the reporter's identity and its Lease's namespace.
            ["POD_NAME"] = "rwx-guard-bench-0",
            ["POD_NAMESPACE"] = "rwx-guard",
        };
        if (options.ReporterInterval is { } interval) environment["Reporting__IntervalSeconds"] = interval;
        if (!options.Reporter) environment["Reporting__Enabled"] = "false";

        var logName = "webhook-" + name.Replace(' ', '-');
        var log = Path.Combine(work, logName + ".log");
        Process webhook;
        int port;
        double readySeconds;
        var fakeCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        try
        {
            (webhook, port, readySeconds) = await StartWebhookAsync(build, work, cert, key, api.Address, logName, environment, options.ReadyTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Not ready: a figure of its own (a start that does not finish is what sizing must know), with the log's end.
            var tail = File.Exists(log) ? string.Join("\n", File.ReadLines(log).TakeLast(15).Select(l => "    " + l)) : "    (no log)";
            Console.WriteLine($"# {name}: {e.Message}\n{tail}");
            var failed = $"### {name}\n\nMeasured {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, commit {Commit()}: NOT READY: {e.Message}. The log ended with:\n\n{tail}\n";
            return new Measured(name, failed, $"| {shape.Total():N0} | {name} | not ready | | | |", Problems: true);
        }
        // The fake runs in this process on the same cores: what it spent serving the sync is CPU the webhook did not get.
        var fakeCpuToReady = (Process.GetCurrentProcess().TotalProcessorTime - fakeCpuBefore).TotalSeconds;
        var webhookCpuToReady = CpuTime(webhook.Id).TotalSeconds;
        var readyAt = DateTimeOffset.UtcNow;
        var problems = new List<string>();
        try
        {
            var rssAfterSync = RssMb(webhook.Id, "VmRSS");
            var objects = api.ObjectsSynced();
            Console.WriteLine($"# ready after {readySeconds:0.00} s with {objects:N0} objects listed; RSS {rssAfterSync} MiB");
            var scenarios = await WriteBodiesAsync(shape, work, name.Replace(' ', '-'));
            await Scenario.CheckAsync(port, scenarios.Select(s => s.Scenario));

            // The mixed load, with the reporter on, sampling memory every second.
            var duration = TimeSpan.FromMinutes(options.Minutes);
            var mixed = new MixedLoad(new Uri($"https://127.0.0.1:{port}"), MixedKinds(shape), options.Workers)
            {
                OnFailure = (_, what) =>
                {
                    lock (problems)
                        if (problems.Count < 10) problems.Add(what);
                },
            };
            var samples = new List<(TimeSpan At, long Mb)>();
            using var stop = new CancellationTokenSource(duration);
            var clock = Stopwatch.StartNew();
            var cpuBefore = CpuTime(webhook.Id);
            var load = mixed.RunAsync(stop.Token);
            while (!stop.IsCancellationRequested)
            {
                samples.Add((clock.Elapsed, RssMb(webhook.Id, "VmRSS")));
                try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { }
            }
            await load;
            var elapsed = clock.Elapsed;
            var mixedEndAt = DateTimeOffset.UtcNow;
            var mixedCpu = CpuTime(webhook.Id) - cpuBefore;
            var peak = RssMb(webhook.Id, "VmHWM");
            var window = TimeSpan.FromSeconds(Math.Min(60, duration.TotalSeconds / 2));
            var steady = Median(samples.Where(s => s.At >= elapsed - window).Select(s => s.Mb).DefaultIfEmpty(RssMb(webhook.Id, "VmRSS")));
            var latencies = mixed.SortedLatencies();
            Console.WriteLine($"# mixed load {elapsed.TotalSeconds:0} s: {mixed.Requests:N0} reviews, {mixed.Errors} errors; peak {peak} MiB, steady {steady} MiB");

            // wrk per request and connection count, the JIT warm from the mixed load.
            var runs = new List<WrkRun>();
            foreach (var (scenario, body) in scenarios)
            {
                var url = $"https://127.0.0.1:{port}{scenario.Path}";
                Wrk.Warm(url, body, options.Warmup / scenarios.Count, work);
                foreach (var c in options.Connections)
                    runs.Add(Wrk.Run("webhook", scenario.Name, url, body, c, options.Seconds, webhook.Id, work));
            }

            var reporter = ReporterLine(api, options.Reporter, readyAt, problems);
            if (options.Reporter && api.Reports.Counters(ResourceType.PolicyReports).FirstWrite is var first && (first is null || first > mixedEndAt))
                problems.Add("no report was written before the mixed load ended, so the peak RSS does not include a reporter pass " +
                             "(the reporter evaluates every Reporting:IntervalSeconds): run longer (--minutes) or set --reporter-interval");
            if (mixed.Errors > 0) problems.Add($"{mixed.Errors} mixed-load requests failed");
            if (runs.Any(r => r.Errors > 0)) problems.Add("wrk saw errors");

            var inv = CultureInfo.InvariantCulture;
            var request = RoundUp(steady * 1.2, 16);
            var limit = RoundUp(peak * 1.2, 16);
            var sizingRow = string.Create(inv, $"| {objects:N0} | {name} | {peak} | {steady} | {request}Mi | {limit}Mi |");

            var s = new StringBuilder();
            s.AppendLine(string.Create(inv, $"### Realistic shape ×{scale}, {ListsLabel(lists, options.Refusal)}, build {build.Label}"));
            s.AppendLine();
            s.AppendLine(string.Create(inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, commit {Commit()}, {Environment.ProcessorCount} cores " +
                                            $"(load average {loadAverage} at the start), .NET {Environment.Version}; the webhook: `{build.Command}`. " +
                                            $"Fake API: {shape.Describe()}; {Events(options.EventIntervalMs)}; reporter " +
                                            $"{(options.Reporter ? $"on (Reporting:IntervalSeconds {options.ReporterInterval ?? "at its default"})" : "off")}."));
            s.AppendLine();
            s.AppendLine("| objects in the view | start → ready s | RSS after sync MiB | peak RSS MiB (start → end of mixed load) | steady RSS MiB (median, last minute) | mixed reviews/s | mixed p50 ms | mixed p99 ms | mixed errors | mixed server CPU µs/review |");
            s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            s.AppendLine(string.Create(inv, $"| {objects:N0} | {readySeconds:0.00} | {rssAfterSync} | {peak} | {steady} | {mixed.Requests / elapsed.TotalSeconds:N0} | " +
                                            $"{MixedLoad.Percentile(latencies, 0.5):0.000} | {MixedLoad.Percentile(latencies, 0.99):0.000} | {mixed.Errors} | " +
                                            $"{(mixed.Requests > 0 ? mixedCpu.TotalMicroseconds / mixed.Requests : double.NaN):0} |"));
            if (baseline is not null)
                s.AppendLine(string.Create(inv, $"| baseline (no view) | {baseline.StartSeconds:0.00} | {baseline.RssMb} | | | | | | | |"));
            s.AppendLine();
            var kinds = string.Join(", ", mixed.Tallies.Select(t => string.Create(inv,
                $"{t.Key} {t.Value.Requests:N0} (denied {t.Value.Denied:N0}, allowed {t.Value.Allowed:N0}, patched {t.Value.Patched:N0}, errors {t.Value.Errors})")));
            s.AppendLine(string.Create(inv, $"Mixed load: {options.Workers} HTTPS workers for {elapsed.TotalSeconds:0} s; {kinds}."));
            s.AppendLine();
            s.Append(Wrk.Table([.. runs, .. baseline?.Runs ?? []], baseline?.Runs ?? []));
            s.AppendLine();
            s.AppendLine(string.Create(inv, $"- the fake API server (the benchmark's process, same cores) used {fakeCpuToReady:0.0} s of CPU from the webhook's start until ready, the webhook {webhookCpuToReady:0.0} s"));
            s.AppendLine($"- reporter: {reporter}");
            s.AppendLine($"- lists and watches: {string.Join("; ", api.Resources.Select(r => $"{r.Plural} {api.Counters(r.Plural)}"))}");
            s.AppendLine(string.Create(inv, $"- RSS every 5 s during the mixed load (MiB): {string.Join(' ', samples.Where((_, i) => i % 5 == 0).Select(x => x.Mb))}"));
            foreach (var p in problems) s.AppendLine($"- PROBLEM: {p}");
            s.AppendLine();
            s.AppendLine("Sizing row:");
            s.AppendLine();
            s.Append(ResultsFile.SizingTable([sizingRow + " " + ResultsFile.SizingRowMarker]));
            return new Measured(name, s.ToString(), sizingRow, problems.Count > 0);
        }
        finally
        {
            Stop(webhook);
            TrimLog(log);
        }
    }

    /// <summary>What the reporter did to the fake: the Lease's holder and the reports it wrote.</summary>
    private static string ReporterLine(FakeApiServer api, bool enabled, DateTimeOffset readyAt, List<string> problems)
    {
        var reports = api.Reports.Counters(ResourceType.PolicyReports);
        var holder = api.Reports.LeaseHolder("rwx-guard", "rwx-guard-reporter");
        var first = reports.FirstWrite is { } at ? string.Create(CultureInfo.InvariantCulture, $"the first written {(at - readyAt).TotalSeconds:0.0} s after ready") : "none written";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"lease rwx-guard/rwx-guard-reporter held by {holder ?? "nobody"}; {api.Reports.Count(ResourceType.PolicyReports)} PolicyReports stored, " +
            $"{api.Reports.StoredBytes(ResourceType.PolicyReports) / 1024.0:N0} KiB, largest {reports.LargestObject / 1024.0:N0} KiB, {first}; " +
            $"{reports.Creates} created, {reports.Replaces} replaced, {reports.Deletes} deleted, {reports.Lists} listed, " +
            $"{reports.Conflicts} conflicts, {reports.TooLarge} refused as too large for etcd");
        if (enabled && holder is null) problems.Add("the reporter never took the lease");
        else if (enabled && reports.Creates + reports.Replaces == 0) problems.Add("the reporter held the lease but wrote no report before the end of the run");
        if (reports.TooLarge > 0) problems.Add($"{reports.TooLarge} report writes were over etcd's 1.5 MiB");
        return line;
    }

    private static string ListsLabel(string lists, WatchListSupport refusal) => lists switch
    {
        "paged" => $"paged lists (limit/continue), WatchList refused ({RefusalLabel(refusal)})",
        "unpaged" => $"unpaged lists (limit ignored, one response per resource), WatchList refused ({RefusalLabel(refusal)})",
        _ => "WatchList streams (sendInitialEvents), paged lists for any fallback",
    };

    private static string RefusalLabel(WatchListSupport refusal) =>
        refusal == WatchListSupport.Before127 ? "422 as before Kubernetes 1.27" : "422 as Kubernetes 1.27–1.31 and 1.33 with the feature gate off";

    private static string Events(int intervalMs) =>
        intervalMs <= 0 ? "watches quiet" : string.Create(CultureInfo.InvariantCulture, $"a MODIFIED event every {intervalMs} ms on each watch");

    private static string SizingSection(IReadOnlyList<string> rows) =>
        "### Sizing (rows from every shape section in this file)\n\n" +
        "Memory request = steady RSS + 20%, limit = peak RSS + 20%, rounded up to 16 Mi (1 MiB = the RSS unit above). " +
        "Rows come from the configurations above; each section says when it was measured.\n\n" + ResultsFile.SizingTable(rows);

    private static long Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }

    private static long RoundUp(double value, int step) => (long)Math.Ceiling(value / step) * step;

    private static string Commit()
    {
        try
        {
            var psi = new ProcessStartInfo("git", "rev-parse --short HEAD") { WorkingDirectory = RepoRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
            using var git = Process.Start(psi)!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            var dirty = new ProcessStartInfo("git", "status --porcelain -- src") { WorkingDirectory = RepoRoot(), RedirectStandardOutput = true };
            using var status = Process.Start(dirty)!;
            var changes = status.StandardOutput.ReadToEnd().Trim();
            status.WaitForExit();
            return changes.Length > 0 ? commit + " with uncommitted changes in src/" : commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
