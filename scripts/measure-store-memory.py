#!/usr/bin/env python3
"""Resident memory of the app before and after one wiki reads many distinct large values from the MediaWiki store.

Runs the built app (src/Dashboard/bin/Debug/net10.0) on a free port and a fresh SQLite file, writes N distinct values
of SIZE bytes under one wiki's key, reads each back once, and prints VmRSS at start, after the writes and after the
reads. Extra settings go as KEY=VALUE arguments, e.g. Sessions:CacheMaxBytes=107374182400 to see the cache unbounded.

    dotnet build Dashboard.sln && scripts/measure-store-memory.py [--values 9000] [--size 65536] [Setting=Value ...]
"""
import argparse, concurrent.futures, json, os, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser()
parser.add_argument("--values", type=int, default=9000)
parser.add_argument("--size", type=int, default=64 * 1024)
parser.add_argument("--wiki", default="enwiki")
parser.add_argument("settings", nargs="*")
args = parser.parse_args()

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

port, db = free_port(), os.path.join(tempfile.mkdtemp(prefix="measure-"), "sessions.db")
build = os.path.join(root, "src/Dashboard/bin/Debug/net10.0")
env = dict(os.environ, ASPNETCORE_ENVIRONMENT="Development", DOTNET_ENVIRONMENT="Development",
           ConnectionStrings__Sessions=f"Data Source={db}", DemoFarm__Enabled="false", Seed__Folder=os.path.join(root, "seed-data"),
           RateLimits__LoginPermitLimit="1000000", Serilog__MinimumLevel__Default="Warning")
for setting in args.settings:
    key, value = setting.split("=", 1)
    env[key.replace(":", "__")] = value
app = subprocess.Popen(["dotnet", os.path.join(build, "WikiSessions.Dashboard.dll"), "--urls", f"http://127.0.0.1:{port}"],
                       cwd=build, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
key = json.load(open(os.path.join(root, "seed-data/demo-credentials.json")))["wikiKeys"][args.wiki]

def call(method, path, body=None):
    request = urllib.request.Request(base + path, data=body, method=method, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()

try:
    for _ in range(180):
        try:
            if urllib.request.urlopen(base + "/health/ready", timeout=2).status == 200: break
        except OSError:
            time.sleep(1)
    time.sleep(2)
    started = rss_mb(app.pid)
    value = lambda i: (f"{i:08d}".encode() * (args.size // 8 + 1))[: args.size]
    path = lambda i: f"/sessions/v1/{args.wiki}:measure:{i}"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda i: call("PUT", path(i), value(i))[0], range(args.values)))
    written = rss_mb(app.pid)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        reads = list(pool.map(lambda i: call("GET", path(i)), range(args.values)))
    wrong = sum(1 for i, (status, body) in enumerate(reads) if status != 200 or body != value(i))
    time.sleep(2)
    read = rss_mb(app.pid)
    print(f"settings {args.settings or '(defaults)'}: {args.values} values of {args.size} bytes on {args.wiki}; "
          f"writes {sorted(set(statuses))}, wrong reads {wrong}; VmRSS {started:.0f} MB at start, {written:.0f} MB after the writes, {read:.0f} MB after the reads")
finally:
    app.terminate()
    app.wait()
