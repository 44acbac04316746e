using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>
/// The end-to-end benchmark: publishes the webhook exactly as the Dockerfile does, syncs it from a fake API server
/// holding N claims and N Deployments, drives it with wrk over TLS keep-alive at several concurrency levels, measures a
/// bare-Kestrel baseline in the same run, and prints one markdown table.
/// </summary>
public static partial class LoadBenchmark
{
    private sealed record Scenario(string Name, string Path, byte[] Body, string ExpectDecision);

    /// <param name="CpuUsPerReview">Server CPU time (user + system) during the run divided by the reviews answered: the
    /// number that drifts least on a shared machine, because it does not count time the server was not scheduled.</param>
    private sealed record Run(string Target, string Scenario, int Connections, double Rps, double P50Ms, double P99Ms,
        double MaxMs, long Errors, long PeakRssMb, double CpuUsPerReview);

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
        RequireWrk();

        var publish = Publish(work);
        var (cert, key) = WriteCertificate(work);

        var report = new StringBuilder();
        report.AppendLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; " +
                          $"wrk on the same machine; {seconds} s per run; HTTP/1.1 keep-alive over TLS.");
        report.AppendLine();

        var runs = new List<Run>();
        var bodies = Path.Combine(work, "bodies");
        Directory.CreateDirectory(bodies);

        // 1. the webhook with count claims + count Deployments
        await using (var api = new FakeApiServer(count))
        {
            await api.StartAsync();
            var (webhook, port, syncSeconds) = await StartWebhookAsync(publish, work, cert, key, api.Address, "webhook");
            try
            {
                var rssAfterSync = RssMb(webhook.Id, "VmRSS");
                report.AppendLine($"Cluster view with {count:N0} claims + {count:N0} Deployments: start → ready {syncSeconds:0.00} s, " +
                                  $"RSS after sync {rssAfterSync} MB.");
                var scenarios = await ScenariosAsync(port);
                foreach (var scenario in scenarios)
                    await File.WriteAllBytesAsync(Path.Combine(bodies, scenario.Name + ".json"), scenario.Body);
                foreach (var scenario in scenarios)
                    Warm($"https://127.0.0.1:{port}{scenario.Path}", Path.Combine(bodies, scenario.Name + ".json"), warmup / scenarios.Count, work);
                foreach (var scenario in scenarios)
                {
                    var bodyFile = Path.Combine(bodies, scenario.Name + ".json");
                    foreach (var c in connections)
                        runs.Add(Wrk("webhook", scenario.Name, $"https://127.0.0.1:{port}{scenario.Path}", bodyFile, c, seconds, webhook.Id, work));
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
            Warm($"https://127.0.0.1:{baselinePort}/validate", body, warmup, work);
            foreach (var c in connections)
                runs.Add(Wrk("baseline", "deployment-create", $"https://127.0.0.1:{baselinePort}/validate", body, c, seconds, baseline.Id, work));
        }
        finally
        {
            Stop(baseline);
        }

        // 3. memory and sync time with bigCount claims + bigCount Deployments, then one load run on it
        await using (var api = new FakeApiServer(bigCount))
        {
            await api.StartAsync();
            var (webhook, port, syncSeconds) = await StartWebhookAsync(publish, work, cert, key, api.Address, "webhook-big");
            try
            {
                var rssAfterSync = RssMb(webhook.Id, "VmRSS");
                Warm($"https://127.0.0.1:{port}/validate", Path.Combine(bodies, "deployment-create.json"), warmup, work);
                var run = Wrk("webhook (100k view)", "deployment-create", $"https://127.0.0.1:{port}/validate",
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
        report.AppendLine("| target | request | connections | reviews/s | p50 ms | p99 ms | max ms | errors | peak RSS MB | vs baseline | server CPU µs/review |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            var basis = runs.FirstOrDefault(r => r.Target == "baseline" && r.Connections == run.Connections);
            var ratio = basis is not null && run.Target != "baseline" ? (run.Rps / basis.Rps).ToString("0.00", CultureInfo.InvariantCulture) : "";
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {run.Target} | {run.Scenario} | {run.Connections} | {run.Rps:N0} | {run.P50Ms:0.000} | {run.P99Ms:0.000} | {run.MaxMs:0.0} | {run.Errors} | {run.PeakRssMb} | {ratio} | {run.CpuUsPerReview:0} |"));
        }

        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null) await File.WriteAllTextAsync(output, report.ToString());
        return runs.Any(r => r.Errors > 0) ? 1 : 0;
    }

    /// <summary>The three realistic requests; each is posted once first and its decision checked.</summary>
    private static async Task<List<Scenario>> ScenariosAsync(int port)
    {
        var scenarios = new List<Scenario>
        {
            // app-new mounts claim-7 (RWO, bound) with 2 replicas: a denial, the full decision path.
            new("deployment-create", "/validate", Requests.DeploymentCreate(FakeApiServer.Ns(7), "app-new", "claim-7"), "\"allowed\":false"),
            // kubectl scale deployment/app-7 --replicas=3 on its RWO claim-7: a denial.
            new("scale-update", "/validate", Requests.ScaleUpdate(FakeApiServer.Ns(7), "app-7", 3), "\"allowed\":false"),
            // a new AnythingLLM claim: patched to ReadWriteMany on efs-sc.
            new("claim-create", "/mutate", Requests.ClaimCreate(FakeApiServer.Ns(7), "anythingllm-storage"), "\"patchType\":\"JSONPatch\""),
        };
        using var client = Client();
        foreach (var scenario in scenarios)
        {
            var content = new ByteArrayContent(scenario.Body);
            content.Headers.ContentType = new("application/json");
            var response = await client.PostAsync($"https://127.0.0.1:{port}{scenario.Path}", content);
            var text = await response.Content.ReadAsStringAsync();
            Console.WriteLine($"# {scenario.Name}: {scenario.Body.Length} bytes → HTTP {(int)response.StatusCode} {text[..Math.Min(text.Length, 160)]}");
            if (!text.Contains(scenario.ExpectDecision, StringComparison.Ordinal))
                throw new InvalidOperationException($"{scenario.Name}: expected {scenario.ExpectDecision} in {text}");
        }
        return scenarios;
    }

    private static Run Wrk(string target, string scenario, string url, string bodyFile, int connections, int seconds, int pid, string work)
    {
        var threads = Math.Min(2, connections);
        var cpuBefore = CpuTime(pid);
        var output = RunWrk($"-t{threads} -c{connections} -d{seconds}s --latency", url, bodyFile, work);
        var cpu = CpuTime(pid) - cpuBefore;
        var total = Number(TotalPattern().Match(output));

        var rps = Number(RpsPattern().Match(output));
        var p50 = Duration(Percentile(output, "50%"));
        var p99 = Duration(Percentile(output, "99%"));
        var max = Duration(LatencyPattern().Match(output).Groups["max"].Value);
        var non2xx = (long)Number(Non2xxPattern().Match(output));
        var socket = SocketPattern().Match(output);
        var socketErrors = socket.Success ? socket.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value)) : 0;
        var run = new Run(target, scenario, connections, rps, p50, p99, max, non2xx + socketErrors, RssMb(pid, "VmHWM"),
            total > 0 ? cpu.TotalMicroseconds / total : double.NaN);
        Console.WriteLine($"# {target} {scenario} c={connections}: {rps:N0}/s p50 {p50:0.000} ms p99 {p99:0.000} ms max {max:0.0} ms " +
                          $"errors {run.Errors} cpu {run.CpuUsPerReview:0} µs/review");
        if (rps == 0) Console.WriteLine(output);
        return run;
    }

    private static string Percentile(string output, string label) =>
        Regex.Match(output, $@"^\s+{Regex.Escape(label)}\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;

    private static double Number(Match match) =>
        match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    /// <summary>wrk prints 812.00us, 1.23ms, 2.00s.</summary>
    private static double Duration(string text)
    {
        var m = Regex.Match(text, @"^([\d.]+)(us|ms|s|m)$");
        if (!m.Success) return double.NaN;
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "ms" => value, "s" => value * 1000, _ => value * 60_000 };
    }

    /// <summary>wrk with <paramref name="flags"/>, POSTing <paramref name="bodyFile"/> as application/json; its output.</summary>
    private static string RunWrk(string flags, string url, string bodyFile, string work)
    {
        var script = Path.Combine(work, "post.lua");
        File.WriteAllText(script, """
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
            wrk.body = f:read("*all")
            f:close()
            """);
        var psi = new ProcessStartInfo("wrk", $"{flags} -s {script} {url}") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["BODY_FILE"] = bodyFile;
        using var wrk = Process.Start(psi)!;
        var output = wrk.StandardOutput.ReadToEnd() + wrk.StandardError.ReadToEnd();
        wrk.WaitForExit();
        return output;
    }

    /// <summary>Not measured: wrk at 8 connections for <paramref name="seconds"/>, so the measured runs see tier-1 code.</summary>
    private static void Warm(string url, string bodyFile, int seconds, string work)
    {
        if (seconds <= 0) return;
        RunWrk($"-t2 -c8 -d{seconds}s", url, bodyFile, work);
        Console.WriteLine($"# warmed up {url} for {seconds} s");
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex TotalPattern();
    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RpsPattern();
    [GeneratedRegex(@"Latency\s+\S+\s+\S+\s+(?<max>\S+)")]
    private static partial Regex LatencyPattern();
    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xxPattern();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketPattern();

    private static void RequireWrk()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("wrk", "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("wrk is not installed: apt-get install -y wrk (run.sh does this)");
        }
    }
}
