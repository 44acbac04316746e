using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

/// <summary>
/// The real server, real files, real TLS: a replaced certificate is served to new connections within seconds, without
/// a restart, while connections opened before keep working. The poll is set to 5 minutes so that only file events can
/// explain a reload within the 5 s asserted here (the poll has its own test).
/// </summary>
public sealed class CertificateRotationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly Dictionary<string, string?> EventsOnly = new() { ["Server:CertificatePollSeconds"] = "300" };

    public enum Replacement { PlainOverwrite, KubeletSymlinkSwap }

    [Theory]
    [InlineData(Replacement.PlainOverwrite)]
    [InlineData(Replacement.KubeletSymlinkSwap)]
    public async Task A_replaced_certificate_is_served_to_new_connections_and_open_connections_keep_working(Replacement how)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var first = TestCertificates.Serving(ca, hours: 24);
        var second = TestCertificates.Serving(ca, hours: 48);

        string certFile, keyFile;
        Action replace;
        if (how == Replacement.PlainOverwrite)
        {
            certFile = dir.File("tls.crt");
            keyFile = dir.File("tls.key");
            CertificateAuthority.WritePem(certFile, first, privateKeyPath: keyFile);
            // In place: truncate and write, cert first and key after, as a careless writer would.
            replace = () =>
            {
                File.WriteAllText(certFile, CertificateAuthority.CertificatePem(second));
                File.WriteAllText(keyFile, CertificateAuthority.PrivateKeyPem(second));
            };
        }
        else
        {
            var volume = new KubeletSecretVolume(dir.Path);
            volume.Write(first);
            certFile = volume.CertFile;
            keyFile = volume.KeyFile;
            replace = () => volume.Write(second);
        }

        await using var webhook = await RunningWebhook.StartAsync(
            ["--tls-cert-file", certFile, "--tls-private-key-file", keyFile], EventsOnly);
        var store = webhook.Services.GetRequiredService<ServingCertificateStore>();
        var port = webhook.BaseAddress.Port;
        using (var served = await TlsProbe.ServedCertificateAsync(port, ct))
            Assert.Equal(TestCertificates.Fingerprint(first), TestCertificates.Fingerprint(served));

        // A keep-alive connection opened before the swap: one connection, validated against the first leaf only.
        var connects = 0;
        var validated = new List<string>();
        using var keepAlive = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    lock (validated) validated.Add(TestCertificates.Fingerprint(certificate!));
                    return true;
                },
            },
        }) { BaseAddress = webhook.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await keepAlive.GetAsync("/healthz", ct)).StatusCode);

        var raised = new TaskCompletionSource<ServingCertificateInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Loaded += (_, e) => raised.TrySetResult(e.Certificate);
        replace();
        var latency = await TlsProbe.WaitUntilServedAsync(port, second, Deadline, ct);
        output.WriteLine($"{how}: new certificate served {latency.TotalMilliseconds:F0} ms after the files changed");

        // The event follows the swap (new handshakes may see the certificate a moment before it is raised).
        var loaded = await raised.Task.WaitAsync(Deadline, ct);
        Assert.Equal(TestCertificates.Fingerprint(second), loaded.Sha256Fingerprint);
        Assert.Equal(2, store.LoadCount);
        Assert.Equal(new DateTimeOffset(second.NotAfter.ToUniversalTime(), TimeSpan.Zero), store.NotAfter);

        // The connection from before the swap still carries requests, and it is the same connection.
        Assert.Equal(HttpStatusCode.OK, (await keepAlive.GetAsync("/healthz", ct)).StatusCode);
        Assert.Equal(1, Volatile.Read(ref connects));
        lock (validated) Assert.Equal(TestCertificates.Fingerprint(first), Assert.Single(validated));

        // And a fresh client trusting only what is served now gets through.
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/readyz", ct)).StatusCode);
    }

    public enum Broken { GarbagePem, KeyDoesNotMatch, EmptyFile }

    [Theory]
    [InlineData(Broken.GarbagePem)]
    [InlineData(Broken.KeyDoesNotMatch)]
    [InlineData(Broken.EmptyFile)]
    public async Task A_broken_replacement_keeps_the_old_certificate_and_a_later_good_one_is_picked_up(Broken broken)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var first = TestCertificates.Serving(ca, hours: 24);
        var second = TestCertificates.Serving(ca, hours: 48);
        var certFile = dir.File("tls.crt");
        var keyFile = dir.File("tls.key");
        CertificateAuthority.WritePem(certFile, first, privateKeyPath: keyFile);

        await using var webhook = await RunningWebhook.StartAsync(
            ["--tls-cert-file", certFile, "--tls-private-key-file", keyFile], EventsOnly);
        var store = webhook.Services.GetRequiredService<ServingCertificateStore>();
        var port = webhook.BaseAddress.Port;

        File.WriteAllText(certFile, broken switch
        {
            Broken.GarbagePem => "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            Broken.KeyDoesNotMatch => CertificateAuthority.CertificatePem(second), // key file still holds first's key
            _ => "",
        });
        await Eventually.WaitAsync(() => store.FailedLoadCount >= 1, Deadline, "the broken file to be tried", ct);

        using (var served = await TlsProbe.ServedCertificateAsync(port, ct))
            Assert.Equal(TestCertificates.Fingerprint(first), TestCertificates.Fingerprint(served));
        Assert.Equal(1, store.LoadCount);
        Assert.True(store.IsLoaded);
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/readyz", ct)).StatusCode);

        CertificateAuthority.WritePem(certFile, second, privateKeyPath: keyFile);
        await TlsProbe.WaitUntilServedAsync(port, second, Deadline, ct);
        await Eventually.WaitAsync(() => store.LoadCount == 2, Deadline, "the reload to be counted", ct);
    }
}
