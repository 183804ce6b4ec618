using System.Text.Json;
using System.Text.Json.Serialization;

namespace WikiSessions.Core.Tests.Domain;

public sealed class WireNamesTests
{
    private static readonly JsonSerializerOptions Api = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    [Theory]
    [InlineData(ProviderKind.Cookie, "cookie")]
    [InlineData(ProviderKind.BotPassword, "botpassword")]
    [InlineData(ProviderKind.OAuth, "oauth")]
    public void Providers_are_spelled_as_the_contract_says(ProviderKind kind, string wire) => Assert.Equal(wire, WireNames.Of(kind));

    [Theory]
    [InlineData(LogoutOutcome.Complete, "complete")]
    [InlineData(LogoutOutcome.Partial, "partial")]
    [InlineData(LogoutOutcome.NothingToDo, "nothing-to-do")]
    public void Logout_outcomes_are_spelled_as_the_contract_says(LogoutOutcome outcome, string wire) => Assert.Equal(wire, WireNames.Of(outcome));

    [Fact]
    public void Every_wire_name_is_what_the_api_serializer_writes_and_reads_back()
    {
        void Check<T>() where T : struct, Enum
        {
            foreach (var value in Enum.GetValues<T>())
            {
                Assert.Equal($"\"{WireNames.Of(value)}\"", JsonSerializer.Serialize(value, Api));
                Assert.Equal(value, JsonSerializer.Deserialize<T>($"\"{WireNames.Of(value)}\"", Api));
            }
        }
        Check<ProviderKind>(); Check<SessionOrigin>(); Check<EndReason>(); Check<LogoutScope>(); Check<LogoutOutcome>();
        Check<WikiStatus>(); Check<DeploymentGroup>(); Check<TraceStepKind>(); Check<SessionEventKind>();
    }

    [Fact]
    public void Parsing_ignores_case_and_space_and_refuses_anything_else()
    {
        Assert.True(WireNames.TryParse<ProviderKind>(" BotPassword ", out var kind));
        Assert.Equal(ProviderKind.BotPassword, kind);
        Assert.False(WireNames.TryParse<ProviderKind>("kerberos", out _));
        Assert.False(WireNames.TryParse<ProviderKind>("1", out _));
        Assert.False(WireNames.TryParse<ProviderKind>(null, out _));
    }
}
