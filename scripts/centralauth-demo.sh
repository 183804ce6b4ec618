#!/usr/bin/env bash
# A real three-wiki CentralAuth farm (loginwiki, enwiki, dewiki) keeping its local and central sessions in
# WikiSessions, on this machine, in one command:
#   scripts/centralauth-demo.sh
# Installs what is missing (as root; otherwise prints the apt-get line), starts the app with the demo farm off,
# builds the farm with scripts/centralauth-farm.sh (Debian's MediaWiki 1.39, CentralAuth REL1_39 from
# ../shared/centralauth, SQLite, one php -S per wiki, a host name per wiki under farm.localhost), logs a user in on
# enwiki through Special:CentralLogin with curl, logs another in and out, and prints where to look.
# Ctrl-C stops everything and removes the farm. See docs/centralauth.md.
# Ports: APP_PORT (5080), LOGIN_PORT (8191), EN_PORT (8192), DE_PORT (8193).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

APP_PORT=${APP_PORT:-5080}
export LOGIN_PORT=${LOGIN_PORT:-8191} EN_PORT=${EN_PORT:-8192} DE_PORT=${DE_PORT:-8193}
export APP=http://127.0.0.1:$APP_PORT FARM_DOMAIN=farm.localhost FARM_PASSWORD=Farm-password-2026
export FARM_USERS="Farm Ada|Farm Bea|Farm Cy"
export CENTRALAUTH_TARBALL=${CENTRALAUTH_TARBALL:-$(cd .. && pwd)/shared/centralauth/CentralAuth-REL1_39.tar.gz}
MW=/usr/share/mediawiki

if [ ! -f "$CENTRALAUTH_TARBALL" ]; then
  echo "The CentralAuth REL1_39 tarball is missing ($CENTRALAUTH_TARBALL); no package registry has it. Set CENTRALAUTH_TARBALL to its path."
  exit 1
fi
source scripts/demo-common.sh
demo_prerequisites
demo_free_ports "APP_PORT, LOGIN_PORT, EN_PORT or DE_PORT" "$APP_PORT" "$LOGIN_PORT" "$EN_PORT" "$DE_PORT"
demo_folder centralauth-demo
export FARM_DIR=$DEMO/farm

echo "Starting WikiSessions at $APP (demo farm off; store in $DEMO/data; output in $DEMO/app.log)..."
# enwiki names the command that resets a user's global token: CentralAuth's provider resets it farm-wide, so a
# steward's action also ends the user's remember-me logins on every wiki.
ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=$APP Database__DataFolder=$DEMO/data DemoFarm__Enabled=${DemoFarm__Enabled:-false} \
  MediaWiki__Wikis__enwiki__ResetTokenCommand="php maintenance/invalidateUserSessions.php --wiki=enwiki --user {user}" \
  MediaWiki__Wikis__enwiki__WorkingDirectory=$MW \
  MediaWiki__Wikis__enwiki__Environment__MW_CONFIG_FILE=$FARM_DIR/farm.php \
  MediaWiki__Wikis__enwiki__Environment__MW_INSTALL_PATH=$MW \
  setsid dotnet run --project src/Dashboard --no-launch-profile >"$DEMO/app.log" 2>&1 &
pids+=($!)
wait_for "$APP/health/ready" 600 "WikiSessions"

echo "Building the farm (about a minute): loginwiki, enwiki, dewiki under $FARM_DOMAIN, sessions in the app..."
setsid scripts/centralauth-farm.sh >"$DEMO/farm.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 600))
until grep -q "^Farm ready" "$DEMO/farm.log"; do
  if ! kill -0 "${pids[-1]}" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then echo "The farm did not start:"; cat "$DEMO/farm.log"; exit 1; fi
  sleep 1
done

