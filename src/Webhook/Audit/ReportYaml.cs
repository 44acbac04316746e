using RwxGuard.Reporting;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace RwxGuard.Audit;

/// <summary>Reports as multi-document YAML, for people and <c>kubectl apply</c> (<c>webhook audit -o policyreport</c>).</summary>
public static class ReportYaml
{
    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        // "2", "true", "1.85": strings that would read back as numbers or booleans are quoted (properties are strings).
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    /// <summary>Each report a YAML document starting with <c>---</c>.</summary>
    public static string Of(IEnumerable<PolicyReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var text = new System.Text.StringBuilder();
        foreach (var report in reports)
        {
            text.Append("---\n");
            text.Append(Yaml.Serialize(report).ReplaceLineEndings("\n"));
        }
        return text.ToString();
    }
}
