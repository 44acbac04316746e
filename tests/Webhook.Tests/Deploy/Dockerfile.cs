using System.Text.Json;

namespace RwxGuard.Tests.Deploy;

/// <summary>The repository's Dockerfile as stages of (instruction, arguments); line continuations joined, comments dropped.</summary>
public sealed class Dockerfile
{
    public sealed record Instruction(string Keyword, string Arguments);

    public sealed record Stage(string Image, string? Name, IReadOnlyList<Instruction> Instructions)
    {
        public IEnumerable<Instruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
        public Instruction? Last(string keyword) => All(keyword).LastOrDefault();
    }

    public required IReadOnlyList<Stage> Stages { get; init; }

    public Stage Named(string name) => Stages.Single(s => s.Name == name);
    public Stage Final => Stages[^1];

    public static Dockerfile Load(string path)
    {
        var logical = new List<string>();
        var current = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }
            logical.Add(current + line);
            current = "";
        }

        var stages = new List<Stage>();
        string? image = null, name = null;
        var instructions = new List<Instruction>();
        foreach (var line in logical)
        {
            var space = line.IndexOf(' ');
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : line[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                if (image is not null) stages.Add(new Stage(image, name, instructions));
                var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                image = parts[0];
                name = parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : null;
                instructions = [];
            }
            else
            {
                Assert.True(image is not null, $"Dockerfile: {keyword} before FROM");
                instructions.Add(new Instruction(keyword, arguments));
            }
        }
        if (image is not null) stages.Add(new Stage(image, name, instructions));
        return new Dockerfile { Stages = stages };
    }

    /// <summary>Exec-form JSON array (ENTRYPOINT/CMD) or null for shell form.</summary>
    public static string[]? ExecForm(string arguments) =>
        arguments.StartsWith('[') ? JsonSerializer.Deserialize<string[]>(arguments) : null;

    /// <summary>ENV KEY=VALUE pairs (quotes removed).</summary>
    public static IEnumerable<KeyValuePair<string, string>> EnvPairs(string arguments)
    {
        foreach (var pair in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            Assert.True(eq > 0, $"ENV '{arguments}': use KEY=VALUE");
            yield return KeyValuePair.Create(pair[..eq], pair[(eq + 1)..].Trim('"'));
        }
    }
}
