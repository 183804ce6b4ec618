using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("WikiSessions.Core.Tests.StoreTestFramework", "WikiSessions.Core.Tests")]

namespace WikiSessions.Core.Tests;

/// <summary>
/// xunit's own framework, except that without a SQL Server to run on (<see cref="SqlServerStore.Variable"/>), each
/// test of an <c>OnSqlServer</c> class is reported as skipped with the reason, instead of failing or vanishing.
/// </summary>
public sealed class StoreTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider sources, IMessageSink sink)
        : XunitTestFrameworkDiscoverer(assembly, sources, sink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            if (SqlServerStore.ConnectionString is not null || !testMethod.TestClass.Class.Name.EndsWith("+OnSqlServer", StringComparison.Ordinal)
                || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            var skipped = new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, SqlServerStore.SkipReason);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
    }
}