wiki() { echo "http://$1.$FARM_DOMAIN:$2"; }
LOGIN=$(wiki loginwiki "$LOGIN_PORT") EN=$(wiki enwiki "$EN_PORT") DE=$(wiki dewiki "$DE_PORT")
# One browser = one cookie jar (cookies are host-only: each wiki's and loginwiki's are kept apart, as in a browser).
whoami() { # WIKI JAR
  local info
  info=$(curl -sS -b "$2" -c "$2" "$1/api.php?action=query&meta=userinfo&format=json&formatversion=2")
  if [ -n "$(json query.userinfo.anon <<<"$info")" ]; then echo "anonymous"; else json query.userinfo.name <<<"$info"; fi
}
# The web login, as a browser does it: Special:UserLogin on the wiki, then Special:CentralLogin/start on loginwiki
# (the central cookies) and /complete back on the wiki. An API login would never reach loginwiki with host-only cookies.
web_login() { # WIKI JAR USER
  local token
  token=$(curl -sS -b "$2" -c "$2" "$1/index.php?title=Special:UserLogin" | sed -n 's/.*name="wpLoginToken"[^>]*value="\([^"]*\)".*/\1/p' | head -1)
  curl -sS -L -o /dev/null -b "$2" -c "$2" "$1/index.php?title=Special:UserLogin&returnto=Main_Page" \
    --data-urlencode "wpName=$3" --data-urlencode "wpPassword=$FARM_PASSWORD" --data-urlencode "wpLoginToken=$token" \
    -d wpLoginAttempt=Log+in -d authAction=login -d force= -d title=Special:UserLogin
  echo "  $3 logs in on enwiki through Special:CentralLogin: enwiki says $(whoami "$1" "$2"), loginwiki says $(whoami "$LOGIN" "$2")"
}
logout() { # WIKI JAR
  local token
  token=$(curl -sS -b "$2" -c "$2" "$1/api.php?action=query&meta=tokens&format=json" | json query.tokens.csrftoken)
  curl -sS -o /dev/null -b "$2" -c "$2" "$1/api.php" -d action=logout -d format=json --data-urlencode "token=$token"
}

echo "Playing logins with curl:"
web_login "$EN" "$DEMO/ada.jar" "Farm Ada"
web_login "$EN" "$DEMO/bea.jar" "Farm Bea"
logout "$EN" "$DEMO/bea.jar"
echo "  Farm Bea logs out on enwiki: enwiki says $(whoami "$EN" "$DEMO/bea.jar"), loginwiki says $(whoami "$LOGIN" "$DEMO/bea.jar")"

STEWARD=$(credential "[s for s in d['staff'] if s['role']=='steward'][0]['name']")
STEWARD_PASSWORD=$(credential "[s for s in d['staff'] if s['role']=='steward'][0]['password']")
STEWARD_TOKEN=$(credential "[s for s in d['staff'] if s['role']=='steward'][0]['token']")
echo
echo "What the console sees of Farm Ada (GET /api/v1/admin/users/Farm%20Ada):"
curl -sS -H "Authorization: Bearer $STEWARD_TOKEN" "$APP/api/v1/admin/users/Farm%20Ada" | python3 -c '
import json,sys
u=json.load(sys.stdin)
if "activeSessions" not in u: sys.exit("  the console does not know Farm Ada: %s" % u.get("detail", u))
for s in u["activeSessions"]: print("  session %-10s %s, central session %s" % (s["wiki"], s["handle"], s.get("centralSessionHandle")))
for c in u["centralSessions"]: print("  central session %s, expires %s, linked wikis: %s" % (c["handle"], c["expiresAt"], ", ".join(c["wikis"]) or "none yet"))' || true
echo "Farm Bea's logout traces:"
curl -sS -H "Authorization: Bearer $STEWARD_TOKEN" "$APP/api/v1/admin/logout-traces?user=Farm%20Bea" | python3 -c '
import json,sys
for t in json.load(sys.stdin)["items"]: print("  trace %s on %s: %s" % (t["traceId"], t["wiki"], t["outcome"]))'

cat <<EOF

The console:   $APP/users/Farm%20Ada   (log in as $STEWARD / $STEWARD_PASSWORD)
The wikis:     $EN/index.php?title=Special:UserLogin   (enwiki)
               $DE/index.php/Main_Page   (dewiki: a browser logged in on enwiki is logged in here by CentralAuth's script)
               $LOGIN/index.php/Main_Page   (loginwiki, the central login wiki)
               users Farm Ada, Farm Bea, Farm Cy; password $FARM_PASSWORD
               (Chromium and Firefox resolve *.localhost to this machine by themselves)
Try:           log in as Farm Cy on enwiki in a browser, open dewiki, log out there, and open Logout traces in the console.
               Farm Ada's curl browser:  curl -s -b $DEMO/ada.jar '$EN/api.php?action=query&meta=userinfo&format=json'
Logs:          $DEMO/app.log, $DEMO/farm.log, $FARM_DIR/*.log

Ctrl-C stops everything.
EOF
wait
