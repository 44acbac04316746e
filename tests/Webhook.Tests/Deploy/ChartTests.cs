using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// The chart as Helm sees it (the pinned Helm 4 from .ci/install-helm.sh): lint, the values schema, certificates,
/// upgrades and uninstall. What every install must keep is in <see cref="ManifestInvariantTests"/>, which renders the
/// chart too; parity with the kustomizations is in <see cref="ChartParityTests"/>.
/// </summary>
public sealed partial class ChartTests
{
    public static TheoryData<string> ChartTargets => new(Renderer.ChartValues.Keys);

    [Theory, MemberData(nameof(ChartTargets))]
    public async Task Lint_strict_passes(string target)
    {
        using var tmp = new TempDir("lint");
        await File.WriteAllTextAsync(tmp.Path("values.yaml"), Renderer.ChartValues[target]().ToJsonString(), TestContext.Current.CancellationToken);
        var lint = await Helm.RunAsync("lint", "--strict", Repo.Chart, "--namespace", "rwx-guard", "--values", tmp.Path("values.yaml"));
        Assert.True(lint.ExitCode == 0, lint.Describe("helm lint --strict"));
        Assert.Contains("0 chart(s) failed", lint.StdOut);
    }

    // ---- values.schema.json: a wrong value fails the install and names the key --------------------------------------

    public static TheoryData<string[], string> BadValues => new()
    {
        { ["replicaCount=0"], "/replicaCount" },
        { ["replicaCount=three"], "/replicaCount" },
        { ["replicas=3"], "'replicas' not allowed" },
        { ["image.pullPolicy=Sometimes"], "/image/pullPolicy" },
        { ["image.digest=latest"], "/image/digest" },
        { ["webhook.failurePolicy=Maybe"], "/webhook/failurePolicy" },
        { ["webhook.timeoutSeconds=31"], "/webhook/timeoutSeconds" },
        { ["webhook.extraExemptNamespaces[0]=Not_A_Namespace"], "/webhook/extraExemptNamespaces/0" },
        { ["settings.Policy.Mode=Block"], "/settings/Policy/Mode" },
        { ["settings.Policy.OnClaimNotFound=maybe"], "/settings/Policy/OnClaimNotFound" },
        { ["settings.Policy.Namespaces.team-a.Mode=Sometimes"], "/settings/Policy/Namespaces/team-a/Mode" },
        { ["settings.Policy.ModeLabel=not a label"], "/settings/Policy/ModeLabel" },
        { ["settings.Policy.Modee=Warn"], "'Modee' not allowed" },
        { ["settings.Mutation.StorageClass=EFS_SC"], "/settings/Mutation/StorageClass" },
        { ["settings.Mutation.OnNoRwxClass=Ignore"], "/settings/Mutation/OnNoRwxClass" },
        { ["settings.Reporting.Format=Xml"], "/settings/Reporting/Format" },
        { ["settings.Reporting.IntervalSeconds=0"], "/settings/Reporting/IntervalSeconds" },
        { ["settings.Cluster.ListPageSize=0"], "/settings/Cluster/ListPageSize" },
        { ["settings.Server.MaxRequestBodyBytes=1000"], "/settings/Server/MaxRequestBodyBytes" },
        { ["settings.Server.Port=9443"], "'Port' not allowed" },
        { ["containerPorts.https=70000"], "/containerPorts/https" },
        { ["extraArgs[0]=mode=Warn"], "/extraArgs/0" },
        { ["certManager.duration=90days"], "/certManager/duration" },
        { ["tls.existingSecret=my-tls"], "/tls/caBundle" },
        { ["certManager.enabled=true", "tls.existingSecret=my-tls", "tls.caBundle=-----BEGIN CERTIFICATE-----"], "/tls/existingSecret" },
        { ["networkPolicy.enabled=true"], "/networkPolicy/apiServer" },
        { ["namespaceLabelGuard.adminGroups=null"], "missing property 'adminGroups'" },
        { ["namespaceLabelGuard.adminGroups={}"], "/namespaceLabelGuard/adminGroups" },
    };

