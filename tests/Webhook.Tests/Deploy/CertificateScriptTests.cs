using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Deploy;

/// <summary>certs/gen-certs.sh output served by the real server, checked the way the API server checks it.</summary>
public sealed class CertificateScriptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<RunningWebhook> ServeAsync(string dir) => RunningWebhook.StartAsync(
    [
        "--tls-cert-file", Path.Combine(dir, "tls.crt"),
        "--tls-private-key-file", Path.Combine(dir, "tls.key"),
    ]);

    private static X509Certificate2 Leaf(string dir) => Assert.Single(TlsClient.LoadPem(Path.Combine(dir, "tls.crt")));

    [Fact]
    public async Task Server_with_the_generated_pair_passes_the_API_servers_TLS_check()
    {
        using var tmp = new TempDir("certs");
        var dir = tmp.Path("out");
        await GenCerts.RunAsync("--out-dir", dir);
        foreach (var file in new[] { "ca.crt", "ca.key", "tls.crt", "tls.key", "ca-bundle.crt", "kustomization.yaml" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"gen-certs.sh did not write {file}");
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "ca.crt")), File.ReadAllText(Path.Combine(dir, "ca-bundle.crt")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "tls.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "ca.key")));
        }

        using var leaf = Leaf(dir);
        foreach (var name in new[] { "rwx-guard", "rwx-guard.rwx-guard", "rwx-guard.rwx-guard.svc", "rwx-guard.rwx-guard.svc.cluster.local" })
            Assert.True(leaf.MatchesHostname(name), $"tls.crt is not valid for {name}");
        Assert.False(leaf.MatchesHostname("rwx-guard.other.svc"));
        Assert.Contains(leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(),
            oid => oid.Value == "1.3.6.1.5.5.7.3.1"); // serverAuth
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);

        await using var webhook = await ServeAsync(dir);
        var response = await TlsClient.GetAsync(webhook.BaseAddress.Port, "/healthz", TlsClient.LoadPem(Path.Combine(dir, "ca-bundle.crt")),
            cancellationToken: Ct);
        Assert.Equal(200, response.Status);
        Assert.Equal(leaf.Thumbprint, response.ServerCertificate.Thumbprint);

        // The same server is refused by a client that trusts another CA, and under a name the certificate lacks.
        using var other = new TempDir("other-ca");
        await GenCerts.RunAsync("--out-dir", other.FullName);
        await Assert.ThrowsAnyAsync<AuthenticationException>(() =>
            TlsClient.GetAsync(webhook.BaseAddress.Port, "/healthz", TlsClient.LoadPem(other.Path("ca.crt")), cancellationToken: Ct));
        await Assert.ThrowsAnyAsync<AuthenticationException>(() =>
            TlsClient.GetAsync(webhook.BaseAddress.Port, "/healthz", TlsClient.LoadPem(Path.Combine(dir, "ca.crt")),
                host: "rwx-guard.elsewhere.svc", cancellationToken: Ct));
    }

    [Fact]
    public async Task Create_is_idempotent_and_honours_service_and_namespace()
    {
        using var tmp = new TempDir("certs");
        string[] args = ["create", "--out-dir", tmp.FullName, "--service", "guard", "--namespace", "ops", "--days", "30", "--renew-days", "7"];
        await GenCerts.RunAsync(args);
        var first = Directory.GetFiles(tmp.FullName).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        await GenCerts.RunAsync(args);
        var second = Directory.GetFiles(tmp.FullName).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (name, bytes) in first) Assert.True(bytes.AsSpan().SequenceEqual(second[name]), $"{name} changed on a second run");

        using var leaf = Leaf(tmp.FullName);
        Assert.True(leaf.MatchesHostname("guard.ops.svc"));
        Assert.True(leaf.MatchesHostname("guard.ops.svc.cluster.local"));
        Assert.InRange((leaf.NotAfter - leaf.NotBefore).TotalDays, 29, 31);

        // Asking for other names replaces the serving pair but keeps the CA.
        await GenCerts.RunAsync("--out-dir", tmp.FullName, "--service", "guard", "--namespace", "ops2");
        using var renamed = Leaf(tmp.FullName);
        Assert.True(renamed.MatchesHostname("guard.ops2.svc"));
        Assert.Equal(first["ca.crt"], File.ReadAllBytes(tmp.Path("ca.crt")));
    }

    [Fact]
    public async Task Rotation_with_a_new_CA_keeps_both_CAs_trusted_during_the_overlap()
    {
        using var tmp = new TempDir("rotate");
        var dir = tmp.FullName;
        await GenCerts.RunAsync("--out-dir", dir);
        var oldCa = TlsClient.LoadPem(tmp.Path("ca.crt"));
        using var oldLeaf = Leaf(dir);
        using var oldDir = new TempDir("old-pair");
        foreach (var f in new[] { "tls.crt", "tls.key" }) File.Copy(tmp.Path(f), oldDir.Path(f));

        await GenCerts.RunAsync("rotate", "--new-ca", "--out-dir", dir);
        var newCa = TlsClient.LoadPem(tmp.Path("ca.crt"));
        using var newLeaf = Leaf(dir);
        var bundle = TlsClient.LoadPem(tmp.Path("ca-bundle.crt"));

        Assert.NotEqual(oldCa[0].Thumbprint, newCa[0].Thumbprint);
        Assert.NotEqual(oldLeaf.Thumbprint, newLeaf.Thumbprint);
        Assert.Equal([newCa[0].Thumbprint, oldCa[0].Thumbprint], bundle.Select(c => c.Thumbprint));
        // Old CA alone: old leaf yes, new leaf no (the CA really changed). Bundle: both.
        Assert.True(TlsClient.Verifies(oldLeaf, oldCa));
        Assert.False(TlsClient.Verifies(newLeaf, oldCa));
        Assert.True(TlsClient.Verifies(newLeaf, bundle));
        Assert.True(TlsClient.Verifies(oldLeaf, bundle));

        // During the rollout some pods still serve the old pair, some the new: the bundle accepts both.
        await using (var oldServer = await ServeAsync(oldDir.FullName))
        await using (var newServer = await ServeAsync(dir))
        {
            Assert.Equal(200, (await TlsClient.GetAsync(oldServer.BaseAddress.Port, "/healthz", bundle, cancellationToken: Ct)).Status);
            Assert.Equal(200, (await TlsClient.GetAsync(newServer.BaseAddress.Port, "/healthz", bundle, cancellationToken: Ct)).Status);
            Assert.Equal(200, (await TlsClient.GetAsync(oldServer.BaseAddress.Port, "/healthz", oldCa, cancellationToken: Ct)).Status);
            await Assert.ThrowsAnyAsync<AuthenticationException>(() =>
                TlsClient.GetAsync(newServer.BaseAddress.Port, "/healthz", oldCa, cancellationToken: Ct));
        }

        // create during the overlap changes nothing; finish-rotation drops the old CA.
        var before = File.ReadAllBytes(tmp.Path("ca-bundle.crt"));
        await GenCerts.RunAsync("--out-dir", dir);
        Assert.Equal(before, File.ReadAllBytes(tmp.Path("ca-bundle.crt")));
        await GenCerts.RunAsync("finish-rotation", "--out-dir", dir);
        var finished = TlsClient.LoadPem(tmp.Path("ca-bundle.crt"));
        Assert.Equal([newCa[0].Thumbprint], finished.Select(c => c.Thumbprint));
        Assert.False(File.Exists(tmp.Path("ca-previous.crt")));
        Assert.False(TlsClient.Verifies(oldLeaf, finished));
        Assert.True(TlsClient.Verifies(newLeaf, finished));
    }

    [Fact]
    public async Task Rotation_without_a_new_CA_reissues_the_leaf_under_the_same_CA()
    {
        using var tmp = new TempDir("rotate-leaf");
        await GenCerts.RunAsync("--out-dir", tmp.FullName);
        var ca = File.ReadAllBytes(tmp.Path("ca.crt"));
        var bundle = File.ReadAllBytes(tmp.Path("ca-bundle.crt"));
        using var before = Leaf(tmp.FullName);
        await GenCerts.RunAsync("rotate", "--out-dir", tmp.FullName);
        using var after = Leaf(tmp.FullName);
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.NotEqual(before.GetPublicKeyString(), after.GetPublicKeyString());
        Assert.Equal(ca, File.ReadAllBytes(tmp.Path("ca.crt")));
        Assert.Equal(bundle, File.ReadAllBytes(tmp.Path("ca-bundle.crt")));
        Assert.True(TlsClient.Verifies(after, TlsClient.LoadPem(tmp.Path("ca-bundle.crt"))));
    }

    [Fact]
    public async Task Script_rejects_bad_input_with_usage()
    {
        foreach (var args in new[] { new[] { "bogus" }, ["--service"], ["create", "--new-ca"], ["--days", "0"], ["--namespace", "Bad_NS"] })
        {
            var result = await Proc.RunAsync("bash", [Repo.GenCerts, .. args, "--out-dir", Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid())]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("gen-certs:", result.StdErr);
        }
        var help = await Proc.RunCheckedAsync("bash", [Repo.GenCerts, "--help"]);
        Assert.Contains("Usage: certs/gen-certs.sh", help.StdOut);
        Assert.Contains("rotate", help.StdOut);
    }
}
