using RwxGuard.Options;
using RwxGuard.Policies;

namespace RwxGuard.Admission;

/// <summary>One webhook (/validate or /mutate): which requests it handles and what the policies say about them.</summary>
public interface IAdmissionHandler
{
    /// <summary>"validate" or "mutate": the metric and log label.</summary>
    string Name { get; }
    bool Mutating { get; }
    PolicyResult Handle(AdmissionInput input, PolicyOptions options);
}
