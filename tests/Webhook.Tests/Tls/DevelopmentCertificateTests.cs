using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using RwxGuard.Platform;
using RwxGuard.Tests.Infrastructure;
using RwxGuard.Tls;

namespace RwxGuard.Tests.Tls;

public sealed class DevelopmentCertificateTests
{
    [Fact]
    public async Task Without_certificate_flags_the_CA_is_written_and_a_client_trusting_only_it_reaches_healthz()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var caFile = dir.File("nested/dev-ca.crt"); // the directory is created
        var logs = new CapturingLoggerProvider();

        await using var webhook = await RunningWebhook.StartAsync(
            settings: new Dictionary<string, string?> { ["Server:DevelopmentCaFile"] = caFile },
            configure: b => b.Logging.AddProvider(logs));

        var pem = await File.ReadAllTextAsync(caFile, ct);
        Assert.DoesNotContain("PRIVATE KEY", pem);
        using var ca = X509Certificate2.CreateFromPem(pem);
        using var client = new HttpClient(RunningWebhook.CreateHandler(webhook.Services, ca))
        {
            BaseAddress = new Uri($"https://localhost:{webhook.BaseAddress.Port}/"), // SNI "localhost"
        };
        var response = await client.GetAsync("/healthz", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains("no --tls-cert-file given: serving a self-signed development certificate", StringComparison.Ordinal)
            && e.Message.Contains($"curl --cacert {caFile} https://localhost:", StringComparison.Ordinal));
        Assert.Equal(ServingCertificateStore.DevelopmentSource, webhook.Services.GetRequiredService<IServingCertificate>().Source);
    }

    [Fact]
    public async Task An_unwritable_CA_path_does_not_stop_the_start_and_the_CA_is_logged_instead()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var aFile = dir.File("a-file");
        await File.WriteAllTextAsync(aFile, "", ct);
        var caFile = Path.Combine(aFile, "dev-ca.crt"); // a directory that cannot be created: like a read-only mount
        var logs = new CapturingLoggerProvider();

        await using var webhook = await RunningWebhook.StartAsync(
            settings: new Dictionary<string, string?> { ["Server:DevelopmentCaFile"] = caFile },
            configure: b => b.Logging.AddProvider(logs));

        Assert.False(File.Exists(caFile));
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(caFile, StringComparison.Ordinal));
        var pem = Regex.Match(warning.Message, "-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", RegexOptions.Singleline);
        Assert.True(pem.Success, warning.Message);
        using var ca = X509Certificate2.CreateFromPem(pem.Value);
        using var client = new HttpClient(RunningWebhook.CreateHandler(webhook.Services, ca)) { BaseAddress = webhook.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", ct)).StatusCode);
    }

    [Fact]
    public void The_development_leaf_is_ECDSA_P256_for_this_machine_short_lived_and_signed_by_the_CA()
    {
        using var dir = new TempDirectory();
        var dev = DevelopmentCertificate.Create(dir.File("ca.crt"), TimeProvider.System);
        var info = ServingCertificateInfo.For(dev.Leaf, 0, DateTimeOffset.UtcNow);

        Assert.Null(dev.CaFileError);
        Assert.Contains("localhost", info.DnsNames);
        Assert.Contains(Dns.GetHostName(), info.DnsNames, StringComparer.OrdinalIgnoreCase);
        Assert.Contains(IPAddress.Loopback, info.IpAddresses);
        Assert.Contains(IPAddress.IPv6Loopback, info.IpAddresses);
        using var key = dev.Leaf.GetECDsaPublicKey();
        Assert.Equal(256, key!.KeySize);
        Assert.InRange(info.NotAfter - DateTimeOffset.UtcNow, TimeSpan.FromDays(29), TimeSpan.FromDays(30));

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(dir.File("ca.crt"))));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(dev.Leaf));
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // per-user %TEMP% there
    public void The_CA_directory_is_created_for_this_user_only()
    {
        using var dir = new TempDirectory();
        var caFile = dir.File("dev/rwx-guard/dev-ca.crt");

        var dev = DevelopmentCertificate.Create(caFile, TimeProvider.System);

        Assert.Null(dev.CaFileError);
        Assert.True(File.Exists(caFile));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("dev/rwx-guard")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("dev"))); // every directory it creates
    }

    [Fact]
    public async Task A_CA_directory_of_another_user_or_a_link_of_another_user_is_refused()
    {
        // On a shared /tmp, whoever made /tmp/rwx-guard first could swap the CA that curl is told to trust.
        using var dir = new TempDirectory();
        string theirs, theirLink;
        if (UnixFiles.EffectiveUserId == 0)
        {
            theirs = dir.File("theirs");
            Directory.CreateDirectory(theirs);
            await ChownAsync("65534", theirs);
            var mine = dir.File("mine");
            Directory.CreateDirectory(mine);
            theirLink = dir.File("their-link");
            File.CreateSymbolicLink(theirLink, mine); // a link of theirs to a directory of mine: they can re-point it
            await ChownAsync("-h", "65534", theirLink);
        }
        else
        {
            theirs = "/"; // root's: this user could not write there anyway, but must be told why
            theirLink = "/proc/self"; // a link root owns
        }

        var inTheirs = DevelopmentCertificate.Create(Path.Combine(theirs, "dev-ca.crt"), TimeProvider.System);
        var throughLink = DevelopmentCertificate.Create(Path.Combine(theirLink, "dev-ca.crt"), TimeProvider.System);

        Assert.Contains($"{theirs} belongs to uid", inTheirs.CaFileError);
        Assert.Contains($"not to this user (uid {UnixFiles.EffectiveUserId})", inTheirs.CaFileError);
        Assert.Contains("set Server:DevelopmentCaFile", inTheirs.CaFileError);
        Assert.False(File.Exists(Path.Combine(theirs, "dev-ca.crt")));
        Assert.Contains($"{theirLink} belongs to uid", throughLink.CaFileError);
        Assert.False(File.Exists(Path.Combine(theirLink, "dev-ca.crt")));
    }

    private static async Task ChownAsync(params string[] args)
    {
        using var chown = System.Diagnostics.Process.Start("chown", args);
        await chown.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, chown.ExitCode);
    }
}
