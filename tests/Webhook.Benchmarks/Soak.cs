using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RwxGuard.Benchmarks.Shape;
using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>
/// The bounded soak: the published webhook (as the Dockerfile builds it) under a mixed load of every request kind from
/// in-process HTTPS workers, for a few minutes, while the fake API server it watches drops watches mid-event, answers
/// 410, 429 with Retry-After, 500, and goes away for ten seconds and comes back. Reports requests, errors, latency
/// percentiles, resident memory at start and end, and the readiness flips the faults caused.
/// </summary>
public static class Soak
{
    private sealed record FaultWindow(string Name, TimeSpan Start, TimeSpan End);

    private sealed record Flip(TimeSpan At, int Status, string During);

    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = DoubleArg(args, "--minutes", 3);
        var workers = IntArg(args, "--workers", 32);
        var count = IntArg(args, "--count", 2000);
        var output = Arg(args, "--out");
        var duration = TimeSpan.FromMinutes(minutes);

        var work = Directory.CreateTempSubdirectory("rwx-guard-soak-").FullName;
        Console.WriteLine($"# work dir {work}");
        var build = WebhookBuild.Resolve(args, work);
        var (cert, key) = WriteCertificate(work);

        await using var api = new FakeApiServer(ClusterShape.DeploymentsAndClaims(count), FreePort()) { EventInterval = TimeSpan.FromSeconds(1) };
        await api.StartAsync();
        // Short staleness and backoff caps so that ten-second faults show in readiness; everything else is the default.
        var settings = new Dictionary<string, string>
        {
            ["Cluster__StaleAfterSeconds"] = "5",
            ["Cluster__BackoffMaxSeconds"] = "2",
        };
        var (webhook, port, syncSeconds) = await StartWebhookAsync(build, work, cert, key, api.Address, "webhook-soak", settings);
        var failures = new ConcurrentQueue<string>();
        try
        {
            var rssStart = RssMb(webhook.Id, "VmRSS");
            Console.WriteLine($"# synced {count:N0} claims + {count:N0} Deployments in {syncSeconds:0.00} s; RSS {rssStart} MB; " +
                              $"{workers} workers for {minutes:0.#} min");
            var kinds = Kinds(api.Shape);
            var baseUri = new Uri($"https://127.0.0.1:{port}");
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var faults = new List<FaultWindow>();
            string currentFault = "none";

            // Readiness, every 250 ms, and memory every 5 s.
            var flips = new List<Flip>();
            var rssSamples = new List<(TimeSpan At, long Mb)> { (TimeSpan.Zero, rssStart) };
            var monitor = Task.Run(async () =>
            {
                var last = 200;
                var nextRss = TimeSpan.FromSeconds(5);
                using var probe = Client();
                while (!stop.IsCancellationRequested)
                {
                    int status;
                    try
                    {
                        using var response = await probe.GetAsync(new Uri(baseUri, "/readyz"), stop.Token);
                        status = (int)response.StatusCode;
                    }
                    catch (Exception) when (!stop.IsCancellationRequested)
                    {
                        status = -1;
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    if (status != last)
                    {
                        lock (flips) flips.Add(new Flip(clock.Elapsed, status, Volatile.Read(ref currentFault)));
                        last = status;
                    }
                    if (clock.Elapsed >= nextRss)
                    {
                        lock (rssSamples) rssSamples.Add((clock.Elapsed, RssMb(webhook.Id, "VmRSS")));
                        nextRss += TimeSpan.FromSeconds(5);
                    }
                    try { await Task.Delay(250, stop.Token); } catch (OperationCanceledException) { break; }
                }
            });

            // The load: each worker draws request kinds by weight, forever, until stopped.
            var mixed = new MixedLoad(baseUri, kinds, workers)
            {
                OnFailure = (_, what) =>
                {
                    if (failures.Count < 50) failures.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s ({Volatile.Read(ref currentFault)}): {what}");
                },
            };
            var load = mixed.RunAsync(stop.Token);

            // The faults: 12 s of normal service, then 10 s of one fault, in turn, while time remains.
            string[] sequence = ["drop-watches", "410-expired", "429-retry-after", "500", "gone-10s"];
            var normal = TimeSpan.FromSeconds(12);
            var faultLength = TimeSpan.FromSeconds(10);
            for (var i = 0; clock.Elapsed + normal + faultLength + TimeSpan.FromSeconds(15) < duration; i++)
            {
                await Task.Delay(normal);
                var name = sequence[i % sequence.Length];
                var start = clock.Elapsed;
                Volatile.Write(ref currentFault, name);
                Console.WriteLine($"# {start.TotalSeconds,6:0.0} s  fault: {name}");
                switch (name)
                {
                    case "gone-10s":
                        await api.GoAwayAsync(faultLength);
                        break;
                    default:
                        api.Fault = name switch
                        {
                            "drop-watches" => ApiFault.DropWatches,
                            "410-expired" => ApiFault.Expired,
                            "429-retry-after" => ApiFault.TooManyRequests,
                            _ => ApiFault.ServerError,
                        };
                        await Task.Delay(faultLength);
                        api.Fault = ApiFault.None;
                        break;
                }
                Volatile.Write(ref currentFault, "none");
                faults.Add(new FaultWindow(name, start, clock.Elapsed));
            }
            var remaining = duration - clock.Elapsed;
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining);

            await stop.CancelAsync();
            await load;
            await monitor;
            var elapsed = clock.Elapsed;
            var rssEnd = RssMb(webhook.Id, "VmRSS");
            var rssPeak = RssMb(webhook.Id, "VmHWM");
            var finalReady = await ReadyAsync(baseUri);

            var all = mixed.SortedLatencies();
            var requests = mixed.Requests;
            var errors = mixed.Errors;
            var badRequests = mixed.Tallies.Values.Sum(t => t.ExpectedBadRequests);
            var report = Report(minutes, workers, count, syncSeconds, elapsed, requests, errors, badRequests, all, rssStart, rssEnd, rssPeak,
                rssSamples, flips, faults, kinds, mixed.Tallies, api, finalReady, failures);
            Console.WriteLine();
            Console.WriteLine(report);
            if (output is not null) await File.WriteAllTextAsync(output, report);
            return errors == 0 && finalReady ? 0 : 1;
        }
        finally
        {
            Stop(webhook);
        }
    }

    private static async Task<bool> ReadyAsync(Uri baseUri)
    {
        using var probe = Client();
        for (var i = 0; i < 60; i++)
        {
            try
            {
                if ((await probe.GetAsync(new Uri(baseUri, "/readyz"))).IsSuccessStatusCode) return true;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(500);
        }
        return false;
    }

    /// <summary>Every request kind, 64 variants each (distinct objects and uids), plus malformed bodies now and then.</summary>
    private static List<LoadKind> Kinds(ClusterShape shape)
    {
        const int variants = 64;
        var count = shape.Deployments;
        LoadKind Make(string name, string path, int weight, Func<int, byte[]> build, bool malformed = false) =>
            LoadKind.Of(name, path, weight, variants, v => build((v * 7919) % count), malformed); // objects spread over the cache
        var ns = shape.NamespaceOf;
        return
        [
            // app-new-i mounts claim-i (RWO, bound) with 2 replicas: denied while the view is synced.
            Make("deployment-create", "/validate", 20, i => Requests.DeploymentCreate(ns(i), $"app-new-{i}", $"claim-{i}")),
            // app-i stays at 1 replica on claim-i: allowed.
            Make("deployment-update", "/validate", 15, i => Requests.DeploymentUpdate(ns(i), $"app-{i}", $"claim-{i}", 1, 1)),
            // kubectl scale deployment/app-i --replicas=3: denied (the parent's template comes from the view).
            Make("scale-update", "/validate", 15, i => Requests.ScaleUpdate(ns(i), $"app-{i}", 3)),
            // an HPA with maxReplicas 4 on app-i: denied.
            Make("hpa-create", "/validate", 10, i => Requests.AutoscalerCreate(ns(i), $"hpa-{i}", $"app-{i}", 4)),
            // a plain RWO claim nobody mounts: allowed.
            Make("pvc-create-validate", "/validate", 10, i => Requests.PlainClaimCreate(ns(i), $"new-claim-{i}")),
            // an AnythingLLM claim: patched to ReadWriteMany on efs-sc.
            Make("pvc-create-mutate", "/mutate", 10, i => Requests.ClaimCreate(ns(i), "anythingllm-storage")),
            Make("deployment-delete", "/validate", 8, i => Requests.DeploymentDelete(ns(i), $"app-{i}")),
            // now and then a body cut short: must be a 400 with an error AdmissionReview, never anything worse.
            Make("malformed", "/validate", 2, i =>
            {
                var body = Requests.DeploymentCreate(ns(i), $"app-new-{i}", $"claim-{i}");
                return body[..(body.Length / 3 + i % 500)];
            }, malformed: true),
        ];
    }

    private static string Report(double minutes, int workers, int count, double syncSeconds, TimeSpan elapsed, long requests,
        long errors, long badRequests, double[] latencies, long rssStart, long rssEnd, long rssPeak,
        List<(TimeSpan At, long Mb)> rssSamples, List<Flip> flips, List<FaultWindow> faults, List<LoadKind> kinds,
        IReadOnlyDictionary<string, LoadTally> tallies, FakeApiServer api, bool finalReady, ConcurrentQueue<string> failures)
    {
        double P(double q) => MixedLoad.Percentile(latencies, q);
        var inv = CultureInfo.InvariantCulture;
        var r = new StringBuilder();
        r.AppendLine(string.Create(inv, $"Soak: {minutes:0.#} min requested, {elapsed.TotalSeconds:0} s run; {workers} HTTPS workers (keep-alive) in one process; " +
                                         $"the published webhook watching a fake API server with {count:N0} claims + {count:N0} Deployments " +
                                         $"(a MODIFIED event per second per watch); {Environment.ProcessorCount} cores, .NET {Environment.Version}."));
        r.AppendLine();
        r.AppendLine("| requests | errors | malformed → 400 (intended) | reviews/s | p50 ms | p99 ms | max ms | RSS start MB | RSS end MB | peak RSS MB | readiness flips |");
        r.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        r.AppendLine(string.Create(inv, $"| {requests:N0} | {errors} | {badRequests:N0} | {requests / elapsed.TotalSeconds:N0} | {P(0.50):0.00} | {P(0.99):0.00} | " +
                                         $"{(latencies.Length == 0 ? double.NaN : latencies[^1]):0.0} | {rssStart} | {rssEnd} | {rssPeak} | {flips.Count} |"));
        r.AppendLine();
        r.AppendLine("| request kind | requests | errors | allowed | denied | patched | of which \"cluster view unavailable\" |");
        r.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var kind in kinds)
        {
            var t = tallies[kind.Name];
            r.AppendLine(kind.Malformed
                ? $"| {kind.Name} | {t.Requests:N0} | {t.Errors} | (400: {t.ExpectedBadRequests:N0}) | | | |"
                : $"| {kind.Name} | {t.Requests:N0} | {t.Errors} | {t.Allowed:N0} | {t.Denied:N0} | {t.Patched:N0} | {t.Unavailable:N0} |");
        }
        r.AppendLine();
        r.AppendLine("Faults injected by the fake API server (the webhook runs with Cluster:StaleAfterSeconds 5, BackoffMaxSeconds 2):");
        r.AppendLine();
        foreach (var f in faults)
        {
            var during = flips.Where(x => x.At >= f.Start && x.At <= f.End + TimeSpan.FromSeconds(15)).ToList();
            var seen = during.Count == 0
                ? "never flipped"
                : string.Join(", ", during.Select(x => string.Create(inv, $"{(x.Status == 200 ? "ready" : $"not ready ({x.Status})")} at {x.At.TotalSeconds:0.0} s")));
            r.AppendLine(string.Create(inv, $"- {f.Start.TotalSeconds:0}–{f.End.TotalSeconds:0} s {f.Name}: readiness {seen}"));
        }
        r.AppendLine(string.Create(inv, $"- the fake API server answered {api.ListRequests:N0} lists and {api.Watches:N0} watches, " +
                                         $"{api.FaultedAnswers:N0} of them with an injected error, and streamed {api.Events:N0} events"));
        r.AppendLine($"- ready at the end: {(finalReady ? "yes" : "NO")}");
        r.AppendLine(string.Create(inv, $"- RSS samples (MB, every 5 s): {string.Join(" ", rssSamples.Select(s => s.Mb))}"));
        if (!failures.IsEmpty)
        {
            r.AppendLine();
            r.AppendLine("First errors:");
            foreach (var f in failures.Take(20)) r.AppendLine($"- {f}");
        }
        return r.ToString();
    }
}
