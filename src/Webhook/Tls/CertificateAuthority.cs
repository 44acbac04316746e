using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RwxGuard.Tls;

/// <summary>Key algorithm of a minted certificate.</summary>
public enum CertificateKeyType
{
    /// <summary>ECDSA on NIST P-256 (the default: small, fast, accepted by every Kubernetes client).</summary>
    EcdsaP256,
    /// <summary>RSA 2048.</summary>
    Rsa2048,
}

/// <summary>PEM encoding of a private key.</summary>
public enum PrivateKeyPemFormat
{
    /// <summary>"BEGIN PRIVATE KEY" (PKCS#8), what cert-manager and openssl 3 write by default.</summary>
    Pkcs8,
    /// <summary>The algorithm-specific form: "BEGIN RSA PRIVATE KEY" (PKCS#1) or "BEGIN EC PRIVATE KEY" (SEC1).</summary>
    Traditional,
}

/// <summary>
/// Mints the certificates rwx-guard needs: a CA, serving certificates (leaf with SANs, serverAuth), client certificates
/// (clientAuth, for the API server's client-certificate option) and intermediates; writes them as PEM. Used for the
/// development certificate, by tests and by the certs/ scripts. Every certificate returned carries its private key.
/// </summary>
public static class CertificateAuthority
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed CA certificate (basicConstraints CA:true, keyCertSign).</summary>
    public static X509Certificate2 CreateCa(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter,
        CertificateKeyType keyType = CertificateKeyType.EcdsaP256)
    {
        using var key = CreateKey(keyType);
        var request = CreateRequest(Subject(commonName), key);
        AddCaExtensions(request);
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>An intermediate CA signed by <paramref name="issuer"/> (which must carry its private key).</summary>
    public static X509Certificate2 IssueIntermediate(X509Certificate2 issuer, string commonName, DateTimeOffset notBefore,
        DateTimeOffset notAfter, CertificateKeyType keyType = CertificateKeyType.EcdsaP256)
    {
        using var key = CreateKey(keyType);
        var request = CreateRequest(Subject(commonName), key);
        AddCaExtensions(request);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        return Sign(request, issuer, key, notBefore, notAfter);
    }

    /// <summary>
    /// A serving certificate: subject CN = the first DNS name (or IP), every name and address in subjectAltName (Go
    /// clients such as the API server ignore the CN), extendedKeyUsage serverAuth. <paramref name="notAfter"/> must
    /// not be later than the CA's.
    /// </summary>
    public static X509Certificate2 IssueServing(X509Certificate2 ca, IEnumerable<string> dnsNames,
        IEnumerable<IPAddress> ipAddresses, DateTimeOffset notBefore, DateTimeOffset notAfter,
        CertificateKeyType keyType = CertificateKeyType.EcdsaP256)
    {
        var dns = dnsNames.ToList();
        var ips = ipAddresses.ToList();
        if (dns.Count == 0 && ips.Count == 0)
            throw new ArgumentException("a serving certificate needs at least one DNS name or IP address", nameof(dnsNames));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dns) san.AddDnsName(name);
        foreach (var ip in ips) san.AddIpAddress(ip);

        using var key = CreateKey(keyType);
        var request = CreateRequest(Subject(dns.Count > 0 ? dns[0] : ips[0].ToString()), key);
        AddLeafExtensions(request, key, ServerAuthOid);
        request.CertificateExtensions.Add(san.Build(critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        return Sign(request, ca, key, notBefore, notAfter);
    }

    /// <summary>
    /// A client certificate (extendedKeyUsage clientAuth): CN is the user name, O the groups, as Kubernetes reads them.
    /// </summary>
    public static X509Certificate2 IssueClient(X509Certificate2 ca, string commonName, DateTimeOffset notBefore,
        DateTimeOffset notAfter, IEnumerable<string>? organizations = null,
        CertificateKeyType keyType = CertificateKeyType.EcdsaP256)
    {
        var subject = new X500DistinguishedNameBuilder();
        foreach (var organization in organizations ?? []) subject.AddOrganizationName(organization);
        subject.AddCommonName(commonName);
        using var key = CreateKey(keyType);
        var request = CreateRequest(subject.Build(), key);
        AddLeafExtensions(request, key, ClientAuthOid);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        return Sign(request, ca, key, notBefore, notAfter);
    }

    /// <summary>The certificate as PEM, followed by <paramref name="chain"/> (intermediates, leaf first).</summary>
    public static string CertificatePem(X509Certificate2 certificate, IEnumerable<X509Certificate2>? chain = null)
    {
        var pem = new StringBuilder();
        foreach (var cert in new[] { certificate }.Concat(chain ?? []))
            pem.Append(cert.ExportCertificatePem()).Append('\n');
        return pem.ToString();
    }

    /// <summary>The certificate's private key as PEM.</summary>
    public static string PrivateKeyPem(X509Certificate2 certificate, PrivateKeyPemFormat format = PrivateKeyPemFormat.Pkcs8)
    {
        if (certificate.GetECDsaPrivateKey() is { } ec)
            using (ec)
                return (format == PrivateKeyPemFormat.Pkcs8 ? ec.ExportPkcs8PrivateKeyPem() : ec.ExportECPrivateKeyPem()) + "\n";
        if (certificate.GetRSAPrivateKey() is { } rsa)
            using (rsa)
                return (format == PrivateKeyPemFormat.Pkcs8 ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportRSAPrivateKeyPem()) + "\n";
        throw new ArgumentException($"certificate {certificate.Subject} carries no ECDSA or RSA private key", nameof(certificate));
    }

    /// <summary>
    /// Writes the certificate (plus <paramref name="chain"/>) to <paramref name="certificatePath"/> and, when
    /// <paramref name="privateKeyPath"/> is given, its private key (mode 0600 on Unix). Each file is written to a
    /// temporary name and renamed into place, so a reader never sees half a file. Directories are created.
    /// </summary>
    public static void WritePem(string certificatePath, X509Certificate2 certificate,
        IEnumerable<X509Certificate2>? chain = null, string? privateKeyPath = null,
        PrivateKeyPemFormat format = PrivateKeyPemFormat.Pkcs8)
    {
        WriteAtomically(certificatePath, CertificatePem(certificate, chain), privateFile: false);
        if (privateKeyPath is not null)
            WriteAtomically(privateKeyPath, PrivateKeyPem(certificate, format), privateFile: true);
    }

    private static void WriteAtomically(string path, string content, bool privateFile)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = privateFile
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
                writer.Write(content);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static DateTimeOffset WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static X500DistinguishedName Subject(string commonName)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        return subject.Build();
    }

    private static AsymmetricAlgorithm CreateKey(CertificateKeyType keyType) => keyType switch
    {
        CertificateKeyType.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        CertificateKeyType.Rsa2048 => RSA.Create(2048),
        _ => throw new ArgumentOutOfRangeException(nameof(keyType), keyType, null),
    };

    private static CertificateRequest CreateRequest(X500DistinguishedName subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("unsupported key", nameof(key)),
    };

    private static void AddCaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForCertificateAuthority());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
    }

    private static void AddLeafExtensions(CertificateRequest request, AsymmetricAlgorithm key, string extendedKeyUsage)
    {
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(critical: true));
        var usage = X509KeyUsageFlags.DigitalSignature | (key is RSA ? X509KeyUsageFlags.KeyEncipherment : 0);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
    }

    private static X509Certificate2 Sign(CertificateRequest request, X509Certificate2 issuer, AsymmetricAlgorithm key,
        DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (!issuer.HasPrivateKey)
            throw new ArgumentException($"issuer {issuer.Subject} carries no private key", nameof(issuer));
        // X.509 times have whole seconds.
        notBefore = WholeSeconds(notBefore);
        notAfter = WholeSeconds(notAfter);
        if (notAfter > issuer.NotAfter.ToUniversalTime() || notBefore < issuer.NotBefore.ToUniversalTime())
            throw new ArgumentException(
                $"validity {notBefore:u}..{notAfter:u} lies outside the issuer's {issuer.NotBefore.ToUniversalTime():u}..{issuer.NotAfter.ToUniversalTime():u}");
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        // A generator for the issuer's key: an RSA CA may sign an ECDSA leaf and the other way round.
        using var issuerEc = issuer.GetECDsaPrivateKey();
        using var issuerRsa = issuerEc is null ? issuer.GetRSAPrivateKey() : null;
        var generator = issuerEc is not null ? X509SignatureGenerator.CreateForECDsa(issuerEc)
            : issuerRsa is not null ? X509SignatureGenerator.CreateForRSA(issuerRsa, RSASignaturePadding.Pkcs1)
            : throw new ArgumentException($"issuer {issuer.Subject} has neither an ECDSA nor an RSA private key", nameof(issuer));
        using var signed = request.Create(issuer.SubjectName, generator, notBefore, notAfter, serial);
        return key switch
        {
            ECDsa ec => signed.CopyWithPrivateKey(ec),
            RSA rsa => signed.CopyWithPrivateKey(rsa),
            _ => throw new ArgumentException("unsupported key", nameof(key)),
        };
    }
}
