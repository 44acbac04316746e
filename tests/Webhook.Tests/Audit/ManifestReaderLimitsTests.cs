using System.Text;
using RwxGuard.Audit;
using RwxGuard.Platform;
using RwxGuard.Tests.Infrastructure;

namespace RwxGuard.Tests.Audit;

/// <summary>
/// The reader's limits at their edges, and how directories are walked (symbolic links, special files), through the
/// reader's own API: what the CLI and, later, the server's manifest cluster view share. The hostile inputs themselves
/// run through the built CLI in <see cref="AuditHostileInputTests"/>.
/// </summary>
public sealed class ManifestReaderLimitsTests : IDisposable
{
    private const string ConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    private readonly ManifestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string relative, string text) => _dir.Write(relative, text);

    private static ManifestSet Read(string text, ManifestLimits limits)
    {
        var set = new ManifestSet();
        ManifestReader.Read(new ManifestSource("in.yaml", text), "default", set, limits);
        return set;
    }

    private static Task<ManifestSet> ReadAsync(ManifestLimits limits, params string[] paths) =>
        ReadWithStdinAsync("", limits, paths);

    private static Task<ManifestSet> ReadWithStdinAsync(string stdin, ManifestLimits limits, params string[] paths) =>
        ManifestReader.ReadAsync(paths, new StringReader(stdin), "default", limits, TestContext.Current.CancellationToken);

    private static string Errors(ManifestSet set) => string.Join("\n", set.Errors);

    [Fact]
    public void Alias_nodes_are_counted_after_expansion_up_to_the_limit()
    {
        // &x holds 4 nodes (the sequence and its 3 scalars); *y expands to 1 + 4 + 4 = 9; so aliases add 4 + 4 + 9 = 17.
        var text = ConfigMap + "data: {}\nx: &x [1, 2, 3]\ny: &y [*x, *x]\nz: *y\n";

        Assert.Empty(Read(text, new ManifestLimits { MaxAliasNodes = 17 }).Errors);
        var refused = Read(text, new ManifestLimits { MaxAliasNodes = 16 });
        Assert.Equal("in.yaml:7:4: aliases expand to more than 16 nodes, the limit for one input: not read (docs/audit.md#limits)",
            Assert.Single(refused.Errors).ToString());
        Assert.Empty(refused.Skipped); // nothing of a refused input is used
    }

    [Fact]
    public void Nodes_are_counted_with_aliases_expanded_across_the_documents_of_one_input()
    {
        // Document 1: 9 nodes (the mapping, 3 keys, 2 scalars, a 3-node mapping); document 2: the same, plus the key
        // `extra` and the 3 nodes its alias expands to: 13.
        var text = ConfigMap + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: y}\nextra: *m\n";

        Assert.Empty(Read(text, new ManifestLimits { MaxNodes = 22 }).Errors);
        Assert.Contains("more than 21 YAML nodes (aliases expanded), the limit for one input",
            Assert.Single(Read(text, new ManifestLimits { MaxNodes = 21 }).Errors).Message);
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void The_default_depth_is_read_on_a_normal_stack_and_one_more_level_is_refused(int depth, bool accepted)
    {
        // The document's mapping is level 1: a value nested depth - 1 more levels.
        var text = "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}, deep: " + ManifestCorpus.DeepFlowSequence(depth - 1).Trim() + "}";

        var set = Read(text, ManifestLimits.Default);

        if (accepted)
        {
            Assert.Empty(set.Errors);
            Assert.Equal(1, set.Skipped["ConfigMap"]);
        }
        else
        {
            Assert.Equal($"in.yaml:1:{62 + 255}: nested deeper than 256 levels, the limit: not read (docs/audit.md#limits)",
                Assert.Single(set.Errors).ToString());
        }
    }

    [Fact]
    public async Task Bytes_are_limited_per_input_and_in_total()
    {
        var text = ConfigMap + "data: {a: \"" + new string('x', 1000 - ConfigMap.Length - "data: {a: \"\"}\n".Length) + "\"}\n";
        Assert.Equal(1000, Encoding.UTF8.GetByteCount(text));
        var a = Write("a.yaml", text);
        var b = Write("b.yaml", text);
        var c = Write("c.yaml", text + " ");

        var exact = await ReadAsync(new ManifestLimits { MaxFileBytes = 1000 }, a, b);
        var oneTooMany = await ReadAsync(new ManifestLimits { MaxFileBytes = 1000 }, c, a);
        var total = await ReadAsync(new ManifestLimits { MaxFileBytes = 1000, MaxTotalBytes = 1999 }, a, b, c);

        Assert.Empty(exact.Errors);
        Assert.Equal(2, exact.Skipped["ConfigMap"]);
        Assert.Equal($"{c}: larger than 1,000 bytes, the limit for one input: not read", Assert.Single(oneTooMany.Errors).ToString());
        Assert.Equal(1, oneTooMany.Skipped["ConfigMap"]); // the others are still read, so every problem is reported at once
        Assert.Equal($"{b}: the input exceeds 1,999 bytes in all here, the limit for all inputs together: not read",
            Assert.Single(total.Errors).ToString());
        Assert.Equal([a], total.Sources); // reading stopped at b: c was never opened
    }

    [Fact]
    public async Task Stdin_is_limited_in_utf8_bytes()
    {
        var text = ConfigMap + "data: {a: \"" + new string('é', 100) + "\"}\n"; // 2 bytes each in UTF-8
        var bytes = Encoding.UTF8.GetByteCount(text);

        Assert.Empty((await ReadWithStdinAsync(text, new ManifestLimits { MaxFileBytes = bytes }, "-")).Errors);
        Assert.Equal("<stdin>: larger than " + $"{bytes - 1:N0} bytes, the limit for one input: not read",
            Assert.Single((await ReadWithStdinAsync(text, new ManifestLimits { MaxFileBytes = bytes - 1 }, "-")).Errors).ToString());
    }

    [Fact]
    public async Task A_link_to_a_file_inside_the_tree_is_read_once_under_its_shortest_name()
    {
        Write("tree/apps/web/app.yaml", File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml")));
        var tree = Path.Combine(_dir.FullName, "tree");
        File.CreateSymbolicLink(Path.Combine(tree, "web.yaml"), "apps/web/app.yaml");
        File.CreateSymbolicLink(Path.Combine(tree, "apps", "same.yml"), "web/app.yaml");
        File.CreateSymbolicLink(Path.Combine(tree, "plain.yaml"), "notes.txt"); // a manifest name for a file the walk skips
        Write("tree/notes.txt", ConfigMap);

        var set = await ReadAsync(ManifestLimits.Default, tree);

        Assert.Empty(set.Errors);
        Assert.Equal([Path.Combine(tree, "plain.yaml"), Path.Combine(tree, "web.yaml")], set.Sources);
        Assert.Equal((1, 1), (set.Checked["Deployment"], set.Skipped["ConfigMap"]));
    }

    [Fact]
    public async Task A_ConfigMap_volume_layout_is_read_once_under_the_names_the_pod_sees()
    {
        // What the kubelet writes for a ConfigMap mounted as a directory: real files in a timestamped directory,
        // ..data -> that directory, and one link per key.
        var tree = Path.Combine(_dir.FullName, "volume");
        Write("volume/..2025_01_01_00_00_00.000000001/app.yaml", File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml")));
        Write("volume/..2025_01_01_00_00_00.000000001/classes.json", File.ReadAllText(Cli.StorageClasses("eks.json")));
        File.CreateSymbolicLink(Path.Combine(tree, "..data"), "..2025_01_01_00_00_00.000000001");
        File.CreateSymbolicLink(Path.Combine(tree, "app.yaml"), "..data/app.yaml");
        File.CreateSymbolicLink(Path.Combine(tree, "classes.json"), "..data/classes.json");

        var set = await ReadAsync(ManifestLimits.Default, tree);

        Assert.Empty(set.Errors);
        Assert.Equal([Path.Combine(tree, "app.yaml"), Path.Combine(tree, "classes.json")], set.Sources);
        Assert.Equal((1, 3), (set.Checked["Deployment"], set.Checked["StorageClass"]));
    }

    [Fact]
    public async Task Links_out_of_the_tree_and_broken_links_are_errors_but_a_link_named_on_the_command_line_is_followed()
    {
        var outside = Write("outside/secret.yaml", ConfigMap);
        Write("outside/more/other.yaml", ConfigMap);
        var tree = Path.Combine(_dir.FullName, "tree");
        Write("tree/app.yaml", ConfigMap.Replace("name: x", "name: app", StringComparison.Ordinal));
        File.CreateSymbolicLink(Path.Combine(tree, "leak.yaml"), outside);
        File.CreateSymbolicLink(Path.Combine(tree, "shared"), Path.Combine(_dir.FullName, "outside", "more"));
        File.CreateSymbolicLink(Path.Combine(tree, "gone.yaml"), "missing.yaml");
        File.CreateSymbolicLink(Path.Combine(tree, "gone.txt"), "missing.txt"); // not a manifest name: ignored
        File.CreateSymbolicLink(Path.Combine(tree, "ping.yaml"), "pong.yaml");
        File.CreateSymbolicLink(Path.Combine(tree, "pong.yaml"), "ping.yaml");

        var set = await ReadAsync(ManifestLimits.Default, tree);
        var named = await ReadAsync(ManifestLimits.Default, Path.Combine(tree, "leak.yaml"));

        var real = UnixFiles.RealPath(_dir.FullName);
        Assert.Equal(
            [$"{tree}/gone.yaml: symbolic link to a missing file",
             $"{tree}/leak.yaml: symbolic link to {real}/outside/secret.yaml, outside {real}/tree: not followed (give it with its own -f to read it)",
             $"{tree}/ping.yaml: symbolic link cannot be resolved (Too many levels of symbolic links): not followed",
             $"{tree}/pong.yaml: symbolic link cannot be resolved (Too many levels of symbolic links): not followed",
             $"{tree}/shared: symbolic link to {real}/outside/more, outside {real}/tree: not followed (give it with its own -f to read it)"],
            set.Errors.Select(e => e.ToString()).Order(StringComparer.Ordinal));
        Assert.Empty(named.Errors);
        Assert.Equal(1, named.Skipped["ConfigMap"]);
    }

    [Fact]
    public async Task A_link_to_a_directory_inside_the_tree_is_not_followed_its_target_is_read_where_it_is()
    {
        var tree = Path.Combine(_dir.FullName, "tree");
        Write("tree/v2/app.yaml", ConfigMap);
        File.CreateSymbolicLink(Path.Combine(tree, "current"), "v2");

        var set = await ReadAsync(ManifestLimits.Default, tree);

        Assert.Empty(set.Errors);
        Assert.Equal([Path.Combine(tree, "v2", "app.yaml")], set.Sources);
    }

    [Fact]
    public async Task A_pipe_named_on_the_command_line_is_read_as_process_substitution_gives_it()
    {
        // webhook audit -f <(helm template …): the shell passes /dev/fd/N, a pipe.
        var fifo = Path.Combine(_dir.FullName, "fd63");
        await AuditHostileInputTests.MakeFifoAsync(fifo);
        var writer = Task.Run(() => File.WriteAllText(fifo, File.ReadAllText(Cli.Anythingllm("community-chart-rendered.yaml"))),
            TestContext.Current.CancellationToken);

        var set = await ReadAsync(ManifestLimits.Default, fifo);
        if (!writer.IsCompleted) await File.ReadAllTextAsync(fifo, TestContext.Current.CancellationToken); // never leave it blocked
        await writer;

        Assert.Empty(set.Errors);
        Assert.Equal(1, set.Checked["Deployment"]);
    }

    [Fact]
    public async Task A_5_MB_helm_template_stream_is_read_whole_within_the_default_limits()
    {
        var render = ManifestCorpus.HelmTemplateLike(Fixtures.Dir, 5_000_000);

        var set = await ReadWithStdinAsync(render.Text, ManifestLimits.Default, "-");

        Assert.True(set.Errors.Count == 0, Errors(set));
        Assert.Empty(set.Warnings);
        Assert.Equal(render.Deployments, set.Checked["Deployment"]);
        Assert.Equal(render.Claims, set.Checked["PersistentVolumeClaim"]);
        Assert.Equal(render.CustomResourceDefinitions, set.Skipped["CustomResourceDefinition"]);
        Assert.InRange(Encoding.UTF8.GetByteCount(render.Text), 5_000_000, 5_300_000);
    }
}
