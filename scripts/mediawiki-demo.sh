#!/usr/bin/env bash
# Two real MediaWiki wikis keeping their sessions in WikiSessions, on this machine, in one command:
#   scripts/mediawiki-demo.sh
# Installs what is missing (as root; otherwise prints the apt-get line), starts the app with the demo farm off
# (so the console shows only the wikis' real sessions), installs two throwaway wikis (testwiki and test2wiki of
# the seeded farm, SQLite, php -S) pointed at the app (test2wiki with a token reset command, testwiki without),
# plays a few logins, a logout and remember-me logins with curl, and prints where to look. Ctrl-C stops everything and removes the wikis. See docs/mediawiki.md.
# Ports: APP_PORT (5080), WIKI_A_PORT (8081), WIKI_B_PORT (8082).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

APP_PORT=${APP_PORT:-5080}
WIKI_A_PORT=${WIKI_A_PORT:-8081}
WIKI_B_PORT=${WIKI_B_PORT:-8082}
APP=http://127.0.0.1:$APP_PORT
PASSWORD=Demo-password-2026
MW=/usr/share/mediawiki

source scripts/demo-common.sh
demo_prerequisites
demo_free_ports "APP_PORT, WIKI_A_PORT or WIKI_B_PORT" "$APP_PORT" "$WIKI_A_PORT" "$WIKI_B_PORT"
demo_folder mediawiki-demo

echo "Starting WikiSessions at $APP (demo farm off; store in $DEMO/data; output in $DEMO/app.log)..."
# setsid: the app and the processes dotnet run starts form one group, stopped together.
# test2wiki names the command that resets a user's token there, so invalidating a user also ends their
# remember-me logins on it; testwiki names none, so there the Token cookie can bring the user back.
ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=$APP Database__DataFolder=$DEMO/data DemoFarm__Enabled=${DemoFarm__Enabled:-false} \
  MediaWiki__Wikis__test2wiki__ResetTokenCommand="php maintenance/invalidateUserSessions.php --user {user}" \
  MediaWiki__Wikis__test2wiki__WorkingDirectory=$MW \
  MediaWiki__Wikis__test2wiki__Environment__MW_CONFIG_FILE=$DEMO/test2wiki/WikiSessions.php \
  setsid dotnet run --project src/Dashboard --no-launch-profile >"$DEMO/app.log" 2>&1 &
pids+=($!)
wait_for "$APP/health/ready" 600 "WikiSessions"

