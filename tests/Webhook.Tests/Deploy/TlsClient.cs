using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// What the API server does when it calls the webhook: connect to an address, send the Service's DNS name as SNI and
/// verify the served chain against caBundle only (no system roots) and the name against the certificate.
/// </summary>
public static class TlsClient
{
    public const string ServiceHost = "rwx-guard.rwx-guard.svc";

    public static X509Certificate2Collection LoadPem(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        Assert.NotEmpty(collection);
        return collection;
    }

    /// <summary>Chain to one of <paramref name="anchors"/> and nothing else.</summary>
    public static bool Verifies(X509Certificate2 leaf, X509Certificate2Collection anchors)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        return chain.Build(leaf);
    }

    public sealed record Response(int Status, string Body, X509Certificate2 ServerCertificate);

    /// <summary>GET over HTTPS/1.1 to 127.0.0.1:port with SNI <paramref name="host"/>; throws if the handshake is refused.</summary>
    public static async Task<Response> GetAsync(int port, string path, X509Certificate2Collection anchors, string host = ServiceHost,
        CancellationToken cancellationToken = default)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        X509Certificate2? served = null;
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                served = new X509Certificate2(certificate);
                // Name checked by .NET against TargetHost; chain checked here against the given anchors only.
                if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                    return false;
                return Verifies(served, anchors);
            },
        }, cancellationToken);

        var request = $"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n";
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
        await ssl.FlushAsync(cancellationToken);
        using var reader = new StreamReader(ssl, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var statusLine = text.Split("\r\n", 2)[0];
        var status = int.Parse(statusLine.Split(' ')[1]);
        var body = text.Contains("\r\n\r\n") ? text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..] : "";
        return new Response(status, body, served!);
    }
}
