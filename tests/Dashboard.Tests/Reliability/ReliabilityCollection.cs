namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>The reliability tests load the machine on purpose: one at a time, so each measures itself and not the others.</summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability";
}
