#!/usr/bin/env bash
# A three-wiki CentralAuth farm (loginwiki, enwiki, dewiki) on a running WikiSessions, laid out as Wikimedia's:
# one host name per wiki (<dbname>.$FARM_DOMAIN), host-only central cookies, loginwiki as the central login wiki.
#   APP=http://127.0.0.1:5080 scripts/centralauth-farm.sh
# Debian's MediaWiki 1.39 with CentralAuth REL1_39 unpacked from its tarball, SQLite, one `php -S` per wiki on
# 127.0.0.1; every wiki keeps its sessions, the central sessions and CentralAuth's tokens in the app, PHP-serialized
# and signed, each with its own wiki key (docs/centralauth.md). Prints "Farm ready" and serves until stopped
# (Ctrl-C or TERM stops the wikis and removes the folder). scripts/centralauth-demo.sh and the browser tests run it.
#
# Settings (environment):
#   APP                 the app's address (required)
#   FARM_DOMAIN         the wikis' parent domain (farm.localhost: browsers and curl resolve it to 127.0.0.1 by themselves)
#   LOGIN_PORT EN_PORT DE_PORT   the wikis' ports on 127.0.0.1 (8191, 8192, 8193)
#   FARM_USERS          global accounts to make, separated by '|' ("Farm Ada|Farm Bea|Farm Cy")
#   FARM_PASSWORD       their password (Farm-password-2026)
#   FARM_DIR            where to build (a new temporary folder); removed at the end
#   CENTRALAUTH_TARBALL the extension (../shared/centralauth/CentralAuth-REL1_39.tar.gz beside the repository)
#   WIKI_KEYS_FILE      the wiki keys, as seed-data/demo-credentials.json holds them (that file)
set -euo pipefail
cd "$(dirname "$0")/.."

: "${APP:?Set APP to the address of the running WikiSessions, e.g. APP=http://127.0.0.1:5080}"
FARM_DOMAIN=${FARM_DOMAIN:-farm.localhost}
LOGIN_PORT=${LOGIN_PORT:-8191}
EN_PORT=${EN_PORT:-8192}
DE_PORT=${DE_PORT:-8193}
FARM_USERS=${FARM_USERS:-Farm Ada|Farm Bea|Farm Cy}
FARM_PASSWORD=${FARM_PASSWORD:-Farm-password-2026}
CENTRALAUTH_TARBALL=${CENTRALAUTH_TARBALL:-$(cd .. && pwd)/shared/centralauth/CentralAuth-REL1_39.tar.gz}
WIKI_KEYS_FILE=${WIKI_KEYS_FILE:-seed-data/demo-credentials.json}
MW=/usr/share/mediawiki

if [ ! -f "$CENTRALAUTH_TARBALL" ]; then
  echo "The CentralAuth REL1_39 tarball is missing ($CENTRALAUTH_TARBALL); set CENTRALAUTH_TARBALL to its path." >&2
  exit 2
fi
for need in "$MW/maintenance/install.php" /usr/bin/php; do
  [ -e "$need" ] || { echo "$need is missing: sudo apt-get install -y mediawiki php-sqlite3 php-cli php-curl php-intl php-mbstring php-xml" >&2; exit 2; }
done