    [Theory, MemberData(nameof(BadValues))]
    public async Task A_wrong_value_fails_naming_the_key(string[] values, string named)
    {
        var result = await Helm.RunAsync(["template", "rwx-guard", Repo.Chart, "--namespace", "rwx-guard", .. Helm.SetArgs(values)]);
        Assert.True(result.ExitCode != 0, $"{string.Join(" ", values)} was accepted:\n{result.StdOut[..Math.Min(300, result.StdOut.Length)]}");
        Assert.Contains(named, result.StdErr);
    }

    // ---- README configuration keys are all reachable --------------------------------------------------------------

    /// <summary>README keys the chart sets from its own values (ports, certificate, client CA), and the flag it passes.</summary>
    private static readonly Dictionary<string, string> ChartOwned = new()
    {
        ["Server:Port"] = "--port=", ["Server:MetricsPort"] = "--metrics-port=", ["Server:TlsCertFile"] = "--tls-cert-file=",
        ["Server:TlsPrivateKeyFile"] = "--tls-private-key-file=", ["Server:ClientCaFile"] = "--client-ca-file=",
    };

    [Fact]
    public async Task Every_key_of_the_README_configuration_tables_is_reachable_through_values()
    {
        var keys = ReadmeConfigurationKeys();
        Assert.Contains("Policy:Mode", keys);
        Assert.Contains("Reporting:LeaseNamespace", keys);
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repo.Chart, "values.schema.json"), TestContext.Current.CancellationToken))!;
        var settings = schema["properties"]!["settings"]!["properties"]!;
        var args = ManifestInvariantTests.Args(await Renderer.RenderAsync(Renderer.ChartEverythingTarget));
        foreach (var key in keys)
        {
            if (ChartOwned.TryGetValue(key, out var flag))
            {
                Assert.True(args.Any(a => a.StartsWith(flag, StringComparison.Ordinal)), $"{key}: the chart passes no {flag}…");
                Assert.Null(settings[key.Split(':')[0]]?["properties"]?[key.Split(':')[1]]); // one way to set it
                continue;
            }
            var parts = key.Split(':');
            var node = settings[parts[0]]?["properties"]?[parts[1]];
            // Policy:Namespaces:<ns>:Mode → settings.Policy.Namespaces.<ns>.Mode
            if (parts.Length == 4) node = node?["additionalProperties"]?["properties"]?[parts[3]];
            Assert.True(node is not null, $"README key {key} has no values path settings.{string.Join('.', parts)}");
        }
    }

    /// <summary>The keys (`Section:Key`) of the README's configuration and reporting tables.</summary>
    private static List<string> ReadmeConfigurationKeys()
    {
        var keys = new List<string>();
        foreach (var line in File.ReadLines(Repo.Path("README.md")).Where(l => l.StartsWith("| ", StringComparison.Ordinal)))
        {
            var cells = line.Split('|');
            foreach (var cell in cells.Skip(1).Take(2))
            {
                var tokens = BacktickedKeys().Matches(cell).Select(m => m.Groups[1].Value).ToList();
                if (tokens.Count == 0 || !tokens[0].Contains(':')) continue;
                var section = tokens[0].Split(':')[0];
                keys.AddRange(tokens.Select(t => t.Contains(':') ? t : $"{section}:{t}"));
                break;
            }
        }
        return [.. keys.Where(k => Regex.IsMatch(k, @"^(Server|Cluster|Policy|Mutation|Reporting):")).Distinct()];
    }

    [GeneratedRegex(@"`([A-Za-z]+(?::[A-Za-z<>]+)*)`")]
    private static partial Regex BacktickedKeys();

    // ---- certificates -------------------------------------------------------------------------------------------

    [Fact]
    public async Task Generated_certificate_is_valid_for_the_service_and_is_what_caBundle_trusts()
    {
        var r = await Renderer.RenderAsync(Renderer.ChartTarget);
        var (ca, leaf) = GeneratedPair(r);
        var anchors = new X509Certificate2Collection(ca);
        Assert.True(TlsClient.Verifies(leaf, anchors), "tls.crt does not chain to ca.crt");
        foreach (var name in new[] { "rwx-guard", "rwx-guard.rwx-guard", "rwx-guard.rwx-guard.svc", "rwx-guard.rwx-guard.svc.cluster.local" })
            Assert.True(leaf.MatchesHostname(name), $"tls.crt is not valid for {name}");
        foreach (var webhook in ManifestInvariantTests.AllWebhooks(r))
            Assert.Equal(ca.RawData, Caa(webhook).RawData);
        // The private key of the CA is not in the Secret the pods mount.
        var tls = r.Single("Secret", "rwx-guard-tls");
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], tls["data"]!.AsObject().Select(kv => kv.Key).Order());
    }

    [Fact]
    public async Task Existing_secret_is_mounted_and_its_ca_bundle_trusted_and_nothing_else_is_minted()
    {
        var r = await Renderer.RenderAsync(Renderer.ChartExistingSecretTarget);
        Assert.Empty(r.OfKind("Secret"));
        Assert.DoesNotContain(r.Objects, o => ((string?)o["apiVersion"])?.StartsWith("cert-manager.io/", StringComparison.Ordinal) == true);
        using var expected = X509Certificate2.CreateFromPem(Renderer.ExistingCaPem.Value);
        foreach (var webhook in ManifestInvariantTests.AllWebhooks(r))
            Assert.Equal(expected.RawData, Caa(webhook).RawData);
    }

    [Fact]
    public async Task CertManager_with_an_existing_issuer_creates_only_the_serving_certificate()
    {
        var r = await Renderer.RenderChartAsync("chart issuerRef", new()
        {
            ["certManager"] = new JsonObject { ["enabled"] = true, ["issuerRef"] = new JsonObject { ["name"] = "corp-ca", ["kind"] = "ClusterIssuer", ["group"] = "cert-manager.io" } },
        });
        Assert.Empty(r.OfKind("Issuer"));
        var certificate = r.Single("Certificate");
        Assert.Equal("corp-ca", (string?)certificate["spec"]!["issuerRef"]!["name"]);
        Assert.Equal("ClusterIssuer", (string?)certificate["spec"]!["issuerRef"]!["kind"]);
        Assert.Equal("rwx-guard-tls", (string?)certificate["spec"]!["secretName"]);
        foreach (var configuration in new[] { r.Validating, r.Mutating })
            Assert.Equal("rwx-guard/rwx-guard-tls", (string?)configuration["metadata"]!["annotations"]!["cert-manager.io/inject-ca-from"]);
        Assert.Empty(r.OfKind("Secret"));
    }

    [Fact]
    public async Task Generated_certificate_is_kept_across_upgrades_and_renewed_from_the_same_CA()
    {
        using var api = new HelmApiFake();
        using var tmp = new TempDir("helm-lookup");
        var kubeconfig = api.WriteKubeconfig(tmp.Path("kubeconfig"));
        async Task<Rendered> Render(string name, params string[] extra) => new(name, KubeYaml.Parse(await Helm.TemplateAsync([],
            ["--dry-run=server", "--disable-openapi-validation", "--kubeconfig", kubeconfig, .. extra])), new Dictionary<string, byte[]>());

        var install = await Render("install");
        Assert.Contains("/api/v1/namespaces/rwx-guard/secrets/rwx-guard-tls", api.RequestedPaths); // lookup asked the cluster
        foreach (var secret in install.OfKind("Secret")) api.Put(secret);

        // An upgrade with the Secrets in the cluster: the same CA, the same pair, the same caBundle.
        var upgrade = await Render("upgrade", "--is-upgrade");
        foreach (var name in new[] { "rwx-guard-ca", "rwx-guard-tls" })
            Assert.True(JsonNode.DeepEquals(install.Single("Secret", name)["data"], upgrade.Single("Secret", name)["data"]), $"{name} changed on upgrade");
        Assert.Equal(Caa(install.Validating["webhooks"]![0]!).RawData, Caa(upgrade.Validating["webhooks"]![0]!).RawData);

        // Forced renewal: a new serving pair from the kept CA; caBundle unchanged, so no pod serves an untrusted pair.
        var renewed = await Render("renew", "--is-upgrade", "--set", "tls.generated.renew=true");
        AssertRenewedUnderTheSameCa(install, renewed);

        // A serving pair within renewBeforeDays of its recorded expiry is renewed on any upgrade.
        var expiring = install.Single("Secret", "rwx-guard-tls").DeepClone().AsObject();
        expiring["metadata"]!["annotations"]!["rwx-guard.io/not-after"] = DateTimeOffset.UtcNow.AddDays(10).ToString("yyyy-MM-ddTHH:mm:ssZ");
        api.Put(expiring);
        AssertRenewedUnderTheSameCa(install, await Render("expiring", "--is-upgrade"));
    }

    [Fact]
    public async Task Without_a_cluster_helm_template_generates_a_new_CA_every_time()
    {
        // Documented in docs/helm.md: `helm template` cannot look up the kept Secrets; render with cert-manager or an
        // existing Secret when the output is applied by another tool.
        var first = GeneratedPair(await Renderer.RenderChartAsync("first", []));
        var second = GeneratedPair(await Renderer.RenderChartAsync("second", []));
        Assert.NotEqual(first.Ca.RawData, second.Ca.RawData);
    }

    private static void AssertRenewedUnderTheSameCa(Rendered before, Rendered after)
    {
        var (caBefore, leafBefore) = GeneratedPair(before);
        var (caAfter, leafAfter) = GeneratedPair(after);
        Assert.Equal(caBefore.RawData, caAfter.RawData);
        Assert.NotEqual(leafBefore.RawData, leafAfter.RawData);
        Assert.True(TlsClient.Verifies(leafAfter, new X509Certificate2Collection(caBefore)));
        Assert.Equal(caBefore.RawData, Caa(after.Mutating["webhooks"]![0]!).RawData);
    }

    private static (X509Certificate2 Ca, X509Certificate2 Leaf) GeneratedPair(Rendered r)
    {
        var tls = r.Single("Secret", "rwx-guard-tls")["data"]!;
        var caSecret = r.Single("Secret", "rwx-guard-ca")["data"]!;
        Assert.Equal((string?)caSecret["tls.crt"], (string?)tls["ca.crt"]);
        return (Pem((string)tls["ca.crt"]!), Pem((string)tls["tls.crt"]!));
    }

    private static X509Certificate2 Pem(string base64) => X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(base64)));

    /// <summary>The one CA in a webhook's caBundle.</summary>
    private static X509Certificate2 Caa(JsonNode webhook)
    {
        var caBundle = (string?)webhook["clientConfig"]!["caBundle"];
        Assert.False(string.IsNullOrEmpty(caBundle), $"{webhook["name"]}: no caBundle");
        return Pem(caBundle!);
    }

    // ---- upgrades roll nothing that the server reloads ------------------------------------------------------------

    [Fact]
    public async Task Settings_and_certificate_changes_leave_the_pod_template_alone_but_extra_secrets_roll_it()
    {
        // Two renders with different settings, and (no cluster) different generated certificates: the pods would not
        // be replaced, because the server reloads both files. Environment is read at start: extraSecrets roll.
        var enforce = await Renderer.RenderChartAsync("enforce", []);
        var warn = await Renderer.RenderChartAsync("warn", new() { ["settings"] = new JsonObject { ["Policy"] = new JsonObject { ["Mode"] = "Warn" } } });
        Assert.NotEqual(ManifestInvariantTests.SettingsJson(enforce), ManifestInvariantTests.SettingsJson(warn));
        Assert.False(JsonNode.DeepEquals(enforce.Single("Secret", "rwx-guard-tls")["data"], warn.Single("Secret", "rwx-guard-tls")["data"]));
        Assert.True(JsonNode.DeepEquals(Template(enforce), Template(warn)), "the pod template changed with settings or certificates");

        JsonObject Extra(string value) => new() { ["extraSecrets"] = new JsonObject { ["TOKEN"] = value } };
        var one = await Renderer.RenderChartAsync("secret one", Extra("one"));
        var two = await Renderer.RenderChartAsync("secret two", Extra("two"));
        Assert.False(JsonNode.DeepEquals(Template(one), Template(two)), "a changed extraSecrets value must roll the pods");
        Assert.Equal("two", (string?)two.Single("Secret", "rwx-guard-extra-env")["stringData"]!["TOKEN"]);
        Assert.Contains(one.Container["envFrom"]!.AsArray(), e => (string?)e!["secretRef"]?["name"] == "rwx-guard-extra-env");

        static JsonNode Template(Rendered r) => r.Deployment["spec"]!["template"]!;
    }

    // ---- uninstall: webhook configurations go first ----------------------------------------------------------------

    [Fact]
    public async Task Uninstall_hook_deletes_exactly_the_webhook_configurations_before_anything_else()
    {
        var r = await Renderer.RenderAsync(Renderer.ChartTarget);
        var hooks = r.Objects.Where(o => o["metadata"]?["annotations"]?["helm.sh/hook"] is not null).ToList();
        Assert.Equal(["ClusterRole", "ClusterRoleBinding", "Job", "ServiceAccount"], hooks.Select(h => (string)h["kind"]!).Order());
        foreach (var hook in hooks)
        {
            var annotations = hook["metadata"]!["annotations"]!;
            Assert.Equal("pre-delete", (string?)annotations["helm.sh/hook"]);
            Assert.Contains("hook-succeeded", (string?)annotations["helm.sh/hook-delete-policy"]);
            Assert.Contains("before-hook-creation", (string?)annotations["helm.sh/hook-delete-policy"]);
        }
        // RBAC exists before the Job runs (lower weight first).
        int Weight(JsonObject o) => int.Parse((string)o["metadata"]!["annotations"]!["helm.sh/hook-weight"]!, System.Globalization.CultureInfo.InvariantCulture);
        var job = hooks.Single(h => (string?)h["kind"] == "Job");
        Assert.All(hooks.Where(h => h != job), h => Assert.True(Weight(h) < Weight(job)));

        // The Job deletes the two configurations this release renders, by name, and can delete nothing else.
        var names = new[] { r.Validating, r.Mutating }.Select(Rendered.Name).Distinct().ToList();
        var container = Assert.Single(job["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!.AsObject();
        var args = K8s.Strings(container["args"]);
        Assert.Equal("delete", args[0]);
        Assert.Equal(["mutatingwebhookconfiguration/" + names.Single(), "validatingwebhookconfiguration/" + names.Single()],
            args.Where(a => a.Contains('/')).Order());
        Assert.Contains("--ignore-not-found", args);
        var role = Assert.Single(hooks, h => (string?)h["kind"] == "ClusterRole")!;
        var rule = Assert.Single(role["rules"]!.AsArray())!;
        Assert.Equal(["admissionregistration.k8s.io"], K8s.Strings(rule["apiGroups"]));
        Assert.Equal(["mutatingwebhookconfigurations", "validatingwebhookconfigurations"], K8s.Strings(rule["resources"]).Order());
        Assert.Equal(names, K8s.Strings(rule["resourceNames"]));
        Assert.Equal(["delete", "get"], K8s.Strings(rule["verbs"]).Order());
        var binding = Assert.Single(hooks, h => (string?)h["kind"] == "ClusterRoleBinding")!;
        Assert.Equal(Rendered.Name(role), (string?)binding["roleRef"]!["name"]);
        Assert.Equal((string?)job["spec"]!["template"]!["spec"]!["serviceAccountName"], (string?)binding["subjects"]![0]!["name"]);

        // The Job's pod meets the restricted profile of the release namespace.
        var pod = job["spec"]!["template"]!["spec"]!.AsObject();
        Assert.True((bool?)K8s.Effective(pod, container, "runAsNonRoot") == true);
        Assert.Equal("RuntimeDefault", (string?)K8s.Effective(pod, container, "seccompProfile")?["type"]);
        Assert.True((bool?)container["securityContext"]!["allowPrivilegeEscalation"] == false);
        Assert.True((bool?)container["securityContext"]!["readOnlyRootFilesystem"] == true);
        Assert.Equal(["ALL"], K8s.Strings(container["securityContext"]!["capabilities"]!["drop"]));

        var off = await Renderer.RenderChartAsync("no cleanup", new() { ["webhook"] = new JsonObject { ["cleanupOnUninstall"] = new JsonObject { ["enabled"] = false } } });
        Assert.DoesNotContain(off.Objects, o => o["metadata"]?["annotations"]?["helm.sh/hook"] is not null);
    }

    [Fact]
    public async Task Values_people_expect_reach_the_pods()
    {
        var r = await Renderer.RenderAsync(Renderer.ChartEverythingTarget);
        var pod = r.PodSpec;
        Assert.Equal("platform-critical", (string?)pod["priorityClassName"]);
        Assert.Equal("registry", (string?)pod["imagePullSecrets"]![0]!["name"]);
        Assert.Equal("platform", (string?)r.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!["example.com/team"]);
        Assert.Contains("--Cluster:StaleAfterSeconds=45", ManifestInvariantTests.Args(r));
        Assert.Contains("--client-ca-file=/etc/rwx-guard/client-ca/ca.crt", ManifestInvariantTests.Args(r));
        Assert.Equal(Renderer.ExistingCaPem.Value.Trim(), ((string)r.Single("ConfigMap", "rwx-guard-client-ca")["data"]!["ca.crt"]!).Trim());
        Assert.Contains(r.Container["env"]!.AsArray(), e => (string?)e!["name"] == "DOTNET_gcServer" && (string?)e["value"] == "0");
        Assert.Contains(r.Container["envFrom"]!.AsArray(), e => (string?)e!["configMapRef"]?["name"] == "otel");
        var exempt = K8s.Strings(r.Validating["webhooks"]![0]!["namespaceSelector"]!["matchExpressions"]![0]!["values"]);
        Assert.Contains("legacy", exempt);

        var digest = "sha256:" + new string('a', 64);
        var pinned = await Renderer.RenderChartAsync("digest", new() { ["image"] = new JsonObject { ["digest"] = digest } });
        Assert.Equal($"registry.example.com/rwx-guard:0.1.0@{digest}", K8s.Image(pinned.Container));
        var custom = await Renderer.RenderChartAsync("spread", new()
        {
            ["replicaCount"] = 5,
            ["topologySpreadConstraints"] = new JsonArray(new JsonObject { ["maxSkew"] = 2, ["topologyKey"] = "kubernetes.io/hostname", ["whenUnsatisfiable"] = "ScheduleAnyway" }),
            ["podDisruptionBudget"] = new JsonObject { ["minAvailable"] = 3 },
        });
        Assert.Equal(5, (int)custom.Deployment["spec"]!["replicas"]!);
        var constraint = Assert.Single(custom.PodSpec["topologySpreadConstraints"]!.AsArray())!;
        Assert.True(K8s.Matches(constraint["labelSelector"], ManifestInvariantTests.PodLabels(custom)), "a constraint without labelSelector gets the pods' labels");
        Assert.Equal(3, (int)custom.Single("PodDisruptionBudget")["spec"]!["minAvailable"]!);
        Assert.Null(custom.Single("PodDisruptionBudget")["spec"]!["maxUnavailable"]);
    }
}
