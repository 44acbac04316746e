using RwxGuard.Benchmarks.Shape;
using System.Globalization;
using System.Text;

using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>
/// What watching DaemonSets costs (docs/cluster-view.md): the published webhook synced from the fake API server with
/// the same claims and Deployments and 0, then N DaemonSets (each mounting a claim, shaped like a real agent's, with
/// managedFields), measuring start → ready, resident memory after sync and CPU while idle. Each configuration runs
/// <c>--repeat</c> times; the table shows every run, so the drift of a shared machine is visible. <c>--dll</c> or <c>--publish-dir</c>
/// measures a server published elsewhere (the code before DaemonSets were watched, for the cost of the empty cache).
/// </summary>
public static class DaemonSetCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = IntArg(args, "--count", 10_000);
        var daemonSets = (Arg(args, "--daemonsets") ?? $"0,{count}").Split(',').Select(int.Parse).ToArray();
        var repeat = IntArg(args, "--repeat", 2);
        var idleSeconds = IntArg(args, "--idle", 20);
        var output = Arg(args, "--out");

        var work = Directory.CreateTempSubdirectory("rwx-guard-daemonsets-").FullName;
        Console.WriteLine($"# work dir {work}");
        // --dll / --publish-dir: a server built elsewhere (another commit, to compare with the code before DaemonSets were watched).
        var build = WebhookBuild.Resolve(args, work);
        var (cert, key) = WriteCertificate(work);

        var report = new StringBuilder();
        report.AppendLine($"{count:N0} claims + {count:N0} Deployments, plus DaemonSets; {Environment.ProcessorCount} cores, .NET {Environment.Version}; " +
                          $"CPU measured over {idleSeconds} s idle after sync (watches open, no events).");
        report.AppendLine();
        report.AppendLine("| DaemonSets | run | start → ready s | RSS after sync MB | idle CPU ms |");
        report.AppendLine("|---:|---:|---:|---:|---:|");
        for (var run = 1; run <= repeat; run++)
        {
            foreach (var n in daemonSets)
            {
                await using var api = new FakeApiServer(ClusterShape.DeploymentsAndClaims(count) with { DaemonSets = n });
                await api.StartAsync();
                var (webhook, _, syncSeconds) = await StartWebhookAsync(build, work, cert, key, api.Address, $"webhook-ds{n}-{run}");
                try
                {
                    // The compacting collection after the first sync runs off the loop's thread: let it finish.
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    var rss = RssMb(webhook.Id, "VmRSS");
                    var before = CpuTime(webhook.Id);
                    await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
                    var idleCpu = (CpuTime(webhook.Id) - before).TotalMilliseconds;
                    var line = string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | {run} | {syncSeconds:0.00} | {rss} | {idleCpu:0} |");
                    Console.WriteLine(line);
                    report.AppendLine(line);
                }
                finally
                {
                    Stop(webhook);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null) await File.WriteAllTextAsync(output, report.ToString());
        return 0;
    }
}