start_wiki() { # DBNAME PORT
  local db=$1 port=$2 dir=$DEMO/$1 key
  key=$(credential "d['wikiKeys']['$db']")
  mkdir -p "$dir"
  echo "Installing $db at http://127.0.0.1:$port/ (MediaWiki $(sed -n "s/.*MW_VERSION', '\([^']*\)'.*/\1/p" "$MW/includes/Defines.php"), SQLite in $dir)..."
  (cd "$MW" && env -u MW_CONFIG_FILE php maintenance/install.php --dbtype sqlite --dbpath "$dir" --dbname "$db" \
    --server "http://127.0.0.1:$port" --scriptpath "" --confpath "$dir" --pass "$PASSWORD" "Demo $db" Admin >"$dir/install.log")
  # The lines of docs/mediawiki.md: sessions in WikiSessions, authenticated with the wiki's key.
  cat >"$dir/WikiSessions.php" <<EOF
<?php
require __DIR__ . '/LocalSettings.php';
\$wgObjectCaches['sessions'] = [
    'class' => 'RESTBagOStuff',
    'url' => '$APP/sessions/v1/',
    'httpParams' => [
        'readHeaders' => [ 'Authorization' => 'Bearer $key' ],
        'writeHeaders' => [ 'Authorization' => 'Bearer $key', 'content-type' => 'application/octet-stream' ],
        'deleteHeaders' => [ 'Authorization' => 'Bearer $key' ],
        'writeMethod' => 'POST',
    ],
    'serialization_type' => 'JSON',
];
\$wgSessionCacheType = 'sessions';
\$wgMainCacheType = CACHE_DB;
EOF
  for user in "Demo Alice" "Demo Bob" "Demo Carol"; do
    (cd "$MW" && MW_CONFIG_FILE=$dir/WikiSessions.php php maintenance/createAndPromote.php "$user" "$PASSWORD" >/dev/null)
  done
  MW_CONFIG_FILE=$dir/WikiSessions.php setsid php -S "127.0.0.1:$port" -t "$MW" >"$DEMO/$db.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/api.php?action=query&meta=siteinfo&format=json" 30 "$db"
}
start_wiki testwiki "$WIKI_A_PORT"
start_wiki test2wiki "$WIKI_B_PORT"

# One browser = one cookie jar per wiki.
api() { # PORT JAR [curl args...]
  local port=$1 jar=$2; shift 2
  curl -sS -b "$jar" -c "$jar" "$@" "http://127.0.0.1:$port/api.php"
}
login() { # PORT JAR USER [remember]
  local token status
  token=$(api "$1" "$2" -G -d action=query -d meta=tokens -d type=login -d format=json | json query.tokens.logintoken)
  status=$(api "$1" "$2" -d action=clientlogin -d format=json --data-urlencode "username=$3" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "logintoken=$token" -d "loginreturnurl=http://127.0.0.1:$1/" ${4:+-d rememberMe=1} | json clientlogin.status)
  echo "  $3 logs in on port $1${4:+ with remember me}: $status"
}
whoami() { # PORT JAR
  local info
  info=$(api "$1" "$2" -G -d action=query -d meta=userinfo -d format=json -d formatversion=2)
  if [ -n "$(json query.userinfo.anon <<<"$info")" ]; then echo "anonymous"; else json query.userinfo.name <<<"$info"; fi
}
logout() { # PORT JAR
  local token
  token=$(api "$1" "$2" -G -d action=query -d meta=tokens -d format=json | json query.tokens.csrftoken)
  api "$1" "$2" -d action=logout -d format=json --data-urlencode "token=$token" >/dev/null
}

echo "Playing a few logins with curl:"
login "$WIKI_A_PORT" "$DEMO/alice-a.jar" "Demo Alice"
login "$WIKI_B_PORT" "$DEMO/alice-b.jar" "Demo Alice"
echo "  testwiki says Alice's browser is: $(whoami "$WIKI_A_PORT" "$DEMO/alice-a.jar"); test2wiki: $(whoami "$WIKI_B_PORT" "$DEMO/alice-b.jar")"
login "$WIKI_A_PORT" "$DEMO/bob-a.jar" "Demo Bob"
cp "$DEMO/bob-a.jar" "$DEMO/bob-a-copy.jar"
logout "$WIKI_A_PORT" "$DEMO/bob-a.jar"
echo "  Bob logs out of testwiki: now $(whoami "$WIKI_A_PORT" "$DEMO/bob-a.jar"); a copy of his old cookies: $(whoami "$WIKI_A_PORT" "$DEMO/bob-a-copy.jar")"
login "$WIKI_A_PORT" "$DEMO/carol-a.jar" "Demo Carol" remember
login "$WIKI_B_PORT" "$DEMO/carol-b.jar" "Demo Carol" remember
echo "  Carol on testwiki: $(whoami "$WIKI_A_PORT" "$DEMO/carol-a.jar"); on test2wiki: $(whoami "$WIKI_B_PORT" "$DEMO/carol-b.jar") (both with a Token cookie)"

STEWARD=$(credential "[s for s in d['staff'] if s['role']=='steward'][0]['name']")
STEWARD_PASSWORD=$(credential "[s for s in d['staff'] if s['role']=='steward'][0]['password']")
STEWARD_TOKEN=$(credential "[s for s in d['staff'] if s['role']=='steward'][0]['token']")
echo
echo "What the console sees (admin API, active sessions of both wikis):"
for db in testwiki test2wiki; do
  curl -sS -H "Authorization: Bearer $STEWARD_TOKEN" "$APP/api/v1/admin/sessions?wiki=$db&active=true&pageSize=100" | python3 -c '
import json,sys
for s in json.load(sys.stdin)["items"]:
    if s.get("user"): print("  %-10s %-12s %-7s handle %s, remember %s" % (s["wiki"], s["user"], s["provider"], s["handle"], s["remember"]))'
done

cat <<EOF

The console:   $APP   (log in as $STEWARD / $STEWARD_PASSWORD)
               Sessions, filtered by wiki testwiki or test2wiki, show the wikis' real sessions.
The wikis:     http://127.0.0.1:$WIKI_A_PORT/index.php?title=Special:UserLogin   (testwiki)
               http://127.0.0.1:$WIKI_B_PORT/index.php?title=Special:UserLogin   (test2wiki)
               users Demo Alice, Demo Bob, Demo Carol; password $PASSWORD
Try:           revoke Alice's testwiki session in the console, then ask testwiki who she is:
                 curl -s -b $DEMO/alice-a.jar 'http://127.0.0.1:$WIKI_A_PORT/api.php?action=query&meta=userinfo&format=json'
               invalidate Demo Carol in the console (the answer names testwiki), then ask both wikis:
                 curl -s -b $DEMO/carol-a.jar 'http://127.0.0.1:$WIKI_A_PORT/api.php?action=query&meta=userinfo&format=json'
                 curl -s -b $DEMO/carol-b.jar 'http://127.0.0.1:$WIKI_B_PORT/api.php?action=query&meta=userinfo&format=json'
               test2wiki ran its token reset: she is anonymous there. On testwiki her Token cookie brings her back,
               and the console flags the new session as a resurrection; this ends it for good:
                 (cd $MW && MW_CONFIG_FILE=$DEMO/testwiki/WikiSessions.php php maintenance/invalidateUserSessions.php --user 'Demo Carol')
Logs:          $DEMO/app.log, $DEMO/testwiki.log, $DEMO/test2wiki.log

Ctrl-C stops everything.
EOF
wait
