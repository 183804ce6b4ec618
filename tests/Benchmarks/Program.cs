using WikiSessions.Benchmarks;

// Harnesses that print their figures (not timed tests). The first argument picks one:
//   engine [--sessions N...]   the engine in process (default)
// Run: dotnet run -c Release --project tests/Benchmarks -- <mode> [options]
var mode = args.FirstOrDefault() is { } first && !first.StartsWith('-') ? first : "engine";
var rest = mode == args.FirstOrDefault() ? args[1..] : args;
switch (mode)
{
    case "engine": await Engine.RunAsync(rest); break;
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'. Modes: engine.");
        return 2;
}
return 0;
