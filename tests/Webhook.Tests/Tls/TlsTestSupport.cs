using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

/// <summary>A temporary directory, deleted at dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("rwx-guard-tls-").FullName;
    }

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Certificates for tests, minted by the production <see cref="CertificateAuthority"/>.</summary>
public static class TestCertificates
{
    public static readonly IPAddress[] Loopback = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    public static X509Certificate2 Ca(string name = "test CA", CertificateKeyType keyType = CertificateKeyType.EcdsaP256) =>
        CertificateAuthority.CreateCa(name, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), keyType);

    /// <summary>A localhost serving leaf; <paramref name="hours"/> sets NotAfter so that two leaves are told apart.</summary>
    public static X509Certificate2 Serving(X509Certificate2 ca, int hours = 24,
        CertificateKeyType keyType = CertificateKeyType.EcdsaP256) =>
        CertificateAuthority.IssueServing(ca, ["localhost"], Loopback, DateTimeOffset.UtcNow.AddMinutes(-5),
            DateTimeOffset.UtcNow.AddHours(hours), keyType);

    public static X509Certificate2 Client(X509Certificate2 ca, string name = "kube-apiserver") =>
        CertificateAuthority.IssueClient(ca, name, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(24));

    public static string Fingerprint(X509Certificate certificate) =>
        ServingCertificateInfo.Fingerprint(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
}

/// <summary>
/// A Secret volume as the kubelet lays it out: files in a timestamped directory, <c>..data</c> a symlink to it, each
/// key a symlink through <c>..data</c>. An update writes a new timestamped directory, points <c>..data_tmp</c> at it
/// and renames that over <c>..data</c> (one atomic rename), then deletes the old directory.
/// </summary>
public sealed class KubeletSecretVolume(string directory)
{
    private int _generation;
    private string? _current;

    public string CertFile => Path.Combine(directory, "tls.crt");
    public string KeyFile => Path.Combine(directory, "tls.key");

    public void Write(X509Certificate2 leaf, IEnumerable<X509Certificate2>? chain = null) =>
        Write(CertificateAuthority.CertificatePem(leaf, chain), CertificateAuthority.PrivateKeyPem(leaf));

    public void Write(string certPem, string keyPem)
    {
        var name = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{++_generation:D9}";
        var timestamped = Path.Combine(directory, name);
        Directory.CreateDirectory(timestamped);
        File.WriteAllText(Path.Combine(timestamped, "tls.crt"), certPem);
        File.WriteAllText(Path.Combine(timestamped, "tls.key"), keyPem);

        var dataTmp = Path.Combine(directory, "..data_tmp");
        File.CreateSymbolicLink(dataTmp, name);
        Rename(dataTmp, Path.Combine(directory, "..data"));

        if (!File.Exists(CertFile)) File.CreateSymbolicLink(CertFile, Path.Combine("..data", "tls.crt"));
        if (!File.Exists(KeyFile)) File.CreateSymbolicLink(KeyFile, Path.Combine("..data", "tls.key"));
        if (_current is not null) Directory.Delete(Path.Combine(directory, _current), recursive: true);
        _current = name;
    }

    /// <summary>rename(2), as the kubelet's os.Rename: replaces the <c>..data</c> link itself, atomically.</summary>
    private static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
            throw new IOException($"rename {from} → {to} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldpath, string newpath);
}

/// <summary>Opens fresh TLS connections to a port and reports what the server did.</summary>
public static class TlsProbe
{
    /// <summary>One new connection; returns the leaf the server presented (no trust check: the caller compares).</summary>
    public static async Task<X509Certificate2> ServedCertificateAsync(int port, CancellationToken cancellationToken,
        SslProtocols protocols = SslProtocols.None, string targetHost = "localhost")
    {
        await using var ssl = await ConnectAsync(port, new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, cancellationToken);
        return X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData());
    }

    public static async Task<SslStream> ConnectAsync(int port, SslClientAuthenticationOptions options,
        CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await ssl.AuthenticateAsClientAsync(options, timeout.Token);
            }
            catch
            {
                await ssl.DisposeAsync();
                throw;
            }
            return ssl;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Polls fresh connections until the server presents <paramref name="expected"/>; returns how long that took.
    /// Fails after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<TimeSpan> WaitUntilServedAsync(int port, X509Certificate2 expected, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var want = TestCertificates.Fingerprint(expected);
        string? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                using var served = await ServedCertificateAsync(port, cancellationToken);
                last = TestCertificates.Fingerprint(served);
                if (last == want) return clock.Elapsed;
            }
            catch (Exception e) when (e is IOException or AuthenticationException or SocketException)
            {
                last = e.Message;
            }
            await Task.Delay(25, cancellationToken);
        }
        Assert.Fail($"the server did not serve {want} within {timeout.TotalSeconds} s; last saw {last}");
        return default;
    }
}

public static class Eventually
{
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what}");
            await Task.Delay(25, cancellationToken);
        }
    }
}

/// <summary>Collects log lines of every category.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    public IEnumerable<string> Messages(LogLevel atLeast = LogLevel.Trace) =>
        Entries.Where(e => e.Level >= atLeast).Select(e => e.Message);

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
