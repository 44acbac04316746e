using RwxGuard.Domain;

namespace RwxGuard.Policies;

/// <summary>Which mode applies in a namespace, and where that came from (recorded in audit annotations).</summary>
public readonly record struct ResolvedMode(EnforcementMode Mode, string Source);

/// <summary>
/// The enforcement mode for a request's namespace. Most specific first:
/// 1. Policy:Namespaces:&lt;ns&gt;:Mode in the settings file — the platform team's reviewed configuration;
/// 2. the namespace label Policy:ModeLabel (default rwx-guard.io/mode) — set by whoever may update namespaces, which
///    is normally cluster admins, handy for rolling out namespace by namespace;
/// 3. Policy:Mode.
/// A label with an unknown value is ignored (the next level applies), so a typo never switches enforcement off.
/// </summary>
public static class EnforcementModes
{
    public const string FromSettings = "settings";
    public const string FromNamespaceSettings = "namespace-settings";
    public const string FromNamespaceLabel = "namespace-label";

    public static ResolvedMode Resolve(PolicyOptions options, string? @namespace, IClusterView view)
    {
        if (string.IsNullOrEmpty(@namespace)) return new(options.Mode, FromSettings);
        if (options.Namespaces.TryGetValue(@namespace, out var configured) && configured.Mode is { } value
            && TryParse(value, out var mode))
            return new(mode, FromNamespaceSettings);
        if (!string.IsNullOrEmpty(options.ModeLabel)
            && view.GetNamespace(@namespace) is { Outcome: LookupOutcome.Found, Value: { } ns }
            && ns.Labels.TryGetValue(options.ModeLabel, out var label)
            && TryParse(label, out var labelled))
            return new(labelled, FromNamespaceLabel);
        return new(options.Mode, FromSettings);
    }

    /// <summary>One of the names, any case ("enforce", "Warn"); never a number or a list, which Enum.TryParse takes.</summary>
    public static bool TryParse(string value, out EnforcementMode mode)
    {
        foreach (var candidate in Enum.GetValues<EnforcementMode>())
        {
            if (!candidate.ToString().Equals(value.Trim(), StringComparison.OrdinalIgnoreCase)) continue;
            mode = candidate;
            return true;
        }
        mode = default;
        return false;
    }

    public static string Label(EnforcementMode mode) => mode switch
    {
        EnforcementMode.Enforce => "enforce",
        EnforcementMode.Warn => "warn",
        _ => "audit",
    };
}
