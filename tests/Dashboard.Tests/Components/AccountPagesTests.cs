using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Dashboard.Components.Pages.Account;

namespace WikiSessions.Dashboard.Tests.Components;

public class AccountPagesTests : ComponentTest
{
    [Fact]
    public void Login_page_is_a_plain_form_that_names_the_demo_accounts_but_never_their_passwords()
    {
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/login?returnUrl=%2Fusers");
        var cut = Ctx.Render<Login>();

        var form = cut.Find("form");
        Assert.Equal("/account/login", form.GetAttribute("action"));
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal("/users", cut.Find("input[name=returnUrl]").GetAttribute("value"));
        var demo = cut.Find("#demo-accounts").TextContent;
        foreach (var staff in AppFactory.Credentials.Staff)
        {
            Assert.Contains(staff.Name, demo);
            Assert.DoesNotContain(staff.Password, cut.Markup);
        }
        Assert.Contains("seed-data/demo-credentials.json", demo);
        Assert.Empty(cut.FindAll("#login-error"));
    }

    [Fact]
    public void Login_page_says_when_the_name_or_password_was_wrong()
    {
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/login?error=1");
        var cut = Ctx.Render<Login>();
        Assert.Contains("do not match", cut.Find("#login-error").TextContent);
    }

    [Fact]
    public void Denied_page_explains_what_each_role_may_do()
    {
        var cut = Ctx.Render<Denied>();
        Assert.Contains("only stewards change sessions", cut.Markup);
    }
}
