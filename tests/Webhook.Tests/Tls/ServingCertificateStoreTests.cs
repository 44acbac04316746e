using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RwxGuard.Options;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

public sealed class ServingCertificateStoreTests
{
    [Theory]
    [InlineData(CertificateKeyType.EcdsaP256, PrivateKeyPemFormat.Pkcs8, "BEGIN PRIVATE KEY")]
    [InlineData(CertificateKeyType.EcdsaP256, PrivateKeyPemFormat.Traditional, "BEGIN EC PRIVATE KEY")]
    [InlineData(CertificateKeyType.Rsa2048, PrivateKeyPemFormat.Pkcs8, "BEGIN PRIVATE KEY")]
    [InlineData(CertificateKeyType.Rsa2048, PrivateKeyPemFormat.Traditional, "BEGIN RSA PRIVATE KEY")]
    public async Task RSA_and_ECDSA_keys_in_PKCS8_PKCS1_and_SEC1_are_served(CertificateKeyType keyType,
        PrivateKeyPemFormat format, string keyHeader)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca(keyType: keyType);
        var leaf = TestCertificates.Serving(ca, keyType: keyType);
        CertificateAuthority.WritePem(dir.File("tls.crt"), leaf, privateKeyPath: dir.File("tls.key"), format: format);
        Assert.Contains(keyHeader, File.ReadAllText(dir.File("tls.key")));

        await using var webhook = await RunningWebhook.StartAsync(
            ["--tls-cert-file", dir.File("tls.crt"), "--tls-private-key-file", dir.File("tls.key")], trustedCa: ca);
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/healthz", ct)).StatusCode);
        using var served = await TlsProbe.ServedCertificateAsync(webhook.BaseAddress.Port, ct);
        Assert.Equal(TestCertificates.Fingerprint(leaf), TestCertificates.Fingerprint(served));
    }

    [Fact]
    public async Task Intermediates_after_the_leaf_are_sent_so_a_client_trusting_only_the_root_gets_through()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var root = TestCertificates.Ca("root CA");
        var intermediate = CertificateAuthority.IssueIntermediate(root, "intermediate CA",
            DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddDays(1));
        var leaf = TestCertificates.Serving(intermediate, hours: 12);
        CertificateAuthority.WritePem(dir.File("tls.crt"), leaf, [intermediate], dir.File("tls.key"));

        await using var webhook = await RunningWebhook.StartAsync(
            ["--tls-cert-file", dir.File("tls.crt"), "--tls-private-key-file", dir.File("tls.key")], trustedCa: root);
        var store = webhook.Services.GetRequiredService<ServingCertificateStore>();
        Assert.Equal(1, store.Certificate!.IntermediateCount);

        var sent = new List<string>();
        await using (await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, chain, _) =>
            {
                sent.AddRange(chain!.ChainPolicy.ExtraStore.Select(c => c.Subject));
                return true;
            },
        }, ct)) { }
        Assert.Contains("CN=intermediate CA", sent);
        Assert.DoesNotContain("CN=root CA", sent);

        // RunningWebhook's client trusts only the root: it needs the intermediate from the handshake.
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/healthz", ct)).StatusCode);
    }

    [Fact]
    public async Task The_poll_alone_picks_up_a_change_within_the_poll_interval()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var first = TestCertificates.Serving(ca, hours: 24);
        var second = TestCertificates.Serving(ca, hours: 48);
        CertificateAuthority.WritePem(dir.File("tls.crt"), first, privateKeyPath: dir.File("tls.key"));
        using var store = ServingCertificateStore.Create(Settings(dir, pollSeconds: 1));
        store.Start(new CapturingLoggerProvider().CreateLogger("test"), fileEvents: false);

        CertificateAuthority.WritePem(dir.File("tls.crt"), second, privateKeyPath: dir.File("tls.key"));
        await Eventually.WaitAsync(() => store.LoadCount == 2, TimeSpan.FromSeconds(4), "the poll to reload", ct);
        Assert.Equal(TestCertificates.Fingerprint(second), TestCertificates.Fingerprint(store.Current!.TargetCertificate));
    }

    [Fact]
    public void Unchanged_content_is_not_reloaded_and_a_failed_content_is_warned_about_once()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var leaf = TestCertificates.Serving(ca);
        CertificateAuthority.WritePem(dir.File("tls.crt"), leaf, privateKeyPath: dir.File("tls.key"));
        using var store = ServingCertificateStore.Create(Settings(dir, pollSeconds: 3600));
        var logs = new CapturingLoggerProvider();
        store.Start(logs.CreateLogger("test"), fileEvents: false);

        // Same bytes rewritten (new mtime): nothing to do.
        CertificateAuthority.WritePem(dir.File("tls.crt"), leaf, privateKeyPath: dir.File("tls.key"));
        Assert.False(store.Reload());
        Assert.Equal(1, store.LoadCount);

        File.WriteAllText(dir.File("tls.crt"), "garbage");
        Assert.False(store.Reload());
        Assert.False(store.Reload());
        Assert.Equal(1, store.FailedLoadCount);
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("reload failed", StringComparison.Ordinal));
        Assert.Equal(TestCertificates.Fingerprint(leaf), TestCertificates.Fingerprint(store.Current!.TargetCertificate));
    }

    [Fact]
    public void Each_load_is_logged_with_subject_SANs_expiry_and_fingerprint_and_never_the_key()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var leaf = TestCertificates.Serving(ca);
        CertificateAuthority.WritePem(dir.File("tls.crt"), leaf, privateKeyPath: dir.File("tls.key"));
        var keyPem = File.ReadAllText(dir.File("tls.key"));
        var keyBody = keyPem.Split('\n')[1]; // a line of base64 key material
        using var store = ServingCertificateStore.Create(Settings(dir, pollSeconds: 3600));
        var logs = new CapturingLoggerProvider();
        store.Start(logs.CreateLogger("test"), fileEvents: false);

        var line = Assert.Single(logs.Entries, e => e.Level == LogLevel.Information).Message;
        Assert.Contains("CN=localhost", line);
        Assert.Contains("DNS:localhost", line);
        Assert.Contains("IP:127.0.0.1", line);
        Assert.Contains(leaf.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss"), line);
        Assert.Contains(ServingCertificateInfo.Fingerprint(leaf), line);
        Assert.All(logs.Entries, e =>
        {
            Assert.DoesNotContain("PRIVATE KEY", e.Message);
            Assert.DoesNotContain(keyBody, e.Message);
        });
    }

    [Fact]
    public void The_fingerprint_is_the_colon_separated_SHA256_of_the_DER()
    {
        var leaf = TestCertificates.Serving(TestCertificates.Ca());
        var expected = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(leaf.RawData));
        Assert.Equal(expected, ServingCertificateInfo.Fingerprint(leaf).Replace(":", ""));
    }

    private static ServerOptions Settings(TempDirectory dir, int pollSeconds) => new()
    {
        TlsCertFile = dir.File("tls.crt"),
        TlsPrivateKeyFile = dir.File("tls.key"),
        CertificatePollSeconds = pollSeconds,
    };
}
