using RwxGuard.Admission;
using RwxGuard.Options;
using RwxGuard.Policies;
using RwxGuard.Tests.Infrastructure;
using static RwxGuard.Tests.Infrastructure.Objects;
using RwxGuard.Domain;

namespace RwxGuard.Tests.Admission;

/// <summary>How a violation reaches the API server in each mode, and the limits on warnings and audit annotations.</summary>
public sealed class EnforcementModeTests
{
    private static readonly Verdict Violation = new([
        new Finding(Rules.ReplicatedSingleAttach, FindingKind.Violation, "long explanation", Text.Warning("short")),
        new Finding(Rules.ClaimNotFound, FindingKind.Warning, "other explanation", Text.Warning("other")),
    ], []);

    [Fact]
    public void Enforce_denies_with_403_and_keeps_other_findings_as_warnings()
    {
        var response = RwxGuard.Admission.AdmissionDecision.From("u", Violation, EnforcementMode.Enforce);
        Assert.False(response.Allowed);
        Assert.Equal(403, response.Status!.Code);
        Assert.Equal("long explanation", response.Status.Message);
        Assert.Equal(["rwx-guard: other"], response.Warnings);
        Assert.Equal("denied", response.AuditAnnotations!["decision"]);
    }

    [Fact]
    public void Warn_allows_and_turns_the_violation_into_a_warning()
    {
        var response = RwxGuard.Admission.AdmissionDecision.From("u", Violation, EnforcementMode.Warn);
        Assert.True(response.Allowed);
        Assert.Null(response.Status);
        Assert.Equal(["rwx-guard: short", "rwx-guard: other"], response.Warnings);
        Assert.Equal("warn", response.AuditAnnotations!["mode"]);
        Assert.Equal("long explanation", response.AuditAnnotations["violation"]);
    }

    [Fact]
    public void Audit_allows_silently_and_records_in_audit_annotations_only()
    {
        var response = RwxGuard.Admission.AdmissionDecision.From("u", Violation, EnforcementMode.Audit);
        Assert.True(response.Allowed);
        Assert.Null(response.Warnings);
        Assert.Equal("audit", response.AuditAnnotations!["mode"]);
        Assert.Equal("replicated-single-attach,claim-not-found", response.AuditAnnotations["rules"]);
        // Stored as "<webhook>/<key>": keys must be valid qualified names without '/'.
        Assert.All(response.AuditAnnotations.Keys, k => Assert.Matches("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", k));
    }

    [Fact]
    public void Warnings_are_deduplicated_and_bounded_to_the_api_server_total()
    {
        var findings = Enumerable.Range(0, 100)
            .Select(i => new Finding("r", FindingKind.Warning, "m", Text.Warning($"warning {i % 60} " + new string('x', 90))))
            .ToList();
        var response = RwxGuard.Admission.AdmissionDecision.From("u", new Verdict(findings, []), EnforcementMode.Enforce);
        Assert.Equal(response.Warnings!.Count, response.Warnings.Distinct().Count());
        Assert.True(response.Warnings.Sum(w => w.Length) <= RwxGuard.Admission.AdmissionDecision.MaxWarningsTotal);
        Assert.All(response.Warnings, w => Assert.True(w.Length <= Text.MaxWarningLength, w));
    }

    [Fact]
    public void Long_names_keep_warnings_under_120_characters()
    {
        var longName = new string('a', 200);
        var view = new FakeClusterView().Add(Claim(longName, AccessModes.ReadWriteOnce));
        var finding = Assert.Single(new ReplicatedWorkloadPolicy().EvaluateWorkload(
            Workload(longName, 3, longName), null, view, new PolicyOptions()).Findings);
        Assert.Equal(Text.MaxWarningLength, finding.Warning.Length);
        Assert.EndsWith("…", finding.Warning);
    }

    [Theory]
    [InlineData("Warn", true, true)]
    [InlineData("Audit", true, false)]
    [InlineData("Enforce", false, false)]
    public async Task Mode_setting_reaches_the_response(string mode, bool allowed, bool warned)
    {
        var view = new FakeClusterView().Add(Claim("data", AccessModes.ReadWriteOnce) with { Namespace = "tzlil-tets" });
        await using var webhook = await RunningWebhook.StartAsync(view, new Dictionary<string, string?> { ["Policy:Mode"] = mode });
        var (_, body) = await webhook.Client.PostAsync("/validate",
            Fixtures.MountClaim(Fixtures.Review("datree-deployment-create-replicas2-v1.json"), "data"));
        var response = body["response"]!;
        Assert.Equal(allowed, response["allowed"]!.GetValue<bool>());
        Assert.Equal(warned, response["warnings"] is not null);
        Assert.Equal(mode.ToLowerInvariant(), response["auditAnnotations"]!["mode"]!.GetValue<string>());
    }
}
