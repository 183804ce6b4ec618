#!/usr/bin/env bash
# Side by side with wrk, in one run: the app's bare /health/live (the limit of this machine and this app), a resolve
# of an active session, and a MediaWiki store GET. Release build, demo farm off, a fresh seeded farm (Development
# environment: it uses the demo credentials, which Production refuses), logging at Warning.
# Usage: tests/Benchmarks/http.sh [seconds per target, default 10] [connections, default 64]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
connections=${2:-64}
command -v wrk >/dev/null || { echo "wrk is missing: sudo apt-get install -y wrk"; exit 1; }
work=$(mktemp -d)
trap 'kill $app 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

dotnet build -c Release src/Dashboard -v q >/dev/null
port=$((20000 + RANDOM % 20000))
(cd src/Dashboard && exec env ASPNETCORE_ENVIRONMENT=Development ConnectionStrings__Sessions="Data Source=$work/bench.db" Database__DataFolder="$work" DemoFarm__Enabled=false \
  Serilog__MinimumLevel__Default=Warning RateLimits__AdminPermitLimit=1000000 \
  dotnet bin/Release/net10.0/WikiSessions.Dashboard.dll --urls "http://127.0.0.1:$port" >"$work/app.log" 2>&1) &
app=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do curl -sf "$base/health/live" >/dev/null && break; sleep 0.5; done

key=$(python3 -c "import json;print(json.load(open('seed-data/demo-credentials.json'))['wikiKeys']['enwiki'])")
testkey=$(python3 -c "import json;print(json.load(open('seed-data/demo-credentials.json'))['wikiKeys']['testwiki'])")
login=$(curl -sf -X POST "$base/api/v1/wikis/enwiki/login" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"user":"Sandbox Alice","provider":"cookie","client":{"ip":"203.0.113.7","userAgent":"wrk","secure":true}}')
cookies=$(python3 -c "import json,sys;d=json.loads(sys.argv[1]);print(json.dumps({c['name']:c['value'] for c in d['setCookies'] if c['host']=='en.wikipedia.org' and c['value']}))" "$login")
expires=$(( $(date +%s) + 3600 ))
blob="JSON..{\"data\":{\"wsToken\":\"x\"},\"metadata\":{\"provider\":\"MediaWiki\\\\Session\\\\CookieSessionProvider\",\"userId\":3,\"userName\":\"Bench User\",\"userToken\":\"0123456789abcdef0123456789abcdef\",\"remember\":false,\"forceHTTPS\":false,\"expires\":$expires,\"loggedOut\":0,\"persisted\":true}}"
curl -sf -X POST "$base/sessions/v1/testwiki%3AMWSession%3Abench0000000000000000000000000001" -H "Authorization: Bearer $testkey" --data-binary "$blob" >/dev/null

cat >"$work/resolve.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $key"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"cookies":$cookies,"client":{"ip":"203.0.113.7","userAgent":"wrk","secure":true}}'
LUA
cat >"$work/store.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $testkey"
LUA

run() { # name, wrk arguments...
  local name=$1; shift
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" | awk -v name="$name" '
    /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {printf "%-34s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n", name, rps, p50, p99, (bad==""?0:bad)}'
}
echo "wrk, $connections connections, ${seconds}s each, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
run "GET /health/live (bare)" "$base/health/live"
run "POST resolve (active session)" -s "$work/resolve.lua" "$base/api/v1/wikis/enwiki/resolve"
run "GET MediaWiki store value" -s "$work/store.lua" "$base/sessions/v1/testwiki%3AMWSession%3Abench0000000000000000000000000001"
