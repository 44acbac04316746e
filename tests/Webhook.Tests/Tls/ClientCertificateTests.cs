using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;

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
        var caFile = dir.File("client-ca.crt");
        CertificateAuthority.WritePem(caFile, clientCa);
        var logs = new CapturingLoggerProvider();

        await using var webhook = await RunningWebhook.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Server:ClientCaFile"] = caFile,
                ["Server:DevelopmentCaFile"] = dir.File("dev-ca.crt"),
                ["Logging:LogLevel:RwxGuard.Tls"] = "Information",
            },
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
        var caFile = dir.File("client-ca.crt");
        CertificateAuthority.WritePem(caFile, clientCa);
        await using var webhook = await RunningWebhook.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Server:ClientCaFile"] = caFile,
            ["Server:DevelopmentCaFile"] = dir.File("dev-ca.crt"),
        });

        // Right CA, but extendedKeyUsage serverAuth only.
        using var servingOnly = TestCertificates.Serving(clientCa);
        await Assert.ThrowsAsync<HttpRequestException>(() => Get(webhook, servingOnly));
        using var good = TestCertificates.Client(clientCa);
        Assert.Equal(HttpStatusCode.OK, await Get(webhook, good));
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

    /// <summary>A new connection per call; the client certificate is sent whatever CA names the server lists.</summary>
    private static async Task<HttpStatusCode> Get(RunningWebhook webhook, X509Certificate2? clientCertificate)
    {
        var handler = RunningWebhook.CreateHandler(webhook.Services, null);
        if (clientCertificate is not null)
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        using var client = new HttpClient(handler) { BaseAddress = webhook.BaseAddress };
        using var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }
}
