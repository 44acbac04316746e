using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>One webhook (/validate or /mutate): which requests it handles and what the policies say about them.</summary>
public interface IAdmissionHandler
{
    /// <summary>"validate" or "mutate": the metric and log label.</summary>
    string Name { get; }

    Verdict Handle(AdmissionInput input, PolicyOptions options);
}
