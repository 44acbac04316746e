using System.CommandLine;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RwxGuard.Options;

namespace RwxGuard.CommandLine;

/// <summary>
/// <c>webhook</c> with no command: the admission server. Its flags are <see cref="SettingsLoader.FlagMappings"/>, parsed
/// here only to reject unknown ones; their values go to the configuration unchanged, so a bad value is reported by
/// settings validation with the key named (exit 2), as before.
/// </summary>
internal static partial class ServeCommand
{
    public static void Configure(RootCommand root, string[] args, CliConsole console)
    {
        foreach (var (flag, key) in SettingsLoader.FlagMappings)
            root.Add(new Option<string>(flag) { Description = $"sets {key}" + (flag == "--config" ? " (the JSON settings file)" : ""), HelpName = "value" });
        root.SetAction((_, cancellationToken) => RunAsync(args, console, cancellationToken));
    }

    private static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        WebApplication app;
        ServerOptions server;
        try
        {
            app = WebhookHost.Build(args);
            server = SettingsLoader.Bind(app.Configuration, ServerOptions.Section, new ServerOptionsValidator());
        }
        catch (SettingsException e)
        {
            // Bad configuration stops the start with the key named; exit 2 like kube components' flag errors.
            await console.Error.WriteLineAsync(e.Message);
            return WebhookCommandLine.ExitUsage;
        }
        // A port someone else holds is the commonest start failure: say so in one line, before the host logs a stack
        // trace for it. (The catch below covers the moment between this check and Kestrel's bind.)
        if (PortInUse(server) is { } busy)
        {
            await console.Error.WriteLineAsync(InUse(busy, server));
            return 1;
        }
        try
        {
            await app.RunAsync(cancellationToken);
            return 0;
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            var port = Port().Match(e.Message) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : server.Port;
            await console.Error.WriteLineAsync(InUse(port, server));
            return 1;
        }
    }

    private static string InUse(int port, ServerOptions server) =>
        $"error: port {port} is already in use; choose another with {(port == server.MetricsPort ? "--metrics-port (Server:MetricsPort)" : "--port (Server:Port)")}";

    /// <summary>The first of the server's ports that cannot be bound the way Kestrel binds it (any address, IPv4 and IPv6).</summary>
    private static int? PortInUse(ServerOptions server)
    {
        foreach (var port in new[] { server.Port, server.MetricsPort }.Where(p => p > 0))
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
                socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Any, port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return port;
            }
            catch (SocketException)
            {
                // no IPv6 here, or not allowed: Kestrel will say so itself
            }
        }
        return null;
    }

    [GeneratedRegex(@":(\d+)\b")]
    private static partial Regex Port();
}
