using System.Diagnostics;
using System.Text;

namespace RwxGuard.Tests.Audit;

/// <summary>What one <c>dotnet webhook.dll audit …</c> process did.</summary>
/// <param name="ExitCode">The exit code (134 after a stack overflow); -1 when it was killed at the deadline.</param>
/// <param name="PeakRssMiB">The highest VmHWM seen in /proc while it ran (0 where there is no /proc).</param>
/// <param name="Cpu">User + system CPU time, as last seen in /proc while it ran (so up to one 20 ms poll short; zero
/// where there is no /proc): the work done, which unlike <paramref name="Elapsed"/> does not grow while the process
/// waits for a core on a busy machine.</param>
public sealed record AuditProcessRun(int ExitCode, bool Killed, string Stdout, string Stderr, TimeSpan Elapsed, double PeakRssMiB,
    TimeSpan Cpu)
{
    public override string ToString() =>
        $"exit {(Killed ? "killed at the deadline" : ExitCode)} after {Elapsed.TotalSeconds:F2} s ({Cpu.TotalSeconds:F2} s CPU), " +
        $"peak RSS {PeakRssMiB:F0} MiB\n" +
        $"--- stdout\n{Cut(Stdout)}\n--- stderr\n{Cut(Stderr)}";

    private static string Cut(string text) => text.Length > 4000 ? text[..4000] + "…" : text;
}

/// <summary>
/// The built CLI (webhook.dll next to the tests, or another build) as its own process: for input that could kill the
/// test host (a stack overflow cannot be caught) or hang it (opening a FIFO blocks in the kernel), and to measure what a
/// user would see. Killed at a deadline, so a regression fails the test instead of stalling the run. Also used by the
/// benchmark's <c>audit-input</c> mode (linked there).
/// </summary>
public static class AuditProcess
{
    /// <summary>webhook.dll next to the tests, or the build named by RWXGUARD_TEST_AUDIT_DLL (to run the tests against an
    /// older build and see them fail, as docs/reliability.md did).</summary>
    public static string DefaultDll =>
        Environment.GetEnvironmentVariable("RWXGUARD_TEST_AUDIT_DLL") is { Length: > 0 } dll ? dll : Path.Combine(AppContext.BaseDirectory, "webhook.dll");

    /// <param name="stdin">Writes the process's stdin (closed afterwards); null: stdin is empty.</param>
    /// <param name="wrapper">A command that runs <c>dotnet webhook.dll audit …</c> (its arguments follow the wrapper's).</param>
    public static async Task<AuditProcessRun> RunAsync(IEnumerable<string> args, Func<Stream, CancellationToken, Task>? stdin,
        TimeSpan deadline, CancellationToken cancellationToken, string? dll = null, string? workingDirectory = null,
        IReadOnlyList<string>? wrapper = null)
    {
        var start = new ProcessStartInfo(wrapper?[0] ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (wrapper is not null)
        {
            foreach (var arg in wrapper.Skip(1)) start.ArgumentList.Add(arg);
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(dll ?? DefaultDll);
        start.ArgumentList.Add("audit");
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = ReadBoundedAsync(process.StandardOutput);
        var stderr = ReadBoundedAsync(process.StandardError);
        var writer = Task.Run(async () =>
        {
            try
            {
                if (stdin is not null) await stdin(process.StandardInput.BaseStream, cancellationToken);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // the process stopped reading (it refused the input, or exited): what the test looks at
            }
        }, CancellationToken.None);

        double peak = 0;
        var cpu = TimeSpan.Zero;
        var killed = false;
        while (!process.HasExited)
        {
            peak = Math.Max(peak, PeakRssMiB(process.Id));
            cpu = Max(cpu, CpuTime(process.Id));
            if (clock.Elapsed > deadline || cancellationToken.IsCancellationRequested)
            {
                killed = true;
                process.Kill(entireProcessTree: true);
                break;
            }
            await Task.Delay(20, CancellationToken.None);
        }
        await process.WaitForExitAsync(CancellationToken.None);
        var elapsed = clock.Elapsed;
        await writer;
        return new AuditProcessRun(killed ? -1 : process.ExitCode, killed, await stdout, await stderr, elapsed, peak, cpu);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Writes <paramref name="text"/> as UTF-8.</summary>
    public static Func<Stream, CancellationToken, Task> Text(string text) =>
        (stream, ct) => stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct).AsTask();

    /// <summary>Writes zero bytes until the process stops reading, or <paramref name="maxBytes"/> have been written.</summary>
    public static Func<Stream, CancellationToken, Task> Zeros(long maxBytes) => async (stream, ct) =>
    {
        var block = new byte[1024 * 1024];
        for (long written = 0; written < maxBytes; written += block.Length) await stream.WriteAsync(block, ct);
    };

    private static double PeakRssMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // exited meanwhile, or no /proc
        }
    }

    /// <summary>utime + stime from /proc/PID/stat (fields 14 and 15, after the parenthesised command name), in clock
    /// ticks of 1/100 s (USER_HZ, 100 on Linux whatever the kernel's HZ).</summary>
    private static TimeSpan CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return TimeSpan.FromMilliseconds((long.Parse(fields[11]) + long.Parse(fields[12])) * 10);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Keeps the first megabyte: a runaway process must not fill the test host's memory through its output.</summary>
    private static async Task<string> ReadBoundedAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (text.Length < 1024 * 1024) text.Append(buffer, 0, read);
        }
        return text.ToString();
    }
}
