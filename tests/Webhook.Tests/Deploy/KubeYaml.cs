using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RwxGuard.Tests.Deploy;

/// <summary>Multi-document Kubernetes YAML → one <see cref="JsonObject"/> per object (what the API server sees).</summary>
public static class KubeYaml
{
    public static IReadOnlyList<JsonObject> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Select(d => ToJson(d.RootNode))
            .OfType<JsonObject>()
            .ToList();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException(node.NodeType.ToString()),
    };

    // YAML 1.1 core types as kubectl prints them: only plain scalars are typed; quoted ones stay strings.
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(value);
        if (value is "" or "~" or "null") return null;
        if (value is "true") return JsonValue.Create(true);
        if (value is "false") return JsonValue.Create(false);
        // YAML 1.1 (what the API server's decoder reads): 0440 is octal, 0x1F hex. A file mode written as 0440 in a
        // template is 288, as kustomize prints it.
        if (value.Length > 1 && value[0] == '0' && value.Skip(1).All(c => c is >= '0' and <= '7'))
            return JsonValue.Create(Convert.ToInt32(value[1..], 8));
        if (value.StartsWith("0x", StringComparison.Ordinal) && int.TryParse(value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
            return JsonValue.Create(hex);
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return JsonValue.Create(i);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        return JsonValue.Create(value);
    }
}

/// <summary>One rendered kustomization.</summary>
public sealed class Rendered(string target, IReadOnlyList<JsonObject> objects, IReadOnlyDictionary<string, byte[]> certFiles)
{
    public string Target { get; } = target;
    public IReadOnlyList<JsonObject> Objects { get; } = objects;
    /// <summary>Files certs/gen-certs.sh wrote for this render (self-managed only).</summary>
    public IReadOnlyDictionary<string, byte[]> CertFiles { get; } = certFiles;

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);

    public JsonObject Single(string kind, string? name = null)
    {
        var matches = OfKind(kind).Where(o => name is null || Name(o) == name).ToList();
        Assert.True(matches.Count == 1, $"{Target}: expected exactly one {kind}{(name is null ? "" : " " + name)}, found {matches.Count}");
        return matches[0];
    }

    public JsonObject? Find(string kind, string name, string? ns = null) =>
        OfKind(kind).FirstOrDefault(o => Name(o) == name && (ns is null || Namespace(o) == ns));

    public static string Name(JsonNode o) => (string)o["metadata"]!["name"]!;
    public static string? Namespace(JsonNode o) => (string?)o["metadata"]?["namespace"];

    /// <summary>Rendered by `helm template` of deploy/charts/rwx-guard (else by `kubectl kustomize`).</summary>
    public bool IsChart => Renderer.IsChart(Target);
    /// <summary>The fail-open first-days setup: failurePolicy Ignore and Policy.Mode Warn.</summary>
    public bool IsRollout => Target is Renderer.RolloutTarget or Renderer.ChartRolloutTarget;

    public JsonObject Deployment => Single("Deployment", "rwx-guard");
    public JsonObject PodSpec => Deployment["spec"]!["template"]!["spec"]!.AsObject();
    public JsonObject Container => PodSpec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "webhook")!.AsObject();
    public string WorkloadNamespace => Namespace(Deployment) ?? throw new InvalidOperationException("Deployment has no namespace");
    public JsonObject Validating => Single("ValidatingWebhookConfiguration");
    public JsonObject Mutating => Single("MutatingWebhookConfiguration");

    public override string ToString() => Target;
}

/// <summary>
/// Renders each target once per test run: the kustomizations with `kubectl kustomize` (in temporary copies where files
/// must be generated) and the chart with `helm template` (release rwx-guard in namespace rwx-guard, the README's
/// install) under several value sets. Every invariant test runs on both kinds of target.
/// </summary>
public static class Renderer
{
    public const string RolloutTarget = "overlays/cert-manager+components/rollout";
    public const string SelfManagedMonitoringTarget = "overlays/self-managed+components/monitoring";
    public const string PolicyReportCrdTarget = "overlays/cert-manager+components/policyreport-crd";
    public const string NetworkPolicyTarget = "overlays/cert-manager+components/network-policy";

