using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Tls;

/// <summary>Server:ClientCaFile: every connection must present a client certificate chaining to that bundle.</summary>
public sealed class ClientCertificateTests
{
    [Fact]
    public async Task With_a_client_CA_only_certificates_from_that_CA_get_an_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var clientCa = TestCertificates.Ca("apiserver client CA");
        var otherCa = TestCertificates.Ca("some other CA");
        var logs = new CapturingLoggerProvider();
        var settings = RequireClientCertificates(dir, clientCa);
        settings["Logging:LogLevel:RwxGuard.Tls"] = "Information";

        await using var webhook = await RunningWebhook.StartAsync(
            settings: settings,
            configure: b => b.Logging.AddProvider(logs));

        // No client certificate: the handshake fails or the connection closes before any response.
        await Assert.ThrowsAsync<HttpRequestException>(() => Get(webhook, clientCertificate: null));

        // From the configured CA: answered.
        using var good = TestCertificates.Client(clientCa);
        Assert.Equal(HttpStatusCode.OK, await Get(webhook, good));

        // The CertificateRequest names the accepted CAs: Go's crypto/tls (the API server) sends only a certificate
        // whose chain has an issuer in that list. TLS 1.2 sends it in clear: look for the CA's DER-encoded name.
        var recorded = new MemoryStream();
        await using (var ssl = await ConnectRecordingAsync(webhook.BaseAddress.Port, recorded, good, ct)) { }
        Assert.True(recorded.ToArray().AsSpan().IndexOf(clientCa.SubjectName.RawData) >= 0,
            "the CertificateRequest does not list the client CA");
        Assert.True(recorded.ToArray().AsSpan().IndexOf(otherCa.SubjectName.RawData) < 0);

        // From another CA, presented anyway (the client ignores the server's CA list): refused by chain validation.
        using var foreign = TestCertificates.Client(otherCa);
        await Assert.ThrowsAsync<HttpRequestException>(() => Get(webhook, foreign));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information
            && e.Message.Contains("does not chain to Server:ClientCaFile", StringComparison.Ordinal)
            && e.Message.Contains("some other CA", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("no client certificate presented", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_serving_only_certificate_from_the_client_CA_is_refused_as_a_client_certificate()
    {
        using var dir = new TempDirectory();
        var clientCa = TestCertificates.Ca("apiserver client CA");
        await using var webhook = await RunningWebhook.StartAsync(settings: RequireClientCertificates(dir, clientCa));

        // Right CA, but extendedKeyUsage serverAuth only.
        using var servingOnly = TestCertificates.Serving(clientCa);
        await Assert.ThrowsAsync<HttpRequestException>(() => Get(webhook, servingOnly));
        using var good = TestCertificates.Client(clientCa);
        Assert.Equal(HttpStatusCode.OK, await Get(webhook, good));
    }

    [Fact]
    public async Task With_a_client_CA_admission_needs_a_client_certificate_and_the_kubelet_probes_the_plain_port()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var clientCa = TestCertificates.Ca("apiserver client CA");
        var view = new FakeClusterView().Add(Objects.Claim("data", RwxGuard.Domain.AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" });
        await using var webhook = await RunningWebhook.StartAsync(settings: RequireClientCertificates(dir, clientCa),
            services: s => s.AddSingleton<RwxGuard.Domain.IClusterView>(view));
        var review = Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data");

        // Admission over HTTPS: refused without a client certificate, decided with one from the client CA.
        await Assert.ThrowsAsync<HttpRequestException>(() => Send(webhook, null, HttpMethod.Post, "/validate", review));
        using var apiServer = TestCertificates.Client(clientCa);
        var (status, body) = await Send(webhook, apiServer, HttpMethod.Post, "/validate", review);
        Assert.Equal(HttpStatusCode.OK, status);
        var decision = System.Text.Json.Nodes.JsonNode.Parse(body)!["response"]!;
        Assert.False(decision["allowed"]!.GetValue<bool>(), body); // really decided: RWO claim, 2 replicas
        // HTTPS probes fail the same way the kubelet's would (it presents no certificate).
        await Assert.ThrowsAsync<HttpRequestException>(() => Send(webhook, null, HttpMethod.Get, "/readyz", null));

        // The kubelet's probes on the plain-HTTP port: no certificate needed, the real readiness.
        Assert.NotNull(webhook.MetricsAddress);
        using var kubelet = new HttpClient { BaseAddress = webhook.MetricsAddress };
        Assert.Equal("ok\n", await kubelet.GetStringAsync("/healthz", ct));
        using (var ready = await kubelet.GetAsync("/readyz", ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("readyz check passed", await ready.Content.ReadAsStringAsync(ct));
        }
        view.Status = FakeClusterView.Unavailable().Status;
        using (var notReady = await kubelet.GetAsync("/readyz", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("[-]cluster-view failed", await notReady.Content.ReadAsStringAsync(ct));
        }
        Assert.Equal(HttpStatusCode.OK, (await kubelet.GetAsync("/healthz", ct)).StatusCode); // alive, just not ready

        // Admission never goes over plain HTTP, whatever the caller.
        foreach (var path in new[] { "/validate", "/mutate" })
        {
            using var plain = await kubelet.PostAsync(path, Fixtures.Json(review), ct);
            Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
        }
    }

    /// <summary>Writes the client CA into <paramref name="dir"/>; the settings that require certificates from it.</summary>
    private static Dictionary<string, string?> RequireClientCertificates(TempDirectory dir, X509Certificate2 clientCa)
    {
        var caFile = dir.File("client-ca.crt");
        CertificateAuthority.WritePem(caFile, clientCa);
        return new() { ["Server:ClientCaFile"] = caFile, ["Server:DevelopmentCaFile"] = dir.File("dev-ca.crt") };
    }

    private static async Task<SslStream> ConnectRecordingAsync(int port, MemoryStream recorded, X509Certificate2 clientCertificate,
        CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var ssl = new SslStream(new RecordingStream(tcp.GetStream(), recorded), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
        }, cancellationToken);
        return ssl;
    }

    /// <summary>Copies every byte read from the server.</summary>
    private sealed class RecordingStream(Stream inner, MemoryStream recorded) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            lock (recorded) recorded.Write(buffer, offset, n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            lock (recorded) recorded.Write(buffer.Span[..n]);
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private static async Task<HttpStatusCode> Get(RunningWebhook webhook, X509Certificate2? clientCertificate) =>
        (await Send(webhook, clientCertificate, HttpMethod.Get, "/healthz", null)).Status;

    /// <summary>A new connection per call; the client certificate is sent whatever CA names the server lists.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> Send(RunningWebhook webhook, X509Certificate2? clientCertificate,
        HttpMethod method, string path, System.Text.Json.Nodes.JsonNode? json)
    {
        var handler = RunningWebhook.CreateHandler(webhook.Services, null);
        if (clientCertificate is not null)
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        using var client = new HttpClient(handler) { BaseAddress = webhook.BaseAddress };
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Fixtures.Json(json) };
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
