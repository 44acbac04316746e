using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RwxGuard.Tests.Cluster;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// The built webhook (webhook.dll next to the tests) as its own process, for what an in-process server cannot show:
/// its resident memory, and that the process itself survives.
/// </summary>
public sealed class WebhookProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WebhookProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) if (_log.Length < 1_000_000) _log.AppendLine(line);
    }

    public static async Task<WebhookProcess> StartAsync(IDictionary<string, string> environment, params string[] args)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "webhook.dll"));
        foreach (var a in new[] { "--port", port.ToString(), "--metrics-port", "-1" }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment["Cluster__Connection"] = "Offline";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Server__ShutdownDelaySeconds"] = "0";
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = new WebhookProcess(Process.Start(start)!, port);
        using var client = process.CreateClient();
        await Poll.UntilAsync(async () =>
        {
            if (process.HasExited) Assert.Fail($"the webhook exited with {process._process.ExitCode}:\n{process.Log}");
            try
            {
                return (await client.GetAsync("/healthz", TestContext.Current.CancellationToken)).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the webhook process answers /healthz", TimeSpan.FromSeconds(60), () => process.Log);
        return process;
    }

    /// <summary>A client for this process (its development certificate is not checked: it is minted at start).</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        SslOptions = new() { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        MaxConnectionsPerServer = 64,
    })
    { BaseAddress = new Uri($"https://localhost:{Port}/"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Resident set size from /proc, in MiB: VmRSS now, or VmHWM (the peak).</summary>
    public double RssMiB(string field = "VmRSS")
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}
