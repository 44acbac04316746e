using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using RwxGuard.Options;

namespace RwxGuard.Tls;

/// <summary>
/// Kestrel listens on one HTTPS port only (Server:Port). Every handshake asks <see cref="ServingCertificateStore"/>
/// for the current certificate context, so a rotated Secret is served without a restart. TLS 1.2 and 1.3 only, modern
/// AEAD suites, ALPN h2 and http/1.1, optional client certificates (Server:ClientCaFile).
/// </summary>
public static class HttpsListener
{
    /// <summary>Kestrel closes a connection whose request headers take longer than this (slow-loris).</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);
    /// <summary>A TLS handshake that takes longer than this is dropped.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// TLS 1.3's suites (all AEAD) and, for TLS 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305 only: what Go's
    /// crypto/tls and Mozilla's "intermediate" profile offer. No CBC, no RSA key exchange, no SHA-1 MACs. Linux only
    /// (OpenSSL); elsewhere the platform's defaults apply.
    /// </summary>
    public static readonly IReadOnlyList<TlsCipherSuite> CipherSuites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    private static readonly CipherSuitesPolicy? ModernCipherSuites =
        OperatingSystem.IsLinux() ? new CipherSuitesPolicy(CipherSuites) : null;

    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary>Loads the certificate (a bad pair throws <see cref="SettingsException"/>) and configures Kestrel.</summary>
    public static void AddHttpsListener(this WebApplicationBuilder builder, ServerOptions server)
    {
        var store = ServingCertificateStore.Create(server);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IServingCertificate>(store);
        builder.Services.AddHostedService(services =>
            new ServingCertificateWatcher(store, services.GetRequiredService<ILoggerFactory>()));

        builder.WebHost.UseUrls(); // ASPNETCORE_URLS must not add a plain-HTTP listener
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes;
            // Slow clients: headers within 10 s; bodies keep Kestrel's minimum rate (240 B/s after a 5 s grace).
            kestrel.Limits.RequestHeadersTimeout = RequestHeadersTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            kestrel.ListenAnyIP(server.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => context => DropNonTlsClientsQuietly(next, context, listen));
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = context =>
                    {
                        context.Connection.Items[ClientHelloSeen] = true;
                        return ValueTask.FromResult(CreateServerOptions(store));
                    },
                    HandshakeTimeout = HandshakeTimeout,
                });
            });
        });
    }

    private const string ClientHelloSeen = "RwxGuard.Tls.ClientHelloSeen";

    /// <summary>
    /// SslStream calls the handshake callback only once it has parsed a ClientHello. When the first record is anything
    /// else (plain HTTP, an alert, a port scanner's junk) it looks for a certificate it was never given and throws
    /// NotSupportedException, which Kestrel logs as an unhandled error with a stack trace. Such a connection is simply
    /// not TLS: close it and say so at Debug.
    /// </summary>
    private static async Task DropNonTlsClientsQuietly(ConnectionDelegate next, ConnectionContext context, ListenOptions listen)
    {
        try
        {
            await next(context);
        }
        catch (NotSupportedException e) when (!context.Items.ContainsKey(ClientHelloSeen))
        {
            listen.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger("RwxGuard.Tls.ServingCertificate")
                .LogDebug("connection {ConnectionId} from {RemoteEndPoint} closed: its first TLS record was not a ClientHello ({Error})",
                    context.ConnectionId, context.RemoteEndPoint, e.Message);
        }
    }

    /// <summary>The options of one handshake: the newest certificate context, the protocol and cipher policy.</summary>
    public static SslServerAuthenticationOptions CreateServerOptions(ServingCertificateStore store)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = store.Current
                ?? throw new InvalidOperationException("no serving certificate loaded"),
            EnabledSslProtocols = Protocols,
            ApplicationProtocols = Alpn,
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificateRequired = store.RequiresClientCertificate,
        };
        if (store.RequiresClientCertificate)
            options.RemoteCertificateValidationCallback = store.ValidateClientCertificate;
        if (OperatingSystem.IsLinux())
            options.CipherSuitesPolicy = ModernCipherSuites;
        return options;
    }
}

/// <summary>Logs the loaded certificate at start and watches its files while the host runs.</summary>
internal sealed class ServingCertificateWatcher(ServingCertificateStore store, ILoggerFactory loggers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.Start(loggers.CreateLogger("RwxGuard.Tls.ServingCertificate"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        store.Stop();
        return Task.CompletedTask;
    }
}
