using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tests.Tls;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Reliability;

/// <summary>
/// The serving pair is replaced several times while clients keep posting real captures, on new connections (each
/// request its own TLS handshake) and on keep-alive connections over HTTP/1.1 and HTTP/2: not one request fails, and
/// new connections see each new certificate within seconds.
/// </summary>
public sealed class RotationUnderLoadTests(ITestOutputHelper output)
{
    private const int Rotations = 4;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public enum Writer { KubeletSymlinkSwap, PlainOverwrite }

    [Theory]
    [InlineData(Writer.KubeletSymlinkSwap)]
    [InlineData(Writer.PlainOverwrite)]
    public async Task Rotating_the_serving_pair_under_load_fails_no_request(Writer writer)
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var leaves = Enumerable.Range(0, Rotations + 1).Select(i => TestCertificates.Serving(ca, hours: 24 + i)).ToArray();
        string certFile, keyFile;
        Action<X509Certificate2> write;
        if (writer == Writer.KubeletSymlinkSwap)
        {
            var volume = new KubeletSecretVolume(dir.Path);
            volume.Write(leaves[0]);
            (certFile, keyFile, write) = (volume.CertFile, volume.KeyFile, leaf => volume.Write(leaf));
        }
        else
        {
            certFile = dir.File("tls.crt");
            keyFile = dir.File("tls.key");
            CertificateAuthority.WritePem(certFile, leaves[0], privateKeyPath: keyFile);
            // Not atomic: the certificate first, the key a moment later. In between the pair does not match.
            write = leaf =>
            {
                File.WriteAllText(certFile, CertificateAuthority.CertificatePem(leaf));
                Thread.Sleep(20);
                File.WriteAllText(keyFile, CertificateAuthority.PrivateKeyPem(leaf));
            };
        }

        await using var webhook = await RunningWebhook.StartAsync(["--tls-cert-file", certFile, "--tls-private-key-file", keyFile],
            new Dictionary<string, string?> { ["Server:CertificatePollSeconds"] = "300" }, trustedCa: ca);
        var port = webhook.BaseAddress.Port;

        // What each new connection was shown, validated against the CA as the API server does with caBundle.
        var seenOnNewConnections = new ConcurrentDictionary<string, int>();
        var validate = RunningWebhook.CreateHandler(webhook.Services, ca).SslOptions.RemoteCertificateValidationCallback!;
        SocketsHttpHandler Handler(bool keepAlive, bool recordLeaf) => new()
        {
            PooledConnectionLifetime = keepAlive ? TimeSpan.FromMinutes(10) : TimeSpan.Zero,
            MaxConnectionsPerServer = 2,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                {
                    var ok = validate(sender, certificate, chain, errors);
                    if (recordLeaf && certificate is not null)
                        seenOnNewConnections.AddOrUpdate(TestCertificates.Fingerprint(certificate), 1, (_, n) => n + 1);
                    return ok;
                },
            },
        };
        using var fresh = new HttpClient(Handler(keepAlive: false, recordLeaf: true)) { BaseAddress = webhook.BaseAddress };
        using var http11 = new HttpClient(Handler(keepAlive: true, recordLeaf: false)) { BaseAddress = webhook.BaseAddress };
        using var http2 = new HttpClient(Handler(keepAlive: true, recordLeaf: false))
        {
            BaseAddress = webhook.BaseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        (HttpClient, string) ClientOf(int worker) => (worker % 3) switch
        {
            0 => (fresh, "new connection"), 1 => (http11, "keep-alive HTTP/1.1"), _ => (http2, "HTTP/2"),
        };

        await using var load = new LoadLoop();
        load.Start(6, ClientOf, (w, request) => request.Headers.ConnectionClose = w % 3 == 0 ? true : null); // a handshake per request
        await Task.Delay(500, Ct);

        for (var i = 1; i <= Rotations; i++)
        {
            var before = load.Requests;
            write(leaves[i]);
            var latency = await TlsProbe.WaitUntilServedAsync(port, leaves[i], TimeSpan.FromSeconds(10), Ct);
            await Task.Delay(400, Ct);
            output.WriteLine($"rotation {i}: new certificate on new connections after {latency.TotalMilliseconds:0} ms; " +
                             $"{load.Requests - before} requests meanwhile");
        }
        await load.StopAsync();

        output.WriteLine($"{load.Requests} requests, {load.Failures.Count} failed; leaves seen on new connections: " +
                         string.Join(", ", seenOnNewConnections.Select(kv => $"{kv.Key[..8]}×{kv.Value}")));
        Assert.True(load.Failures.IsEmpty, string.Join('\n', load.Failures.Take(10)));
        Assert.True(load.Requests > 50, $"only {load.Requests} requests");
        // New connections saw the rotations, ending with the last pair.
        Assert.Contains(TestCertificates.Fingerprint(leaves[^1]), seenOnNewConnections.Keys);
        Assert.True(seenOnNewConnections.Count >= 3, $"new connections saw {seenOnNewConnections.Count} certificates");
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/readyz", Ct)).StatusCode);
    }
}
