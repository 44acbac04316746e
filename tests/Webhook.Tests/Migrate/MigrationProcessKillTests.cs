using System.Diagnostics;
using RwxGuard.Migrate;
using RwxGuard.Tests.Infrastructure.FakeKube;

namespace RwxGuard.Tests.Migrate;

/// <summary>
/// The real binary, killed (SIGKILL, no cleanup) the moment it reports a step done: the next run finishes the
/// migration to the same end state, or rolls it back.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MigrationProcessKillTests
{
    public static readonly TheoryData<string> Steps =
    [
        StepNames.Lock, StepNames.RetainOriginal, StepNames.CreateTemporary, StepNames.ScaleDown, StepNames.Copy, StepNames.RetainNew,
        StepNames.ReleaseTemporary, StepNames.FreeNewVolume, StepNames.DeleteOriginal, StepNames.CreateMigrated, StepNames.ScaleUp,
    ];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Killed_after_a_step_the_next_apply_finishes_the_migration(string step)
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        var uid = h.Claim()!.Uid();

        var output = await RunAndKillAfterAsync(h, step);
        Assert.Contains($"✓ {step}:", output);

        var plan = await h.PlanAsync(h.Request());
        Assert.True(plan.Resuming, $"the killed run left its state (killed after {step}):\n{output}");
        var (state, _) = await h.Executor(new RecordingOutput()).ApplyAsync(plan.State!, TestContext.Current.CancellationToken);
        await MigrationEndToEndTests.AssertMigratedAsync(h, state, before, uid, replicas: 2);
    }

    [Theory]
    [InlineData(StepNames.ScaleDown)]
    [InlineData(StepNames.DeleteOriginal)]
    public async Task Killed_after_a_step_the_binarys_rollback_restores_the_original(string step)
    {
        await using var h = await MigrationHarness.StartAsync();
        var before = TreeSnapshot.Of(h.VolumePath(h.OriginalVolume));
        await RunAndKillAfterAsync(h, step);

        var (code, output) = await RunAsync(h, "--rollback");

        Assert.True(code == 0, output);
        Assert.Contains("Rolling back the migration of claim ai/anythingllm-storage-claim", output);
        await MigrationInterruptTests.AssertRolledBackAsync(h, before);
    }

    /// <summary>Starts <c>webhook migrate … --apply --replicas 2</c> and kills it when it prints "✓ step:".</summary>
    private static async Task<string> RunAndKillAfterAsync(MigrationHarness h, string step)
    {
        using var process = Start(h, "--apply", "--replicas", "2");
        var lines = new System.Text.StringBuilder();
        var killed = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.AppendLine(e.Data);
            if (e.Data.StartsWith($"✓ {step}:", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                killed.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync(TestContext.Current.CancellationToken);
        await Task.WhenAny(killed.Task, exited).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
        await exited.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        lock (lines)
        {
            Assert.True(killed.Task.IsCompleted, $"the run ended before step {step} was reported:\n{lines}");
            return lines.ToString();
        }
    }

    private static async Task<(int, string)> RunAsync(MigrationHarness h, params string[] args)
    {
        using var process = Start(h, args);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Process Start(MigrationHarness h, params string[] args)
    {
        var kubeconfig = h.Api.WriteKubeconfig(Path.Combine(h.Root, "kubeconfig"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "webhook.dll"), "migrate", "deployment/anythingllm", "-n", "ai", "--storage-class", "efs-sc",
                     "--kubeconfig", kubeconfig, "--poll-interval", "0.05", "--timeout", "60" }.Concat(args))
            start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(start)!;
    }
}
