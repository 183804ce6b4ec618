using WikiSessions.Dashboard;

var builder = WebApplication.CreateBuilder(args);
builder.AddDashboard();

var app = builder.Build();
if (!await app.PrepareAsync(args)) return;
app.UseDashboard();
await app.RunAsync();

public partial class Program;