FARM_DIR=${FARM_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/wikisessions-centralauth.XXXXXX")}
mkdir -p "$FARM_DIR/data" "$FARM_DIR/CentralAuth"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$FARM_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WIKIS=(loginwiki enwiki dewiki)
declare -A PORT=([loginwiki]=$LOGIN_PORT [enwiki]=$EN_PORT [dewiki]=$DE_PORT)
server() { echo "http://$1.$FARM_DOMAIN:${PORT[$1]}"; }
key() { php -r '$d = json_decode(file_get_contents($argv[1]), true); echo $d["wikiKeys"][$argv[2]];' "$WIKI_KEYS_FILE" "$1"; }

tar xzf "$CENTRALAUTH_TARBALL" -C "$FARM_DIR/CentralAuth"
# The installer must run without MW_CONFIG_FILE, one wiki at a time (they share the data folder); its
# LocalSettings.php is kept for each wiki's secrets.
for db in "${WIKIS[@]}"; do
  mkdir -p "$FARM_DIR/install-$db"
  (cd "$MW" && env -u MW_CONFIG_FILE php maintenance/install.php --dbtype sqlite --dbpath "$FARM_DIR/data" --dbname "$db" \
    --server "$(server "$db")" --scriptpath "" --confpath "$FARM_DIR/install-$db" --pass "$FARM_PASSWORD" "$db" Admin \
    >"$FARM_DIR/install-$db.log" 2>&1) || { echo "install.php failed for $db:" >&2; cat "$FARM_DIR/install-$db.log" >&2; exit 1; }
done

servers="" keys=""
for db in "${WIKIS[@]}"; do
  servers+="'$db' => '$(server "$db")', "
  keys+="'$db' => '$(key "$db")', "
done
HMAC_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
# The farm's one settings file: each wiki's installer settings, the wikis' addresses for CentralLogin, the store
# exactly as docs/centralauth.md configures it (each wiki its own key), and CentralAuth with host-only cookies.
cat >"$FARM_DIR/farm.php" <<EOF
<?php
// The wiki of the request: --wiki=<dbname> for maintenance scripts, FARM_WIKI for each wiki's php -S.
\$farmWiki = defined( 'MW_DB' ) ? MW_DB : getenv( 'FARM_WIKI' );
require __DIR__ . "/install-\$farmWiki/LocalSettings.php";
\$farmServers = [ $servers];
\$farmKeys = [ $keys];

\$wgLocalDatabases = \$wgConf->wikis = array_keys( \$farmServers );
\$wgConf->suffixes = [ 'wiki' ];
\$wgConf->settings = [
    'wgServer' => \$farmServers,
    'wgCanonicalServer' => \$farmServers,
    'wgArticlePath' => [ 'default' => '/index.php/\$1' ],
    'wgScriptPath' => [ 'default' => '' ],
];
\$wgConf->extractAllGlobals( \$wgDBname );

// Sessions, central sessions and CentralAuth's tokens in WikiSessions, as docs/centralauth.md says.
\$farmKey = \$farmKeys[\$wgDBname];
\$wgObjectCaches['wikisessions'] = [
    'class' => 'RESTBagOStuff',
    'url' => '$APP/sessions/v1/',
    'httpParams' => [
        'readHeaders' => [ 'Authorization' => "Bearer \$farmKey" ],
        'writeHeaders' => [ 'Authorization' => "Bearer \$farmKey", 'content-type' => 'application/octet-stream' ],
        'deleteHeaders' => [ 'Authorization' => "Bearer \$farmKey" ],
        'writeMethod' => 'POST',
    ],
    'serialization_type' => 'PHP',
    'hmac_key' => '$HMAC_KEY',
    // Generous for a busy machine (the defaults are 1.2 s and 3 s).
    'connTimeout' => 10,
    'reqTimeout' => 30,
];
\$wgSessionCacheType = \$wgCentralAuthSessionCacheType = \$wgCentralAuthTokenCacheType = 'wikisessions';

// Shared by the web servers and maintenance scripts (docs/mediawiki.md); jobs in each wiki's own database.
\$wgMainCacheType = CACHE_DB;
\$wgJobTypeConf['default'] = [ 'class' => 'JobQueueDB', 'claimTTL' => 3600 ];
\$wgJobRunRate = 0;
\$wgPasswordAttemptThrottle = [];

wfLoadExtension( 'CentralAuth', __DIR__ . '/CentralAuth/extension.json' );
\$wgCentralAuthDatabase = 'centralauth';
\$wgCentralAuthCookies = true;
\$wgCentralAuthLoginWiki = 'loginwiki';
// Host-only central cookies, as on Wikimedia's separate domains: another wiki logs in through loginwiki
// (Special:CentralLogin at login, the auto-login script when visited).
\$wgCentralAuthCookieDomain = '';
\$wgShowExceptionDetails = true;
// What went wrong, for whoever reads the farm's folder (the browser tests print these when they fail).
foreach ( [ 'session', 'CentralAuth', 'exception' ] as \$group ) {
    \$wgDebugLogGroups[\$group] = __DIR__ . "/debug-\$wgDBname-" . strtolower( \$group ) . ".log";
}
EOF

# REL1_39's update.php does not create CentralAuth's tables.
php -r '$db = new PDO("sqlite:" . $argv[1]); $db->exec(str_replace("/*_*/", "", file_get_contents($argv[2])));' \
  "$FARM_DIR/data/centralauth.sqlite" "$FARM_DIR/CentralAuth/schema/sqlite/tables-generated.sql"

export MW_CONFIG_FILE=$FARM_DIR/farm.php MW_INSTALL_PATH=$MW
# Global accounts, made on the login wiki; a login on another wiki attaches the local account there.
IFS='|' read -r -a users <<<"$FARM_USERS"
for user in "${users[@]}"; do
  (cd "$MW" && php maintenance/createAndPromote.php --wiki=loginwiki "$user" "$FARM_PASSWORD" >>"$FARM_DIR/users.log" 2>&1) \
    || { echo "createAndPromote.php failed for $user:" >&2; cat "$FARM_DIR/users.log" >&2; exit 1; }
done

for db in "${WIKIS[@]}"; do
  FARM_WIKI=$db php -S "127.0.0.1:${PORT[$db]}" -t "$MW" >"$FARM_DIR/$db.log" 2>&1 &
  pids+=($!)
done
for db in "${WIKIS[@]}"; do
  deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null --resolve "$db.$FARM_DOMAIN:${PORT[$db]}:127.0.0.1" "$(server "$db")/api.php?action=query&meta=siteinfo&format=json"; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "$db did not answer on port ${PORT[$db]} within 60 s:" >&2; cat "$FARM_DIR/$db.log" >&2; exit 1; fi
    sleep 0.5
  done
done

echo "Farm ready: $(for db in "${WIKIS[@]}"; do printf '%s ' "$(server "$db")"; done)(folder $FARM_DIR, settings $FARM_DIR/farm.php)"
wait
