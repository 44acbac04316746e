using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

/// <summary>
/// What the listener negotiates. Refusals are checked against a control server in the test (plain SslStream, platform
/// defaults) that accepts the same client, so that a refusal proves the webhook's policy and not a client limitation.
/// </summary>
public sealed class TlsProtocolTests
{
#pragma warning disable SYSLIB0039 // TLS 1.0/1.1 are obsolete: that is what is being refused
    private const SslProtocols Legacy = SslProtocols.Tls | SslProtocols.Tls11;
#pragma warning restore SYSLIB0039

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task TLS_1_2_and_1_3_are_accepted(SslProtocols protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var webhook = await RunningWebhook.StartAsync();
        await using var ssl = await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, Options(protocol), ct);
        Assert.Equal(protocol, ssl.SslProtocol);
    }

    [Fact]
    public async Task TLS_1_1_is_refused_and_every_handshake_allows_exactly_TLS_1_2_and_1_3()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var webhook = await RunningWebhook.StartAsync();
        await Assert.ThrowsAsync<AuthenticationException>(async () =>
        {
            await using var ssl = await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, Options(Legacy), ct);
        });
        // OpenSSL 3 at its default security level cannot speak TLS 1.1 at all, so on Linux the refusal above holds
        // whatever the server allows: the options every handshake gets are what pins the policy everywhere.
        var options = HttpsListener.CreateServerOptions(webhook.Services.GetRequiredService<ServingCertificateStore>());
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, options.EnabledSslProtocols);
        await using var tls12 = await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, Options(SslProtocols.Tls12), ct);
        Assert.Equal(SslProtocols.Tls12, tls12.SslProtocol);
    }

    [Fact]
    public async Task TLS_1_2_without_an_AEAD_ECDHE_suite_is_refused_and_with_one_accepted()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the cipher-suite policy is applied on Linux only");
        var ct = TestContext.Current.CancellationToken;
        await using var webhook = await RunningWebhook.StartAsync();
        var cbcOnly = ClientOptions(SslProtocols.Tls12,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256);

        await using (var control = await ControlServer.StartAsync(SslProtocols.Tls12, cipherSuites: null))
        {
            try
            {
                await using var accepted = await TlsProbe.ConnectAsync(control.Port, cbcOnly, ct);
            }
            catch (AuthenticationException e)
            {
                Assert.Skip($"this platform refuses CBC suites by itself ({e.Message}); the webhook's policy is not observable here");
            }
        }
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var ssl = await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, cbcOnly, ct);
        });

        var gcm = ClientOptions(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var ok = await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, gcm, ct);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ok.NegotiatedCipherSuite);
    }

    [Fact]
    public async Task A_connection_whose_first_record_is_not_a_ClientHello_is_closed_without_an_error_log()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var webhook = await RunningWebhook.StartAsync(configure: b => b.Logging.AddProvider(logs));
        byte[][] junk =
        [
            [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46],              // a TLS alert record
            [0x16, 0x03, 0x01, 0x00, 0x05, .. "hello"u8],           // a handshake record that is no ClientHello
            [.. "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"u8], // plain HTTP
        ];
        foreach (var bytes in junk)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, webhook.BaseAddress.Port, ct);
            var stream = tcp.GetStream();
            await stream.WriteAsync(bytes, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var buffer = new byte[64];
            int read;
            try { read = await stream.ReadAsync(buffer, timeout.Token); }
            catch (IOException) { read = 0; } // reset
            Assert.Equal(0, read); // closed, no HTTP answer in clear
        }
        Assert.Equal(HttpStatusCode.OK, (await webhook.Client.GetAsync("/healthz", ct)).StatusCode);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Theory]
    [InlineData("h2")]
    [InlineData("http/1.1")]
    public async Task ALPN_offers_h2_and_http_1_1(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var webhook = await RunningWebhook.StartAsync();
        var options = Options(SslProtocols.None);
        options.ApplicationProtocols = [new SslApplicationProtocol(protocol)];
        await using var ssl = await TlsProbe.ConnectAsync(webhook.BaseAddress.Port, options, ct);
        Assert.Equal(protocol, ssl.NegotiatedApplicationProtocol.ToString());

        using var client = new HttpClient(RunningWebhook.CreateHandler(webhook.Services, null))
        {
            BaseAddress = webhook.BaseAddress,
            DefaultRequestVersion = protocol == "h2" ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await client.GetAsync("/healthz", ct);
        Assert.Equal(protocol == "h2" ? HttpVersion.Version20 : HttpVersion.Version11, response.Version);
    }

    private static SslClientAuthenticationOptions Options(SslProtocols protocols) => new()
    {
        TargetHost = "localhost",
        EnabledSslProtocols = protocols,
        RemoteCertificateValidationCallback = (_, _, _, _) => true,
    };

    private static SslClientAuthenticationOptions ClientOptions(SslProtocols protocols, params TlsCipherSuite[] suites)
    {
        var options = Options(protocols);
        if (OperatingSystem.IsLinux()) options.CipherSuitesPolicy = new CipherSuitesPolicy(suites);
        return options;
    }

    /// <summary>A bare SslStream server with an ECDSA certificate and the platform's defaults (or the given suites).</summary>
    private sealed class ControlServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private ControlServer(SslProtocols protocols, TlsCipherSuite[]? cipherSuites)
        {
            var ca = TestCertificates.Ca();
            var leaf = TestCertificates.Serving(ca);
            var context = SslStreamCertificateContext.Create(leaf, null, offline: true);
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient tcp;
                    try { tcp = await _listener.AcceptTcpClientAsync(_stop.Token); }
                    catch (Exception) { return; }
                    _ = Task.Run(async () =>
                    {
                        using (tcp)
                        await using (var ssl = new SslStream(tcp.GetStream()))
                        {
                            var options = new SslServerAuthenticationOptions
                            {
                                ServerCertificateContext = context,
                                EnabledSslProtocols = protocols,
                            };
                            if (cipherSuites is not null && OperatingSystem.IsLinux())
                                options.CipherSuitesPolicy = new CipherSuitesPolicy(cipherSuites);
                            try { await ssl.AuthenticateAsServerAsync(options, _stop.Token); }
                            catch (Exception) { /* the client sees the failure */ }
                        }
                    });
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static Task<ControlServer> StartAsync(SslProtocols protocols, TlsCipherSuite[]? cipherSuites) =>
            Task.FromResult(new ControlServer(protocols, cipherSuites));

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try { await _loop; } catch (OperationCanceledException) { }
            _stop.Dispose();
        }
    }
}
