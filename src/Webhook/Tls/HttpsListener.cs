using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using RwxGuard.Options;

namespace RwxGuard.Tls;

/// <summary>Kestrel listens on one HTTPS port only; the certificate comes from <see cref="IServingCertificate"/>.</summary>
public static class HttpsListener
{
    public static void AddHttpsListener(this WebApplicationBuilder builder, ServerOptions server)
    {
        var certificate = new StaticServingCertificate(server);
        builder.Services.AddSingleton<IServingCertificate>(certificate);
        builder.WebHost.UseUrls(); // ASPNETCORE_URLS must not add a plain-HTTP listener
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes;
            kestrel.ListenAnyIP(server.Port, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificate.Current,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }),
            }));
        });
    }

    private sealed class StaticServingCertificate : IServingCertificate
    {
        public StaticServingCertificate(ServerOptions server)
        {
            X509Certificate2 cert;
            if (!string.IsNullOrEmpty(server.TlsCertFile))
            {
                cert = X509Certificate2.CreateFromPemFile(server.TlsCertFile, server.TlsPrivateKeyFile);
                Source = server.TlsCertFile;
            }
            else
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
                var san = new SubjectAlternativeNameBuilder();
                san.AddDnsName("localhost");
                req.CertificateExtensions.Add(san.Build());
                cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
                Source = "self-signed development certificate";
            }
            Current = SslStreamCertificateContext.Create(cert, null);
            NotAfter = cert.NotAfter;
        }

        public SslStreamCertificateContext? Current { get; }
        public bool IsLoaded => Current is not null;
        public DateTimeOffset? NotAfter { get; }
        public string Source { get; }
    }
}
