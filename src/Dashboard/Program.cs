using WikiSessions.Dashboard;

var builder = WebApplication.CreateBuilder(DashboardSetup.StartOptions(args));
builder.AddDashboard();
WikiSessions.Dashboard.Farm.SoakCommand.ConfigureBeforeBuild(builder.Configuration, args);

var app = builder.Build();
if (!await app.PrepareAsync(args)) return;
app.UseDashboard();
await app.RunAsync();

public partial class Program;
