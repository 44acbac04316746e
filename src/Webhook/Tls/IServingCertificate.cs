using System.Net.Security;

namespace RwxGuard.Tls;

/// <summary>The current serving certificate, reloaded from disk when the files change.</summary>
public interface IServingCertificate
{
    /// <summary>The context handed to every TLS handshake; null until a certificate is loaded.</summary>
    SslStreamCertificateContext? Current { get; }
    bool IsLoaded { get; }
    /// <summary>When the served leaf expires (UTC): the source of "seconds until the serving certificate expires".</summary>
    DateTimeOffset? NotAfter { get; }
    /// <summary>Where the certificate comes from (file paths, or "self-signed development certificate").</summary>
    string Source { get; }

    // Added with the reloading store. Default bodies keep existing test doubles compiling.

    /// <summary>Successful loads, the first one included: a counter for metrics and for tests waiting on a reload.</summary>
    long LoadCount => IsLoaded ? 1 : 0;
    /// <summary>Reloads that failed and left the previous certificate in place (half-written files, key mismatch).</summary>
    long FailedLoadCount => 0;
    /// <summary>Raised after each successful reload (not for the first load, which happens before anyone listens).</summary>
    event EventHandler<ServingCertificateLoadedEventArgs>? Loaded { add { } remove { } }
}

/// <summary>What a (re)load put in place: the leaf and the values logged for it.</summary>
public sealed class ServingCertificateLoadedEventArgs(ServingCertificateInfo certificate) : EventArgs
{
    public ServingCertificateInfo Certificate { get; } = certificate;
}