    public const string ChartTarget = "chart";
    public const string ChartCertManagerTarget = "chart+cert-manager";
    public const string ChartMonitoringTarget = "chart+cert-manager+monitoring";
    public const string ChartExistingSecretTarget = "chart+existing-secret";
    public const string ChartRolloutTarget = "chart+rollout";
    public const string ChartEverythingTarget = "chart+everything";

    /// <summary>Where the API server calls from in the NetworkPolicy targets (a kubeadm control-plane subnet, say).</summary>
    public const string ApiServerCidr = "10.0.0.0/24";

    /// <summary>A CA for the chart's existingSecret target: caBundle is its PEM.</summary>
    public static readonly Lazy<string> ExistingCaPem = new(() =>
    {
        using var ca = RwxGuard.Tls.CertificateAuthority.CreateCa("existing-secret test CA", DateTimeOffset.UtcNow.AddDays(-1),
            DateTimeOffset.UtcNow.AddDays(30));
        return ca.ExportCertificatePem();
    });

    /// <summary>The chart's value sets (as YAML files: JSON is YAML).</summary>
    public static IReadOnlyDictionary<string, Func<JsonObject>> ChartValues { get; } = new Dictionary<string, Func<JsonObject>>
    {
        [ChartTarget] = () => [],
        [ChartCertManagerTarget] = () => new() { ["certManager"] = new JsonObject { ["enabled"] = true } },
        [ChartMonitoringTarget] = () => new()
        {
            ["certManager"] = new JsonObject { ["enabled"] = true },
            ["monitoring"] = new JsonObject { ["enabled"] = true },
        },
        [ChartExistingSecretTarget] = () => new()
        {
            ["tls"] = new JsonObject { ["existingSecret"] = "rwx-guard-tls", ["caBundle"] = ExistingCaPem.Value },
        },
        [ChartRolloutTarget] = () => new()
        {
            ["webhook"] = new JsonObject { ["failurePolicy"] = "Ignore" },
            ["settings"] = new JsonObject { ["Policy"] = new JsonObject { ["Mode"] = "Warn" } },
        },
        // Every optional part on.
        [ChartEverythingTarget] = () => new()
        {
            ["certManager"] = new JsonObject { ["enabled"] = true },
            ["monitoring"] = new JsonObject { ["enabled"] = true },
            ["policyReportCrd"] = new JsonObject { ["enabled"] = true },
            ["networkPolicy"] = new JsonObject
            {
                ["enabled"] = true,
                ["apiServer"] = new JsonArray(new JsonObject { ["ipBlock"] = new JsonObject { ["cidr"] = ApiServerCidr } }),
            },
            ["clientCa"] = new JsonObject { ["pem"] = ExistingCaPem.Value },
            ["extraArgs"] = new JsonArray("--Cluster:StaleAfterSeconds=45"),
            ["extraEnvs"] = new JsonArray(new JsonObject { ["name"] = "DOTNET_gcServer", ["value"] = "0" }),
            ["extraSecrets"] = new JsonObject { ["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=secret" },
            ["extraEnvFrom"] = new JsonArray(new JsonObject { ["configMapRef"] = new JsonObject { ["name"] = "otel" } }),
            ["priorityClassName"] = "platform-critical",
            ["podAnnotations"] = new JsonObject { ["example.com/team"] = "platform" },
            ["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "registry" }),
            ["webhook"] = new JsonObject { ["extraExemptNamespaces"] = new JsonArray("legacy") },
            ["settings"] = new JsonObject
            {
                ["Policy"] = new JsonObject { ["Mode"] = "Enforce", ["Namespaces"] = new JsonObject { ["team-a"] = new JsonObject { ["Mode"] = "Warn" } } },
                ["Mutation"] = new JsonObject { ["StorageClass"] = "efs-sc" },
                ["Reporting"] = new JsonObject { ["Format"] = "OpenReports", ["LeaseName"] = "rwx-guard-writer" },
            },
        },
    };

    /// <summary>
    /// The base plus every overlay directory, plus components applied to overlays ("overlay+component": rendered through
    /// a throw-away kustomization with the overlay as its resource and the component as its component, as a user would
    /// write it), plus the chart under each value set in <see cref="ChartValues"/>.
    /// </summary>
    public static IReadOnlyList<string> Targets { get; } =
    [
        "base",
        .. Directory.GetDirectories(Path.Combine(Repo.Manifests, "overlays")).Select(d => "overlays/" + Path.GetFileName(d)).Order(),
        RolloutTarget,
        SelfManagedMonitoringTarget,
        PolicyReportCrdTarget,
        NetworkPolicyTarget,
        .. ChartValues.Keys,
    ];

    public static bool IsChart(string target) => target == ChartTarget || target.StartsWith(ChartTarget + "+", StringComparison.Ordinal);

    private static readonly Dictionary<string, Lazy<Task<Rendered>>> Cache = Targets.ToDictionary(
        t => t, t => new Lazy<Task<Rendered>>(() => IsChart(t) ? RenderChartAsync(t, ChartValues[t]()) : RenderUncachedAsync(t)));

    public static Task<Rendered> RenderAsync(string target) =>
        Cache.TryGetValue(target, out var lazy) ? lazy.Value : throw new ArgumentException($"unknown target {target}");

    /// <summary>`helm template` with these values (not cached).</summary>
    public static async Task<Rendered> RenderChartAsync(string name, JsonObject values, params string[] extra)
    {
        using var tmp = new TempDir("chart-values");
        await File.WriteAllTextAsync(tmp.Path("values.yaml"), values.ToJsonString());
        var yaml = await Helm.TemplateAsync([], ["--values", tmp.Path("values.yaml"), .. extra]);
        return new Rendered(name, KubeYaml.Parse(yaml), new Dictionary<string, byte[]>());
    }

    private static async Task<Rendered> RenderUncachedAsync(string target)
    {
        var plus = target.IndexOf('+');
        var (overlay, component) = plus < 0 ? (target, null) : (target[..plus], target[(plus + 1)..]);
        var kustomization = await File.ReadAllTextAsync(Path.Combine(Repo.Manifests, overlay, "kustomization.yaml"));
        if (!kustomization.Contains("certs/out", StringComparison.Ordinal))
            return new Rendered(target, KubeYaml.Parse(await KustomizeAsync(Repo.Manifests, overlay, component)), new Dictionary<string, byte[]>());

        // The overlay reads certs/out (written by certs/gen-certs.sh): render a copy of deploy/ next to a freshly
        // generated certs/out, so the repository's own certs/out is neither needed nor touched.
        using var mirror = new TempDir("manifests");
        CopyDirectory(Path.Combine(Repo.Root, "deploy"), mirror.Path("deploy"));
        var outDir = mirror.Path("certs", "out");
        await GenCerts.RunAsync("--out-dir", outDir);
        var files = Directory.GetFiles(outDir).ToDictionary(f => Path.GetFileName(f), f => File.ReadAllBytes(f));
        var yaml = await KustomizeAsync(mirror.Path("deploy", "manifests"), overlay, component);
        return new Rendered(target, KubeYaml.Parse(yaml), files);
    }

    /// <summary>What docs/deploy.md tells a user to add with the network-policy component.</summary>
    public const string NetworkPolicyPatch = $$"""
        patches:
          - target: {kind: NetworkPolicy, name: rwx-guard}
            patch: |-
              - op: replace
                path: /spec/ingress/0/from
                value:
                  - ipBlock: {cidr: {{ApiServerCidr}}}
        """;

    private static async Task<string> KustomizeAsync(string manifests, string overlay, string? component)
    {
        if (component is null) return await Kubectl.KustomizeAsync(Path.Combine(manifests, overlay));
        // A throw-away kustomization next to nothing: paths must be relative (kustomize refuses absolute ones).
        using var tmp = new TempDir("combined");
        var resource = Path.GetRelativePath(tmp.FullName, Path.Combine(manifests, overlay));
        var componentPath = Path.GetRelativePath(tmp.FullName, Path.Combine(manifests, component));
        var patch = component.EndsWith("network-policy", StringComparison.Ordinal) ? NetworkPolicyPatch : "";
        await File.WriteAllTextAsync(tmp.Path("kustomization.yaml"),
            $"resources: [\"{resource}\"]\ncomponents: [\"{componentPath}\"]\n{patch}\n");
        return await Kubectl.KustomizeAsync(tmp.FullName);
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
