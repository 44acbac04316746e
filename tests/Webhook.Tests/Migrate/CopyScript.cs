using System.Diagnostics;
using System.Text;

namespace RwxGuard.Tests.Migrate;

/// <summary>Runs the copy Job's script (src/Webhook/Migrate/copy.sh, as embedded in the binary) with BusyBox's tools, locally.</summary>
public static class CopyScript
{
    private static readonly Lazy<string> Applets = new(() =>
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Migrate", "busybox-path.sh");
        var (code, output) = Run("bash", [script], new Dictionary<string, string>(), null);
        if (code != 0) throw new InvalidOperationException($"busybox-path.sh failed ({code}): {output}");
        return output.Trim().Split('\n')[^1];
    });

    public static string AppletsDirectory => Applets.Value;

    /// <summary>Runs the script; each output line goes to <paramref name="onLine"/> as it is written.</summary>
    public static (int ExitCode, string Output) Run(string source, string target, string mode = "copy", int progressSeconds = 1, Action<string>? onLine = null)
    {
        var scriptFile = Path.Combine(Path.GetTempPath(), $"rwx-guard-copy-{Guid.NewGuid():N}.sh");
        File.WriteAllText(scriptFile, RwxGuard.Migrate.MigrationObjects.CopyScript);
        try
        {
            return Run(Path.Combine(AppletsDirectory, "sh"), [scriptFile], new Dictionary<string, string>
            {
                ["PATH"] = AppletsDirectory,
                ["SRC"] = source,
                ["DST"] = target,
                ["MODE"] = mode,
                ["PROGRESS_SECONDS"] = progressSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, onLine);
        }
        finally
        {
            File.Delete(scriptFile);
        }
    }

    private static (int, string) Run(string file, string[] args, IDictionary<string, string> environment, Action<string>? onLine)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        void Line(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            onLine?.Invoke(line);
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 5 minutes:\n{output}");
        }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }
}
