using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RwxGuard.Tls;

/// <summary>The served leaf and what is logged about it: never key material.</summary>
public sealed record ServingCertificateInfo(
    X509Certificate2 Leaf,
    int IntermediateCount,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<IPAddress> IpAddresses,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Sha256Fingerprint,
    DateTimeOffset LoadedAt)
{
    public string Subject => Leaf.Subject;
    public string Issuer => Leaf.Issuer;

    /// <summary>"DNS:a, IP:1.2.3.4", like openssl's subjectAltName output.</summary>
    public string SubjectAlternativeNames =>
        string.Join(", ", DnsNames.Select(d => "DNS:" + d).Concat(IpAddresses.Select(i => "IP:" + i)));

    public static ServingCertificateInfo For(X509Certificate2 leaf, int intermediateCount, DateTimeOffset loadedAt)
    {
        var raw = leaf.Extensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
        var san = raw is null ? null : new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);
        return new ServingCertificateInfo(
            leaf,
            intermediateCount,
            san?.EnumerateDnsNames().ToList() ?? [],
            san?.EnumerateIPAddresses().ToList() ?? [],
            Utc(leaf.NotBefore),
            Utc(leaf.NotAfter),
            Fingerprint(leaf),
            loadedAt);
    }

    /// <summary>SHA-256 over the DER, colon-separated like <c>openssl x509 -noout -fingerprint -sha256</c>.</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));

    private static DateTimeOffset Utc(DateTime local) => new(local.ToUniversalTime(), TimeSpan.Zero);
}
