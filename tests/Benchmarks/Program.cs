using WikiSessions.Benchmarks;

// Harnesses that print their figures (not timed tests). The first argument picks one:
//   engine [--sessions N...]   the engine in process (default)
//   http [--seconds 10] [--connections 64] [--sessions 1000] [--store PATH] [--only login,resolve]
//                              the Release app over HTTP with wrk, every target side by side in one run
// Run: dotnet run -c Release --project tests/Benchmarks -- <mode> [options]
var mode = args.FirstOrDefault() is { } first && !first.StartsWith('-') ? first : "engine";
var rest = mode == args.FirstOrDefault() ? args[1..] : args;
switch (mode)
{
    case "engine": await Engine.RunAsync(rest); break;
    case "http": return await Http.RunAsync(rest);
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'. Modes: engine, http.");
        return 2;
}
return 0;
