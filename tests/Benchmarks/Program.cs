using WikiSessions.Benchmarks;

// Harnesses that print their figures (not timed tests). The first argument picks one:
//   engine [--sessions N...]   the engine in process (default)
//   http [--seconds 10] [--connections 64] [--sessions 1000] [--store PATH] [--only login,resolve] [--dashboards 20]
//                              the Release app over HTTP with wrk, every target side by side in one run
//   feed [--dashboards 20] [--rate 2000] [--seconds 20] [--silent 0] [--sessions 0]
//                              the live feed: the app in process, notices published at a rate, staff dashboards
//                              connected from a child process (feed-clients), and clients that never read;
//                              delivery delay, CPU, memory
//   stores [--concurrency 8]    the engine in process on SQLite and on PostgreSQL side by side (a cluster of its own)
//   generate [--sessions N] [--out FILE]   a farm-sized store (2,000,000 sessions by default) for the admin harness
//   admin [--store FILE | --sessions N]    the console's reads and the stewards' actions against a copy of such a store
// Run: dotnet run -c Release --project tests/Benchmarks -- <mode> [options]
var mode = args.FirstOrDefault() is { } first && !first.StartsWith('-') ? first : "engine";
var rest = mode == args.FirstOrDefault() ? args[1..] : args;
switch (mode)
{
    case "engine": await Engine.RunAsync(rest); break;
    case "http": return await Http.RunAsync(rest);
    case "feed": await Feed.RunAsync(rest); break;
    case "feed-clients": await Feed.RunClientsAsync(rest); break;
    case "stores": await Stores.RunAsync(rest); break;
    case "generate": await Generate.RunAsync(rest); break;
    case "admin": await AdminScale.RunAsync(rest); break;
    case "bulk": await BulkScale.RunAsync(rest); break;
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'. Modes: engine, http, feed, stores, generate, admin.");
        return 2;
}
return 0;
