using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace RwxGuard.Tests.Deploy;

/// <summary>What each way of providing the serving certificate adds on top of the base.</summary>
public sealed class OverlayTests
{
    private const string InjectCa = "cert-manager.io/inject-ca-from";

    private static string TlsSecretName(Rendered r) => (string)ManifestInvariantTests.Volume(r, "tls")["secret"]!["secretName"]!;

    private static IEnumerable<string> ServiceNames(Rendered r)
    {
        var service = r.Single("Service", "rwx-guard");
        var (name, ns) = (Rendered.Name(service), Rendered.Namespace(service));
        return [name, $"{name}.{ns}", $"{name}.{ns}.svc", $"{name}.{ns}.svc.cluster.local"];
    }

    [Fact]
    public async Task Base_alone_brings_no_certificate_so_you_can_bring_your_own()
    {
        var r = await Renderer.RenderAsync("base");
        Assert.Null(r.Find("Secret", TlsSecretName(r)));
        Assert.DoesNotContain(r.Objects, o => ((string?)o["apiVersion"])?.StartsWith("cert-manager.io/", StringComparison.Ordinal) == true);
        foreach (var webhook in ManifestInvariantTests.AllWebhooks(r))
            Assert.Null(webhook["clientConfig"]!["caBundle"]);
    }

    [Fact]
    public async Task CertManager_overlay_injects_the_CA_of_the_certificate_the_pods_mount()
    {
        var r = await Renderer.RenderAsync("overlays/cert-manager");
        foreach (var configuration in new[] { r.Validating, r.Mutating })
        {
            var reference = (string?)configuration["metadata"]!["annotations"]?[InjectCa];
            Assert.True(reference is not null, $"{configuration["kind"]}: no {InjectCa} annotation");
            var parts = reference!.Split('/');
            Assert.Equal(2, parts.Length);
            var certificate = r.Find("Certificate", parts[1], parts[0]);
            Assert.True(certificate is not null, $"{InjectCa}: {reference} names no rendered Certificate");
            // The serving Certificate: its Secret is what the Deployment mounts.
            Assert.Equal(TlsSecretName(r), (string?)certificate!["spec"]!["secretName"]);
            Assert.Equal(r.WorkloadNamespace, parts[0]);
            foreach (var webhook in configuration["webhooks"]!.AsArray())
                Assert.Null(webhook!["clientConfig"]!["caBundle"]); // cainjector owns it
        }
    }

    [Fact]
    public async Task CertManager_serving_certificate_is_for_the_service_and_chains_to_a_private_CA()
    {
        var r = await Renderer.RenderAsync("overlays/cert-manager");
        var serving = r.OfKind("Certificate").Single(c => (string?)c["spec"]!["secretName"] == TlsSecretName(r));
        var dnsNames = K8s.Strings(serving["spec"]!["dnsNames"]);
        foreach (var name in ServiceNames(r)) Assert.Contains(name, dnsNames);
        Assert.Contains("server auth", K8s.Strings(serving["spec"]!["usages"]));
        Assert.NotEqual(true, (bool?)serving["spec"]!["isCA"]);

        // serving → CA Issuer → CA Certificate (isCA) → self-signed Issuer
        var caIssuer = IssuerOf(r, serving);
        var caSecret = (string?)caIssuer["spec"]!["ca"]?["secretName"];
        Assert.True(caSecret is not null, $"Issuer {Rendered.Name(caIssuer)} must be a CA issuer");
        var ca = r.OfKind("Certificate").Single(c => (string?)c["spec"]!["secretName"] == caSecret);
        Assert.True((bool?)ca["spec"]!["isCA"] == true, "the CA Certificate must have isCA: true");
        // Renewing the CA keeps its key, so leaves issued before the renewal keep verifying (no caBundle gap).
        Assert.Equal("Never", (string?)ca["spec"]!["privateKey"]?["rotationPolicy"]);
        Assert.NotNull(IssuerOf(r, ca)["spec"]!["selfSigned"]);
    }

    private static JsonObject IssuerOf(Rendered r, JsonObject certificate)
    {
        var issuerRef = certificate["spec"]!["issuerRef"]!;
        Assert.Equal("Issuer", (string?)issuerRef["kind"] ?? "Issuer");
        var issuer = r.Find("Issuer", (string)issuerRef["name"]!, Rendered.Namespace(certificate));
        Assert.True(issuer is not null, $"Certificate {Rendered.Name(certificate)}: Issuer {issuerRef["name"]} is not rendered");
        return issuer!;
    }

    [Fact]
    public async Task SelfManaged_overlay_carries_the_generated_bundle_and_serving_pair()
    {
        var r = await Renderer.RenderAsync("overlays/self-managed");
        var bundle = r.CertFiles["ca-bundle.crt"];
        Assert.NotEmpty(bundle);
        foreach (var webhook in ManifestInvariantTests.AllWebhooks(r))
        {
            var caBundle = (string?)webhook["clientConfig"]!["caBundle"];
            Assert.False(string.IsNullOrWhiteSpace(caBundle), $"{webhook["name"]}: caBundle is empty");
            // kustomize folds long base64 over lines; the API server's decoder skips the newlines.
            Assert.Equal(Convert.ToBase64String(bundle), string.Concat(caBundle!.Where(ch => !char.IsWhiteSpace(ch))));
        }

        var secret = r.Find("Secret", TlsSecretName(r), r.WorkloadNamespace);
        Assert.True(secret is not null, $"Secret {TlsSecretName(r)} is not rendered");
        Assert.Equal("kubernetes.io/tls", (string?)secret!["type"]);
        foreach (var key in new[] { "tls.crt", "tls.key" })
            Assert.Equal(r.CertFiles[key], Convert.FromBase64String((string)secret["data"]![key]!));
        // The bundle's helper Secret is local to kustomize, and the CA key never leaves the machine.
        Assert.Single(r.OfKind("Secret"));
        Assert.DoesNotContain(Convert.ToBase64String(r.CertFiles["ca.key"]), string.Join("", r.Objects.Select(o => o.ToJsonString())));

        // The bundle the API server will trust verifies the leaf the pods will serve, for the Service's names.
        using var leaf = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(r.CertFiles["tls.crt"]));
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPem(System.Text.Encoding.ASCII.GetString(bundle));
        Assert.True(TlsClient.Verifies(leaf, anchors));
        foreach (var name in ServiceNames(r)) Assert.True(leaf.MatchesHostname(name), $"tls.crt is not valid for {name}");
    }
}
