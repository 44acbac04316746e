using System.Net.Security;

namespace RwxGuard.Tls;

/// <summary>The current serving certificate, reloaded from disk when the files change.</summary>
public interface IServingCertificate
{
    /// <summary>The context handed to every TLS handshake; null until a certificate is loaded.</summary>
    SslStreamCertificateContext? Current { get; }
    bool IsLoaded { get; }
    DateTimeOffset? NotAfter { get; }
    /// <summary>Where the certificate comes from (file paths, or "self-signed development certificate").</summary>
    string Source { get; }
}
