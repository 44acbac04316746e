using RwxGuard.Options;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

/// <summary>A certificate setting that cannot work stops the start (WebhookHost.Build) with the key named.</summary>
public sealed class TlsSettingsTests
{
    [Fact]
    public void A_tls_cert_file_that_does_not_exist_names_Server_TlsCertFile()
    {
        using var dir = new TempDirectory();
        var key = dir.File("tls.key");
        File.WriteAllText(key, "");
        var error = Assert.Throws<SettingsException>(() =>
            Build("--tls-cert-file", dir.File("missing.crt"), "--tls-private-key-file", key));
        Assert.Contains(error.Errors, e => e.StartsWith("Server:TlsCertFile:", StringComparison.Ordinal) && e.Contains("missing.crt"));
    }

    [Fact]
    public void A_cert_without_a_key_names_Server_TlsPrivateKeyFile()
    {
        using var dir = new TempDirectory();
        var cert = dir.File("tls.crt");
        CertificateAuthority.WritePem(cert, TestCertificates.Serving(TestCertificates.Ca()));
        var error = Assert.Throws<SettingsException>(() => Build("--tls-cert-file", cert));
        Assert.Contains(error.Errors, e => e.StartsWith("Server:TlsPrivateKeyFile:", StringComparison.Ordinal));
    }

    public enum Unusable { Garbage, KeyOfAnotherCertificate, KeyFileHoldsACertificate }

    [Theory]
    [InlineData(Unusable.Garbage)]
    [InlineData(Unusable.KeyOfAnotherCertificate)]
    [InlineData(Unusable.KeyFileHoldsACertificate)]
    public void A_pair_that_does_not_load_at_start_names_Server_TlsCertFile(Unusable how)
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca();
        var leaf = TestCertificates.Serving(ca);
        var cert = dir.File("tls.crt");
        var key = dir.File("tls.key");
        CertificateAuthority.WritePem(cert, leaf, privateKeyPath: key);
        switch (how)
        {
            case Unusable.Garbage:
                File.WriteAllText(cert, "hello");
                break;
            case Unusable.KeyOfAnotherCertificate:
                File.WriteAllText(key, CertificateAuthority.PrivateKeyPem(TestCertificates.Serving(ca)));
                break;
            case Unusable.KeyFileHoldsACertificate:
                File.WriteAllText(key, CertificateAuthority.CertificatePem(leaf));
                break;
        }
        var error = Assert.Throws<SettingsException>(() => Build("--tls-cert-file", cert, "--tls-private-key-file", key));
        var message = Assert.Single(error.Errors);
        Assert.StartsWith("Server:TlsCertFile:", message);
        Assert.Contains(cert, message);
        Assert.Contains(key, message);
    }

    [Fact]
    public void A_client_CA_file_that_is_missing_or_holds_no_certificate_names_Server_ClientCaFile()
    {
        using var dir = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Server:ClientCaFile"] = dir.File("missing.crt"),
            ["Server:DevelopmentCaFile"] = dir.File("dev-ca.crt"),
        };
        var missing = Assert.Throws<SettingsException>(() => Build(settings));
        Assert.Contains(missing.Errors, e => e.StartsWith("Server:ClientCaFile:", StringComparison.Ordinal));

        File.WriteAllText(dir.File("empty.crt"), "# no certificates here\n");
        settings["Server:ClientCaFile"] = dir.File("empty.crt");
        var empty = Assert.Throws<SettingsException>(() => Build(settings));
        Assert.Contains(empty.Errors, e => e.StartsWith("Server:ClientCaFile:", StringComparison.Ordinal) && e.Contains("no PEM CERTIFICATE"));
    }

    private static WebApplication Build(params string[] args) => Build(null, args);

    private static WebApplication Build(Dictionary<string, string?>? settings, params string[] args) =>
        WebhookHost.Build(["--port", "0", .. args], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cluster:Connection"] = "Offline" });
            if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        });
}
