using System.Diagnostics;
using System.Globalization;
using System.Text;
using RwxGuard.Benchmarks.Shape;

using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>
/// The end-to-end benchmark: publishes the webhook exactly as the Dockerfile does, syncs it from a fake API server
/// holding N claims and N Deployments, drives it with wrk over TLS keep-alive at several concurrency levels, measures a
/// bare-Kestrel baseline in the same run, and prints one markdown table.
/// </summary>
public static class LoadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = IntArg(args, "--count", 10_000);
        var bigCount = IntArg(args, "--big-count", 100_000);
        var seconds = IntArg(args, "--duration", 10);
        // Tiered JIT: the first seconds run unoptimized and instrumented code, and the background compiler competes with
        // the load for the two cores. Each target is warmed up with every request before anything is measured.
        var warmup = IntArg(args, "--warmup", 20);
        var connections = (Arg(args, "--connections") ?? "1,8,32,128").Split(',').Select(int.Parse).ToArray();
        var output = Arg(args, "--out");

        var work = Directory.CreateTempSubdirectory("rwx-guard-bench-").FullName;
        Console.WriteLine($"# work dir {work}");
        Wrk.Require();

        var build = WebhookBuild.Resolve(args, work);
        var (cert, key) = WriteCertificate(work);

        var report = new StringBuilder();
        report.AppendLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; " +
                          $"wrk on the same machine; {seconds} s per run; HTTP/1.1 keep-alive over TLS.");
        report.AppendLine();

        var runs = new List<WrkRun>();
        var bodies = Path.Combine(work, "bodies");
        Directory.CreateDirectory(bodies);

        // 1. the webhook with count claims + count Deployments
        await using (var api = new FakeApiServer(ClusterShape.DeploymentsAndClaims(count)))
        {
            await api.StartAsync();
            var (webhook, port, syncSeconds) = await StartWebhookAsync(build, work, cert, key, api.Address, "webhook");
            try
            {
                var rssAfterSync = RssMb(webhook.Id, "VmRSS");
                report.AppendLine($"Cluster view with {count:N0} claims + {count:N0} Deployments: start → ready {syncSeconds:0.00} s, " +
                                  $"RSS after sync {rssAfterSync} MB.");
                var scenarios = Scenario.For(api.Shape);
                await Scenario.CheckAsync(port, scenarios);
                foreach (var scenario in scenarios)
                    await File.WriteAllBytesAsync(Path.Combine(bodies, scenario.Name + ".json"), scenario.Body);
                foreach (var scenario in scenarios)
                    Wrk.Warm($"https://127.0.0.1:{port}{scenario.Path}", Path.Combine(bodies, scenario.Name + ".json"), warmup / scenarios.Count, work);
                foreach (var scenario in scenarios)
                {
                    var bodyFile = Path.Combine(bodies, scenario.Name + ".json");
                    foreach (var c in connections)
                        runs.Add(Wrk.Run("webhook", scenario.Name, $"https://127.0.0.1:{port}{scenario.Path}", bodyFile, c, seconds, webhook.Id, work));
                }
            }
            finally
            {
                Stop(webhook);
            }
        }

        // 2. the baseline, same certificate, same body, same connections
        var baselinePort = FreePort();
        var self = typeof(LoadBenchmark).Assembly.Location;
        var baseline = StartProcess($"exec dotnet {self} baseline-server --port {baselinePort} --tls-cert-file {cert} --tls-private-key-file {key}",
            Path.Combine(work, "baseline.log"));
        try
        {
            await WaitAsync($"https://127.0.0.1:{baselinePort}/validate", TimeSpan.FromSeconds(30), post: true);
            var body = Path.Combine(bodies, "deployment-create.json");
            Wrk.Warm($"https://127.0.0.1:{baselinePort}/validate", body, warmup, work);
            foreach (var c in connections)
                runs.Add(Wrk.Run("baseline", "deployment-create", $"https://127.0.0.1:{baselinePort}/validate", body, c, seconds, baseline.Id, work));
        }
        finally
        {
            Stop(baseline);
        }

        // 3. memory and sync time with bigCount claims + bigCount Deployments, then one load run on it
        await using (var api = new FakeApiServer(ClusterShape.DeploymentsAndClaims(bigCount)))
        {
            await api.StartAsync();
            var (webhook, port, syncSeconds) = await StartWebhookAsync(build, work, cert, key, api.Address, "webhook-big");
            try
            {
                var rssAfterSync = RssMb(webhook.Id, "VmRSS");
                Wrk.Warm($"https://127.0.0.1:{port}/validate", Path.Combine(bodies, "deployment-create.json"), warmup, work);
                var run = Wrk.Run($"webhook ({bigCount / 1000}k view)", "deployment-create", $"https://127.0.0.1:{port}/validate",
                    Path.Combine(bodies, "deployment-create.json"), 32, seconds, webhook.Id, work);
                runs.Add(run);
                report.AppendLine($"Cluster view with {bigCount:N0} claims + {bigCount:N0} Deployments: start → ready {syncSeconds:0.00} s, " +
                                  $"RSS after sync {rssAfterSync} MB, peak RSS under load {run.PeakRssMb} MB.");
            }
            finally
            {
                Stop(webhook);
            }
        }

        report.AppendLine();
        report.Append(Wrk.Table(runs, [.. runs.Where(r => r.Target == "baseline")]));

        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null) await File.WriteAllTextAsync(output, ResultsFile.WithSection(ResultsFile.Read(output), "load", report.ToString()));
        return runs.Any(r => r.Errors > 0) ? 1 : 0;
    }
}
