using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

public sealed class CertificateAuthorityTests
{
    [Theory]
    [InlineData(CertificateKeyType.EcdsaP256, CertificateKeyType.EcdsaP256)]
    [InlineData(CertificateKeyType.Rsa2048, CertificateKeyType.EcdsaP256)]
    [InlineData(CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048)]
    public void A_serving_certificate_chains_to_its_CA_for_server_auth_with_the_requested_names(
        CertificateKeyType caKey, CertificateKeyType leafKey)
    {
        var ca = TestCertificates.Ca(keyType: caKey);
        var leaf = CertificateAuthority.IssueServing(ca, ["rwx-guard.rwx-guard.svc", "rwx-guard.rwx-guard.svc.cluster.local"],
            [IPAddress.Parse("10.0.0.7")], DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), leafKey);

        Assert.True(leaf.HasPrivateKey);
        Assert.Equal("CN=rwx-guard.rwx-guard.svc", leaf.Subject);
        var info = ServingCertificateInfo.For(leaf, 0, DateTimeOffset.UtcNow);
        Assert.Equal(["rwx-guard.rwx-guard.svc", "rwx-guard.rwx-guard.svc.cluster.local"], info.DnsNames);
        Assert.Equal([IPAddress.Parse("10.0.0.7")], info.IpAddresses);
        Assert.True(Chains(leaf, ca, "1.3.6.1.5.5.7.3.1"));
        Assert.False(Chains(leaf, ca, "1.3.6.1.5.5.7.3.2"));
        Assert.False(Chains(leaf, TestCertificates.Ca("unrelated"), "1.3.6.1.5.5.7.3.1"));
    }

    [Fact]
    public void A_client_certificate_is_for_client_auth_with_user_and_groups_in_the_subject()
    {
        var ca = TestCertificates.Ca();
        var client = CertificateAuthority.IssueClient(ca, "kube-apiserver", DateTimeOffset.UtcNow.AddMinutes(-1),
            DateTimeOffset.UtcNow.AddDays(1), ["system:masters"]);
        Assert.Contains("CN=kube-apiserver", client.Subject);
        Assert.Contains("O=system:masters", client.Subject);
        Assert.True(Chains(client, ca, "1.3.6.1.5.5.7.3.2"));
        Assert.False(Chains(client, ca, "1.3.6.1.5.5.7.3.1"));
    }

    [Fact]
    public void A_leaf_cannot_outlive_its_CA()
    {
        var ca = TestCertificates.Ca();
        Assert.Throws<ArgumentException>(() => CertificateAuthority.IssueServing(ca, ["localhost"], [],
            DateTimeOffset.UtcNow, ca.NotAfter.ToUniversalTime().AddDays(1)));
    }

    [Fact]
    public void WritePem_round_trips_through_CreateFromPemFile_and_keeps_the_key_private()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var leaf = TestCertificates.Serving(ca);
        CertificateAuthority.WritePem(dir.File("sub/tls.crt"), leaf, [ca], dir.File("sub/tls.key"));

        using var loaded = X509Certificate2.CreateFromPemFile(dir.File("sub/tls.crt"), dir.File("sub/tls.key"));
        Assert.Equal(leaf.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(dir.File("sub/tls.crt"));
        Assert.Equal([leaf.Thumbprint, ca.Thumbprint], all.Select(c => c.Thumbprint));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("sub/tls.key")));
        Assert.Empty(Directory.GetFiles(dir.File("sub"), "*.tmp"));
    }

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 root, string usage)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        return chain.Build(leaf);
    }
}
