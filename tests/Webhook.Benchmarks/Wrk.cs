using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using static RwxGuard.Benchmarks.Harness;

namespace RwxGuard.Benchmarks;

/// <summary>One wrk run against one server: throughput, latency, errors, and the server's memory and CPU.</summary>
/// <param name="CpuUsPerReview">Server CPU time (user + system) during the run divided by the reviews answered: the
/// number that drifts least on a shared machine, because it does not count time the server was not scheduled.</param>
public sealed record WrkRun(string Target, string Scenario, int Connections, double Rps, double P50Ms, double P99Ms,
    double MaxMs, long Errors, long PeakRssMb, double CpuUsPerReview);

/// <summary>wrk (C, keep-alive, over TLS) POSTing one AdmissionReview body as fast as the server answers.</summary>
public static partial class Wrk
{
    public static WrkRun Run(string target, string scenario, string url, string bodyFile, int connections, int seconds, int pid, string work)
    {
        var threads = Math.Min(2, connections);
        var cpuBefore = CpuTime(pid);
        var output = Execute($"-t{threads} -c{connections} -d{seconds}s --latency", url, bodyFile, work);
        var cpu = CpuTime(pid) - cpuBefore;
        var total = Number(TotalPattern().Match(output));

        var rps = Number(RpsPattern().Match(output));
        var p50 = Duration(Percentile(output, "50%"));
        var p99 = Duration(Percentile(output, "99%"));
        var max = Duration(LatencyPattern().Match(output).Groups["max"].Value);
        var non2xx = (long)Number(Non2xxPattern().Match(output));
        var socket = SocketPattern().Match(output);
        var socketErrors = socket.Success ? socket.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value)) : 0;
        var run = new WrkRun(target, scenario, connections, rps, p50, p99, max, non2xx + socketErrors, RssMb(pid, "VmHWM"),
            total > 0 ? cpu.TotalMicroseconds / total : double.NaN);
        Console.WriteLine($"# {target} {scenario} c={connections}: {rps:N0}/s p50 {p50:0.000} ms p99 {p99:0.000} ms max {max:0.0} ms " +
                          $"errors {run.Errors} cpu {run.CpuUsPerReview:0} µs/review");
        if (rps == 0) Console.WriteLine(output);
        return run;
    }

    /// <summary>Not measured: wrk at 8 connections for <paramref name="seconds"/>, so the measured runs see tier-1 code.</summary>
    public static void Warm(string url, string bodyFile, int seconds, string work)
    {
        if (seconds <= 0) return;
        Execute($"-t2 -c8 -d{seconds}s", url, bodyFile, work);
        Console.WriteLine($"# warmed up {url} for {seconds} s");
    }

    public static void Require()
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

    /// <summary>The markdown table of <paramref name="runs"/>, each with its ratio to the baseline's run of the same
    /// request and connections (or, when the baseline ran only the Deployment CREATE, of that).</summary>
    public static string Table(IReadOnlyList<WrkRun> runs, IReadOnlyList<WrkRun> baseline)
    {
        var table = new System.Text.StringBuilder();
        table.AppendLine("| target | request | connections | reviews/s | p50 ms | p99 ms | max ms | errors | peak RSS MB | vs baseline | p99 vs baseline | server CPU µs/review |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            var basis = baseline.FirstOrDefault(r => r.Scenario == run.Scenario && r.Connections == run.Connections)
                        ?? baseline.FirstOrDefault(r => r.Scenario == "deployment-create" && r.Connections == run.Connections);
            var own = run.Target.StartsWith("baseline", StringComparison.Ordinal) || basis is null;
            var ratio = own ? "" : (run.Rps / basis!.Rps).ToString("0.00", CultureInfo.InvariantCulture);
            var p99Ratio = own ? "" : (run.P99Ms / basis!.P99Ms).ToString("0.00", CultureInfo.InvariantCulture);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {run.Target} | {run.Scenario} | {run.Connections} | {run.Rps:N0} | {run.P50Ms:0.000} | {run.P99Ms:0.000} | {run.MaxMs:0.0} | {run.Errors} | {run.PeakRssMb} | {ratio} | {p99Ratio} | {run.CpuUsPerReview:0} |"));
        }
        return table.ToString();
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
    private static string Execute(string flags, string url, string bodyFile, string work)
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
}
