using MudBlazor;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Components.Shared;

public static class Problems
{
    /// <summary>What went wrong, in words a person understands: the engine's own title, or a general apology.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        SessionException refused => refused.Message,
        OperationCanceledException => "The request was cancelled before it finished.",
        _ => "The dashboard could not load this: the session service hit an unexpected error. Try again in a moment.",
    };

    public static void Problem(this ISnackbar snackbar, Exception ex) =>
        snackbar.Add(Describe(ex), ex is SessionException { Failure: Failure.NotFound or Failure.Invalid } ? Severity.Warning : Severity.Error);
}
