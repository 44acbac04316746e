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

    public JsonObject Deployment => Single("Deployment", "rwx-guard");
    public JsonObject PodSpec => Deployment["spec"]!["template"]!["spec"]!.AsObject();
    public JsonObject Container => PodSpec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "webhook")!.AsObject();
    public string WorkloadNamespace => Namespace(Deployment) ?? throw new InvalidOperationException("Deployment has no namespace");
    public JsonObject Validating => Single("ValidatingWebhookConfiguration");
    public JsonObject Mutating => Single("MutatingWebhookConfiguration");

    public override string ToString() => Target;
}

/// <summary>Renders each target once per test run (kubectl kustomize), in temporary copies where files must be generated.</summary>
public static class Renderer
{
    /// <summary>
    /// The base plus every overlay directory, plus the rollout component applied to the cert-manager overlay and the
    /// monitoring component applied to the self-managed overlay ("overlay+component": rendered through a throw-away
    /// kustomization with the overlay as its resource and the component as its component, as a user would write it).
    /// </summary>
    public static IReadOnlyList<string> Targets { get; } =
    [
        "base",
        .. Directory.GetDirectories(Path.Combine(Repo.Manifests, "overlays")).Select(d => "overlays/" + Path.GetFileName(d)).Order(),
        RolloutTarget,
        SelfManagedMonitoringTarget,
        PolicyReportCrdTarget,
    ];

    public const string RolloutTarget = "overlays/cert-manager+components/rollout";
    public const string SelfManagedMonitoringTarget = "overlays/self-managed+components/monitoring";
    public const string PolicyReportCrdTarget = "overlays/cert-manager+components/policyreport-crd";

    private static readonly Dictionary<string, Lazy<Task<Rendered>>> Cache = Targets.ToDictionary(
        t => t, t => new Lazy<Task<Rendered>>(() => RenderUncachedAsync(t)));

    public static Task<Rendered> RenderAsync(string target) =>
        Cache.TryGetValue(target, out var lazy) ? lazy.Value : throw new ArgumentException($"unknown target {target}");

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

    private static async Task<string> KustomizeAsync(string manifests, string overlay, string? component)
    {
        if (component is null) return await Kubectl.KustomizeAsync(Path.Combine(manifests, overlay));
        // A throw-away kustomization next to nothing: paths must be relative (kustomize refuses absolute ones).
        using var tmp = new TempDir("combined");
        var resource = Path.GetRelativePath(tmp.FullName, Path.Combine(manifests, overlay));
        var componentPath = Path.GetRelativePath(tmp.FullName, Path.Combine(manifests, component));
        await File.WriteAllTextAsync(tmp.Path("kustomization.yaml"),
            $"resources: [\"{resource}\"]\ncomponents: [\"{componentPath}\"]\n");
        return await Kubectl.KustomizeAsync(tmp.FullName);
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
