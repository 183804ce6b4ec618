using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

internal static partial class Http
{
    /// <summary>
    /// What the load goes to: one instance on its SQLite file, one on PostgreSQL, or two on PostgreSQL and Redis behind
    /// nginx (round robin, keep-alive to both), each part a real process on this machine. Figures are the sum of the
    /// instances' own: store statements from each /metrics, resident memory from each /proc.
    /// </summary>
    private sealed class Topology : IAsyncDisposable
    {
        private readonly List<App> _apps;
        private readonly List<Process> _helpers;
        private readonly Func<Task> _cleanUp;

        private Topology(List<App> apps, List<Process> helpers, Uri address, string describe, Func<Task> cleanUp)
        {
            (_apps, _helpers, Address, Describe, _cleanUp) = (apps, helpers, address, describe, cleanUp);
            Client = address == apps[0].Address ? apps[0].Client : new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        }

        public Uri Address { get; }
        public HttpClient Client { get; }
        public string Describe { get; }
        public int Instances => _apps.Count;
        public long RssAtStart => _apps.Sum(a => a.RssAtStart);
        public long PeakRss { get; private set; }
        public long HighWaterMark() => _apps.Sum(a => a.HighWaterMark());

        public static async Task<Topology> StartAsync(string kind, string root, string database, string work)
        {
            if (kind == "sqlite")
            {
                var app = await App.StartAsync(root, database, work);
                return new Topology([app], [], app.Address, "one instance on SQLite", () => Task.CompletedTask);
            }
            var cluster = await PostgresCluster.GetAsync();
            var name = await cluster.CopyAsync("bench");
            var settings = new Dictionary<string, string>
            {
                ["Database__Provider"] = "PostgreSql",
                ["ConnectionStrings__Sessions"] = cluster.ConnectionString(name),
            };
            Task DropAsync() => cluster.DropAsync(name);
            if (kind == "postgresql")
            {
                var app = await App.StartAsync(root, database, work, settings);
                return new Topology([app], [], app.Address, "one instance on PostgreSQL 15", DropAsync);
            }

            var helpers = new List<Process>();
            var redisPort = FreePort();
            helpers.Add(Process.Start(new ProcessStartInfo("/usr/bin/redis-server", $"--port {redisPort} --bind 127.0.0.1 --save \"\" --appendonly no")
                { UseShellExecute = false, RedirectStandardOutput = true })!);
            settings["SignalR__Redis"] = $"127.0.0.1:{redisPort}";
            // One after the other: the first start writes the server key both share (in the work folder) and migrates the store.
            var first = await App.StartAsync(root, database, work, settings);
            var second = await App.StartAsync(root, database, work, settings);
            var nginxPort = FreePort();
            var config = Path.Combine(work, "nginx.conf");
            File.WriteAllText(config, $$"""
                worker_processes auto;
                daemon off;
                pid {{work}}/nginx.pid;
                error_log {{work}}/nginx-error.log warn;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    client_body_temp_path {{work}}/nginx-body;
                    proxy_temp_path {{work}}/nginx-proxy;
                    fastcgi_temp_path {{work}}/nginx-fastcgi;
                    uwsgi_temp_path {{work}}/nginx-uwsgi;
                    scgi_temp_path {{work}}/nginx-scgi;
                    upstream wikisessions {
                        server {{first.Address.Authority}};
                        server {{second.Address.Authority}};
                        keepalive 256;
                    }
                    server {
                        listen 127.0.0.1:{{nginxPort}};
                        location / {
                            proxy_pass http://wikisessions;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $host;
                        }
                    }
                }
                """);
            helpers.Add(Process.Start(new ProcessStartInfo("/usr/sbin/nginx", $"-c {config} -p {work}") { UseShellExecute = false, RedirectStandardError = true })!);
            var address = new Uri($"http://127.0.0.1:{nginxPort}");
            using (var probe = new HttpClient { BaseAddress = address })
                for (var i = 0; ; i++)
                {
                    try
                    {
                        if ((await probe.GetAsync("/health/live")).IsSuccessStatusCode) break;
                    }
                    catch (HttpRequestException) when (i < 100)
                    {
                    }
                    await Task.Delay(100);
                }
            return new Topology([first, second], helpers, address, "two instances on PostgreSQL 15 and Redis behind nginx (round robin)", DropAsync);
        }

        public void PrintLastLines()
        {
            foreach (var app in _apps)
            {
                Console.WriteLine($"  last lines of the instance at {app.Address}:");
                foreach (var line in app.LastLines) Console.WriteLine($"    {line}");
            }
        }

        public async Task<StoreFigures> StoreCountersAsync()
        {
            var each = await Task.WhenAll(_apps.Select(a => a.StoreCountersAsync()));
            return new StoreFigures(each.Sum(f => f.Reads), each.Sum(f => f.Writes), each.Sum(f => f.Transactions), each.Sum(f => f.TransactionSeconds), each.Sum(f => f.Commits));
        }

        /// <summary>Runs <paramref name="action"/> (on another thread) while sampling the instances' resident memory, summed.</summary>
        public async Task<T> SampleWhileAsync<T>(Func<T> action)
        {
            var run = Task.Run(action);
            while (!run.IsCompleted)
            {
                PeakRss = Math.Max(PeakRss, _apps.Sum(a => a.Rss()));
                await Task.WhenAny(run, Task.Delay(250));
            }
            return await run;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var helper in _helpers)
            {
                if (!helper.HasExited) helper.Kill(entireProcessTree: true);
                await helper.WaitForExitAsync();
            }
            foreach (var app in _apps) await app.DisposeAsync();
            if (Client != _apps[0].Client) Client.Dispose();
            await _cleanUp();
        }

        private static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
    }
}
