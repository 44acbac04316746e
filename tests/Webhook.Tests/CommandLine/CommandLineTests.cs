using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RwxGuard.CommandLine;

namespace RwxGuard.Tests.CommandLine;

/// <summary>The binary's one command line: unknown words are errors (exit 2), --help works everywhere, a busy port is one line.</summary>
public sealed class CommandLineTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await WebhookCommandLine.RunAsync(args, new CliConsole(new StringReader(""), stdout, stderr, false), TestContext.Current.CancellationToken);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "audti" }, "Unrecognized command or argument 'audti'", "webhook --help")]
    [InlineData(new[] { "--bogus" }, "Unrecognized command or argument '--bogus'", "webhook --help")]
    [InlineData(new[] { "migrate", "deployment/x", "--bogus" }, "Unrecognized command or argument '--bogus'", "webhook migrate --help")]
    [InlineData(new[] { "migrate", "--bogus", "deployment/x" }, "'--bogus' is not deployment/NAME or statefulset/NAME", "webhook migrate --help")]
    [InlineData(new[] { "migrate" }, "Required argument 'workload' missing for command: 'migrate'", "webhook migrate --help")]
    [InlineData(new[] { "migrate", "daemonset/x" }, "'daemonset/x' is not deployment/NAME or statefulset/NAME", "webhook migrate --help")]
    [InlineData(new[] { "migrate", "deployment/x", "--apply", "--rollback" }, "--apply and --rollback exclude each other", "webhook migrate --help")]
    [InlineData(new[] { "migrate", "deployment/x", "--size", "lots" }, "--size: 'lots' is not a quantity such as 8Gi", "webhook migrate --help")]
    [InlineData(new[] { "verify", "-o", "xml" }, "xml", "webhook verify --help")]
    [InlineData(new[] { "audit", "-f", "x.yaml", "--output", "xml" }, "--output: unknown format 'xml'", "webhook audit --help")]
    public async Task Unknown_commands_and_bad_flags_print_the_error_and_usage_and_exit_2(string[] args, string error, string usage)
    {
        var (code, output, stderr) = await RunAsync(args);

        Assert.Equal(WebhookCommandLine.ExitUsage, code);
        Assert.Contains(error, stderr);
        Assert.Contains($"Run '{usage}' for usage.", stderr);
        Assert.Equal("", output);
    }

    [Theory]
    // In-process the program name is the test host's; the binary prints "webhook".
    [InlineData(new[] { "--help" }, " [command] [options]")]
    [InlineData(new[] { "migrate", "--help" }, " migrate <workload> [options]")]
    [InlineData(new[] { "verify", "-h" }, " verify [<workload>] [options]")]
    [InlineData(new[] { "audit", "--help" }, "Usage: webhook audit -f <file|directory|-> [-f ...] [flags]")]
    public async Task Help_works_for_every_command(string[] args, string usage)
    {
        var (code, output, _) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.Contains(usage, output);
    }

    [Fact]
    public async Task The_servers_flags_are_listed_with_their_configuration_keys()
    {
        var (_, output, _) = await RunAsync("--help");
        foreach (var (flag, key) in RwxGuard.Options.SettingsLoader.FlagMappings)
            Assert.Contains($"{flag} <value>", output);
        Assert.Contains("sets Server:Port", output);
        Assert.Contains("migrate", output);
        Assert.Contains("verify", output);
    }

    [Fact]
    public async Task The_flags_the_deployment_passes_still_parse()
    {
        var rendered = await RwxGuard.Tests.Deploy.Renderer.RenderAsync("base");
        var args = RwxGuard.Tests.Deploy.K8s.Strings(rendered.Container["args"]).ToArray();
        Assert.Contains(args, a => a.StartsWith("--tls-cert-file=", StringComparison.Ordinal));

        var (_, result) = WebhookCommandLine.Parse(args, new CliConsole(new StringReader(""), TextWriter.Null, TextWriter.Null, false));

        Assert.Empty(result.Errors);
        Assert.IsType<System.CommandLine.RootCommand>(result.CommandResult.Command); // no command: it serves
    }

    /// <summary>Before: an unhandled IOException, a stack trace and exit 134 (abort).</summary>
    [Fact]
    public async Task A_port_in_use_is_one_line_naming_it_and_a_non_zero_exit()
    {
        using var taken = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        taken.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "webhook.dll"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--metrics-port", "-1" })
            start.ArgumentList.Add(a);
        start.Environment["Cluster__Connection"] = "Offline";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(1, process.ExitCode);
        Assert.Equal($"error: port {port} is already in use; choose another with --port (Server:Port)", (await stderr).Trim());
        Assert.DoesNotContain("Exception", await stdout);
    }
}
