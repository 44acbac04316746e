using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RwxGuard.Benchmarks;

/// <summary>
/// What the load benchmark and the soak share: publishing the webhook as the Dockerfile does, a serving certificate, a
/// kubeconfig for the fake API server, starting and stopping the published server, its resident memory.
/// </summary>
public static class Harness
{
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Webhook.sln"))) return dir.FullName;
        throw new InvalidOperationException("run from inside the repository");
    }

    /// <summary>dotnet publish src/Webhook/Webhook.csproj -c Release -o {work}/webhook (the Dockerfile's command).</summary>
    public static string Publish(string work)
    {
        var publish = Path.Combine(work, "webhook");
        Console.WriteLine("# publishing the webhook (the Dockerfile's command)");
        Exec("dotnet", $"publish src/Webhook/Webhook.csproj -c Release -o {publish}", RepoRoot());
        return publish;
    }

    public static (string Cert, string Key) WriteCertificate(string work)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=rwx-guard-bench", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // A directory of their own: the server watches the certificate's directory for rotation, and the logs written
        // next to it at thousands of lines per second would keep its file watcher busy (measured: 5% of the CPU).
        var directory = Directory.CreateDirectory(Path.Combine(work, "certs")).FullName;
        var certFile = Path.Combine(directory, "tls.crt");
        var keyFile = Path.Combine(directory, "tls.key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    public static string WriteKubeconfig(string work, Uri api)
    {
        var kubeconfig = Path.Combine(work, "kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: bench
              cluster:
                server: {api.ToString().TrimEnd('/')}
            contexts:
            - name: bench
              context:
                cluster: bench
                user: bench
            current-context: bench
            users:
            - name: bench
              user: {"{"}token: bench{"}"}
            """);
        return kubeconfig;
    }

    /// <summary>Starts the webhook <paramref name="build"/> against <paramref name="api"/> and waits until /readyz passes.</summary>
    /// <param name="environment">Extra settings as environment variables (Cluster__StaleAfterSeconds=5 …).</param>
    /// <returns>SyncSeconds: from the process start until /readyz first answered 200 (polled every 100 ms).</returns>
    public static async Task<(Process Process, int Port, double SyncSeconds)> StartWebhookAsync(WebhookBuild build, string work,
        string cert, string key, Uri api, string name, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? readyWithin = null)
    {
        var kubeconfig = WriteKubeconfig(work, api);
        var port = FreePort();
        var started = Stopwatch.StartNew();
        var env = string.Concat((environment ?? new Dictionary<string, string>()).Select(e => $"{e.Key}={e.Value} "));
        var process = StartProcess(
            $"exec env {env}{build.Command} --port {port} --metrics-port -1 " +
            $"--tls-cert-file {cert} --tls-private-key-file {key} --kubeconfig {kubeconfig}",
            Path.Combine(work, name + ".log"));
        try
        {
            await WaitAsync($"https://127.0.0.1:{port}/readyz", readyWithin ?? TimeSpan.FromMinutes(5), post: false, process);
        }
        catch
        {
            Stop(process);
            throw;
        }
        return (process, port, started.Elapsed.TotalSeconds);
    }

    /// <summary>CPU time (user + system) the process has used so far: fields 14 and 15 of /proc/{pid}/stat.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14, 15 overall)
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>USER_HZ: 100 on every Linux the benchmark targets.</summary>
    private const int ClockTicksPerSecond = 100;

    /// <summary>A field of /proc/{pid}/status in MiB: VmRSS (now) or VmHWM (peak).</summary>
    public static long RssMb(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    /// <summary>A client that accepts the benchmark's self-signed certificate.</summary>
    public static HttpClient Client(int maxConnections = int.MaxValue) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    }) { Timeout = TimeSpan.FromSeconds(10) };

    /// <param name="server">The server's process: if it exits, waiting stops at once (its log says why).</param>
    public static async Task WaitAsync(string url, TimeSpan timeout, bool post, Process? server = null)
    {
        using var client = Client();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (server is { HasExited: true })
                throw new InvalidOperationException($"the server exited with code {server.ExitCode} before {url} answered");
            try
            {
                var response = post
                    ? await client.PostAsync(url, new StringContent("{}", Encoding.UTF8, "application/json"))
                    : await client.GetAsync(url);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{url} not ready after {timeout}");
    }

    public static Process StartProcess(string command, string log) =>
        Process.Start(new ProcessStartInfo("bash", ["-c", $"{command} > {log} 2>&1"]))!;

    /// <summary>
    /// A log over <paramref name="maxBytes"/> (the decision log of minutes of load: a line per review) is cut to its
    /// first and last lines, which say how the server started, synced and stopped.
    /// </summary>
    public static void TrimLog(string path, long maxBytes = 64L * 1024 * 1024, int keep = 2000)
    {
        if (!File.Exists(path) || new FileInfo(path).Length <= maxBytes) return;
        var head = File.ReadLines(path).Take(keep).ToList();
        var tail = new Queue<string>(keep);
        var total = 0L;
        foreach (var line in File.ReadLines(path))
        {
            total++;
            if (tail.Count == keep) tail.Dequeue();
            tail.Enqueue(line);
        }
        File.WriteAllLines(path, [.. head, $"… {total - head.Count - tail.Count:N0} lines cut by the benchmark …", .. tail]);
    }

    public static void Stop(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public static void Exec(string file, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory })!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}");
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string? Arg(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    public static int IntArg(string[] args, string name, int fallback) => Arg(args, name) is { } v ? int.Parse(v) : fallback;
    public static double DoubleArg(string[] args, string name, double fallback) =>
        Arg(args, name) is { } v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
