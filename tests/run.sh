#!/usr/bin/env bash
# Restores, builds and runs every test project of the solution, then prints "N passed, N failed"
# as its last line, counted from the TRX result files the test runs wrote.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The browser tests drive Debian's Chromium (Playwright's own browser download does not work here), the
# scale-out test starts Debian's redis-server on a loopback port, the PostgreSQL tests start a cluster of their own
# from Debian's postgresql 15 (as the postgres user when run as root), and the MediaWiki tests install two throwaway
# wikis from Debian's mediawiki package and serve them with PHP (php-curl carries the wiki key). Installed here
# when missing, as root. The CentralAuth farm tests also unpack ../shared/centralauth/CentralAuth-REL1_39.tar.gz
# (CENTRALAUTH_TARBALL overrides the path); no registry serves it, so it is not installed here, and under CI the
# tests fail without it.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -d /usr/share/mediawiki ] || missing+=(mediawiki)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
command -v php >/dev/null || missing+=(php-cli)
for package in php-sqlite3 php-curl php-intl php-mbstring php-xml; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null || { echo "Installing ${missing[*]} failed; see above."; exit 1; }
  else
    echo "The tests need ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

tarball=${CENTRALAUTH_TARBALL:-../shared/centralauth/CentralAuth-REL1_39.tar.gz}
[ -f "$tarball" ] || echo "The CentralAuth farm tests need $tarball (the extension, branch REL1_39); without it they are skipped, or fail under CI."

results=tests/results
rm -rf "$results"

dotnet tool restore >/dev/null &&
  dotnet restore Dashboard.sln &&
  dotnet build Dashboard.sln --no-restore
build=$?

status=$build
if [ "$build" -eq 0 ]; then
  # One test project at a time: the browser tests need the cores the in-process tests would take.
  dotnet test Dashboard.sln --no-build -m:1 --logger trx --results-directory "$results" --blame-hang-timeout 10m --blame-hang-dump-type none
  status=$?
fi

passed=0
failed=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
trx_count=$(ls "$results"/*.trx 2>/dev/null | wc -l)
if [ "$trx_count" -eq 0 ]; then
  echo "No test results were written (the build or the test host failed; see above)."
  [ "$status" -eq 0 ] && status=1
fi
[ "$failed" -gt 0 ] && [ "$status" -eq 0 ] && status=1
echo "$passed passed, $failed failed"
exit "$status"
