using WikiSessions.Benchmarks;

// Harnesses that print their figures (not timed tests). The first argument picks one:
//   engine [--sessions N...]   the engine in process (default)
//   generate [--sessions N] [--out FILE]   a farm-sized store (2,000,000 sessions by default) for the admin harness
//   admin [--store FILE | --sessions N]    the console's reads and the stewards' actions against a copy of such a store
// Run: dotnet run -c Release --project tests/Benchmarks -- <mode> [options]
var mode = args.FirstOrDefault() is { } first && !first.StartsWith('-') ? first : "engine";
var rest = mode == args.FirstOrDefault() ? args[1..] : args;
switch (mode)
{
    case "engine": await Engine.RunAsync(rest); break;
    case "generate": await Generate.RunAsync(rest); break;
    case "admin": await AdminScale.RunAsync(rest); break;
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'. Modes: engine, generate, admin.");
        return 2;
}
return 0;
