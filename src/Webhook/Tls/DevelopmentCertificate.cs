using System.Net;
using System.Security.Cryptography.X509Certificates;
using RwxGuard.Platform;

namespace RwxGuard.Tls;

/// <summary>
/// What rwx-guard serves when no --tls-cert-file is given: a fresh CA and a leaf for this machine (localhost,
/// 127.0.0.1, ::1, the host name), ECDSA P-256, valid for <see cref="Validity"/>. The CA's certificate (never its key)
/// is written as PEM so that curl and tests can trust it; a read-only file system only costs that file.
/// </summary>
public sealed class DevelopmentCertificate
{
    public static readonly TimeSpan Validity = TimeSpan.FromDays(30);

    /// <summary>/tmp/rwx-guard/dev-ca.crt (Path.GetTempPath()).</summary>
    public static string DefaultCaFile => Path.Combine(Path.GetTempPath(), "rwx-guard", "dev-ca.crt");

    private DevelopmentCertificate(X509Certificate2 ca, X509Certificate2 leaf, string caFile, string? caFileError)
    {
        Ca = ca;
        Leaf = leaf;
        CaFile = caFile;
        CaFileError = caFileError;
    }

    /// <summary>The CA, with its private key (in memory only).</summary>
    public X509Certificate2 Ca { get; }
    /// <summary>The serving leaf, with its private key.</summary>
    public X509Certificate2 Leaf { get; }
    /// <summary>Where the CA PEM was meant to go.</summary>
    public string CaFile { get; }
    /// <summary>Why the CA PEM could not be written, or null when it was.</summary>
    public string? CaFileError { get; }
    public string CaPem => CertificateAuthority.CertificatePem(Ca);

    /// <summary>The names the leaf is valid for.</summary>
    public static IReadOnlyList<string> DnsNames()
    {
        var names = new List<string> { "localhost" };
        try
        {
            var host = Dns.GetHostName();
            if (!string.IsNullOrWhiteSpace(host) && Uri.CheckHostName(host) == UriHostNameType.Dns
                && !names.Contains(host, StringComparer.OrdinalIgnoreCase))
                names.Add(host);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // no host name: localhost will do
        }
        return names;
    }

    public static DevelopmentCertificate Create(string? caFile, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var notBefore = now.AddMinutes(-5); // clock skew between this host and a client
        var ca = CertificateAuthority.CreateCa("rwx-guard development CA", notBefore, now + Validity);
        var leaf = CertificateAuthority.IssueServing(ca, DnsNames(), [IPAddress.Loopback, IPAddress.IPv6Loopback],
            notBefore, now + Validity);

        var path = string.IsNullOrEmpty(caFile) ? DefaultCaFile : caFile;
        string? error = null;
        try
        {
            PrepareDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            CertificateAuthority.WritePem(path, ca);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            error = e.Message;
        }
        return new DevelopmentCertificate(ca, leaf, path, error);
    }

    /// <summary>
    /// Whoever owns the directory can replace the CA file that curl and tests are told to trust, and the default one is
    /// on a shared /tmp: it is created for this user only (0700), and an existing one must belong to this user (the
    /// link and what it points to), or the CA is not written there.
    /// </summary>
    private static void PrepareDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory); // per-user %TEMP%
            return;
        }
        // Directory.CreateDirectory(path, mode) gives the mode to the last directory only: create each missing one.
        var missing = new Stack<string>();
        for (var d = directory; !Directory.Exists(d); d = Path.GetDirectoryName(d)!) missing.Push(d);
        while (missing.TryPop(out var d))
            Directory.CreateDirectory(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var me = UnixFiles.EffectiveUserId;
        foreach (var followLinks in new[] { false, true })
        {
            var owner = UnixFiles.Status(directory, followLinks).OwnerId;
            if (owner >= 0 && owner != me)
                throw new UnauthorizedAccessException($"{directory} belongs to uid {owner}, not to this user (uid {me}), who " +
                    "could replace the CA there; set Server:DevelopmentCaFile to a file in a directory of your own");
        }
    }
}
