using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RwxGuard.Tests.Deploy;

/// <summary>
/// The image as far as it can be checked without a Docker engine: the Dockerfile's promises, and its build stage
/// replayed (COPY from the context minus .dockerignore, then its RUN dotnet lines) into a temporary directory, then
/// the output started the way the Deployment starts it.
/// </summary>
public sealed class DockerfileTests
{
    /// <summary>The publish command CI runs; the Dockerfile must run exactly this.</summary>
    public const string CiPublishCommand = "dotnet publish src/Webhook/Webhook.csproj -c Release -o /app";

    private static Dockerfile Load() => Dockerfile.Load(Repo.Path("Dockerfile"));
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dockerfile.Stage BuildStage(Dockerfile d) =>
        d.Stages.Single(s => s.All("RUN").Any(r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal)));

    [Fact]
    public void Build_stage_runs_exactly_the_CI_publish_command_on_the_sdk_image()
    {
        var d = Load();
        Assert.True(d.Stages.Count >= 2, "multi-stage: build on the SDK, run on the ASP.NET runtime");
        var build = BuildStage(d);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", build.Image);
        var publish = Assert.Single(build.All("RUN"), r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
        Assert.Equal(CiPublishCommand, publish.Arguments);
        Assert.NotSame(build, d.Final);
    }

    [Fact]
    public async Task Runtime_stage_is_chiseled_non_root_shell_free_and_matches_the_manifests()
    {
        var d = Load();
        var runtime = d.Final;
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", runtime.Image);
        Assert.Contains("chiseled", runtime.Image);
        // A chiseled image has no shell: RUN (and shell-form ENTRYPOINT/CMD) cannot work there.
        Assert.Empty(runtime.All("RUN"));
        Assert.Equal(["dotnet", "webhook.dll"], Dockerfile.ExecForm(runtime.Last("ENTRYPOINT")!.Arguments)!);
        Assert.Null(runtime.Last("CMD"));

        var copy = Assert.Single(runtime.All("COPY"));
        Assert.Equal($"--from={BuildStage(d).Name} /app ./", copy.Arguments);
        Assert.Equal("/app", runtime.Last("WORKDIR")?.Arguments);

        var base_ = await Renderer.RenderAsync("base");
        var user = runtime.Last("USER")?.Arguments;
        Assert.Equal(((int)K8s.Effective(base_.PodSpec, base_.Container, "runAsUser")!).ToString(), user);
        Assert.Equal("1654", user);

        var exposed = runtime.All("EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0])).ToHashSet();
        foreach (var port in base_.Container["ports"]!.AsArray())
            Assert.Contains((int)port!["containerPort"]!, exposed);
        Assert.Contains(new RwxGuard.Options.ServerOptions().Port, exposed);
    }

    [Fact]
    public void Dockerignore_keeps_build_output_and_private_keys_out_of_the_context()
    {
        var patterns = DockerIgnore.Load();
        foreach (var p in new[] { "**/bin/", "**/obj/", "**/*.key" }) Assert.Contains(p, patterns.Lines);
        Assert.True(patterns.Excludes("src/Webhook/obj/project.assets.json"));
        Assert.True(patterns.Excludes("certs/out/ca.key"));
        Assert.False(patterns.Excludes("src/Webhook/Program.cs"));
        Assert.False(patterns.Excludes("Directory.Packages.props"));
    }

    [Fact(Timeout = 15 * 60 * 1000)]
    public async Task Published_output_starts_with_the_deployment_args_and_answers_over_https()
    {
        var ct = TestContext.Current.CancellationToken;
        var dockerfile = Load();
        var build = BuildStage(dockerfile);
        var runtime = dockerfile.Final;
        using var tmp = new TempDir("image");

        // ---- build stage, replayed ----
        var root = tmp.Path("build");
        var appDir = tmp.Path("app");
        var workdir = root;
        var ignore = DockerIgnore.Load();
        foreach (var step in build.Instructions)
        {
            switch (step.Keyword)
            {
                case "WORKDIR":
                    workdir = Path.Combine(root, step.Arguments.TrimStart('/'));
                    Directory.CreateDirectory(workdir);
                    break;
                case "COPY":
                    var parts = step.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    Assert.DoesNotContain(parts, p => p.StartsWith("--", StringComparison.Ordinal));
                    ignore.CopyFromContext(parts[..^1], Path.Combine(workdir, parts[^1]), many: parts.Length > 2);
                    break;
                case "RUN":
                    var words = step.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
                    Assert.True(words[0] == "dotnet", $"the test replays only 'dotnet' RUN steps, not '{step.Arguments}'");
                    var o = words.IndexOf("-o");
                    if (o >= 0)
                    {
                        Assert.Equal("/app", words[o + 1]);
                        words[o + 1] = appDir;
                    }
                    Assert.DoesNotContain(words.Skip(1), w => w.StartsWith('/') && w != appDir);
                    await Proc.RunCheckedAsync("dotnet", words.Skip(1), workdir, BuildEnvironment(), TimeSpan.FromMinutes(10),
                        "dotnet is not on PATH");
                    break;
                case "ENV" or "ARG" or "LABEL":
                    break;
                default:
                    Assert.Fail($"the test does not replay {step.Keyword} in the build stage");
                    break;
            }
        }
        Assert.True(File.Exists(Path.Combine(appDir, "webhook.dll")), "publish did not produce webhook.dll");
        Assert.Empty(Directory.GetFiles(appDir, "*.key", SearchOption.AllDirectories));

        // ---- the pod, emulated: the Deployment's args, its mounted Secret and ConfigMap, the image's env ----
        var rendered = await Renderer.RenderAsync("base");
        var tlsDir = tmp.Path("tls");
        await GenCerts.RunAsync("--out-dir", tlsDir);
        var configMount = Path.GetDirectoryName(ManifestInvariantTests.Arg(rendered, "--config"))!;
        var tlsMount = Path.GetDirectoryName(ManifestInvariantTests.Arg(rendered, "--tls-cert-file"))!;
        var configDir = tmp.Path("config");
        Directory.CreateDirectory(configDir);
        var configMap = rendered.Single("ConfigMap", "rwx-guard-settings");
        await File.WriteAllTextAsync(Path.Combine(configDir, "settings.json"), (string)configMap["data"]!["settings.json"]!, ct);

        var port = FreePort();
        var args = ManifestInvariantTests.Args(rendered).Select(a => a.StartsWith("--port=", StringComparison.Ordinal)
            ? $"--port={port}"
            : a.Replace(tlsMount, tlsDir, StringComparison.Ordinal).Replace(configMount, configDir, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(args, a => a.Contains("/etc/", StringComparison.Ordinal));

        var entrypoint = Dockerfile.ExecForm(runtime.Last("ENTRYPOINT")!.Arguments)!;
        var info = new ProcessStartInfo(entrypoint[0])
        {
            WorkingDirectory = appDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in entrypoint.Skip(1).Concat(args)) info.ArgumentList.Add(a);
        // What the aspnet base image sets, then the Dockerfile's own ENV, then what only a pod has (no API server here).
        info.Environment["ASPNETCORE_HTTP_PORTS"] = "8080";
        info.Environment["DOTNET_RUNNING_IN_CONTAINER"] = "true";
        foreach (var env in runtime.All("ENV").SelectMany(e => Dockerfile.EnvPairs(e.Arguments)))
            info.Environment[env.Key] = env.Value;
        info.Environment["Cluster__Connection"] = "Offline";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.Start();
        try
        {
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var anchors = TlsClient.LoadPem(Path.Combine(tlsDir, "ca-bundle.crt"));
            var healthz = await PollAsync(process, port, "/healthz", anchors, output);
            Assert.Equal(200, healthz.Status);
            var readyz = await TlsClient.GetAsync(port, "/readyz", anchors, cancellationToken: ct);
            Assert.True(readyz.Status == 200, $"/readyz: {readyz.Status}\n{readyz.Body}");
            // The Dockerfile clears the base image's ASPNETCORE_HTTP_PORTS: no plain-HTTP binding is even attempted.
            lock (output) Assert.DoesNotContain("Overriding address", output.ToString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>The nested build must not share MSBuild or compiler server processes with the test run, or they outlive it.</summary>
    private static Dictionary<string, string?> BuildEnvironment()
    {
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH")
            .ToDictionary(k => k, _ => (string?)null);
        env["MSBUILDDISABLENODEREUSE"] = "1";
        env["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        env["UseSharedCompilation"] = "false";
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
        return env;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<TlsClient.Response> PollAsync(Process process, int port, string path,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection anchors, StringBuilder output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
                lock (output) Assert.Fail($"webhook exited with {process.ExitCode}:\n{output}");
            try
            {
                return await TlsClient.GetAsync(port, path, anchors, cancellationToken: Ct);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, Ct);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, Ct);
            }
        }
    }
}

/// <summary>The subset of .dockerignore syntax the repository uses; anything else fails the test rather than being misread.</summary>
public sealed class DockerIgnore
{
    public required IReadOnlyList<string> Lines { get; init; }

    public static DockerIgnore Load() => new()
    {
        Lines = File.ReadAllLines(Repo.Path(".dockerignore")).Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList(),
    };

    /// <summary>Whether a context path (forward slashes, relative to the repo root) is excluded.</summary>
    public bool Excludes(string relative)
    {
        var segments = relative.Split('/');
        foreach (var pattern in Lines)
        {
            if (pattern.StartsWith('!')) Assert.Fail($".dockerignore: exceptions ('{pattern}') are not understood by this test");
            if (pattern.StartsWith("**/*.", StringComparison.Ordinal))
            {
                if (relative.EndsWith(pattern[4..], StringComparison.Ordinal)) return true;
            }
            else if (pattern.StartsWith("**/", StringComparison.Ordinal) && pattern.EndsWith('/'))
            {
                if (segments[..^1].Contains(pattern[3..^1])) return true;
            }
            else if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                if (segments.Length == 1 && relative.EndsWith(pattern[1..], StringComparison.Ordinal)) return true;
            }
            else if (!pattern.Contains('*'))
            {
                var p = pattern.TrimEnd('/');
                if (relative == p || relative.StartsWith(p + "/", StringComparison.Ordinal)) return true;
            }
            else
            {
                Assert.Fail($".dockerignore: pattern '{pattern}' is not understood by this test");
            }
        }
        return false;
    }

    /// <summary>Docker COPY semantics: a directory source copies its contents; a file goes into a directory destination.</summary>
    public void CopyFromContext(IEnumerable<string> sources, string destination, bool many)
    {
        foreach (var source in sources)
        {
            var relative = source.TrimEnd('/');
            var full = Repo.Path(relative.Split('/'));
            Assert.False(Excludes(relative), $"COPY {source}: excluded by .dockerignore");
            if (Directory.Exists(full))
            {
                foreach (var file in Directory.GetFiles(full, "*", SearchOption.AllDirectories))
                {
                    var rel = Path.GetRelativePath(Repo.Root, file).Replace('\\', '/');
                    if (Excludes(rel)) continue;
                    var target = Path.Combine(destination, Path.GetRelativePath(full, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target, overwrite: true);
                }
            }
            else
            {
                Assert.True(File.Exists(full), $"COPY {source}: not in the build context");
                var target = many || destination.EndsWith('/') || destination.EndsWith("/.", StringComparison.Ordinal)
                    ? Path.Combine(destination, Path.GetFileName(full))
                    : destination;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
                File.Copy(full, target, overwrite: true);
            }
        }
    }
}
