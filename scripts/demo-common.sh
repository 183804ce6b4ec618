# Shared by the demo scripts (sourced from the repository's root): prerequisites, free ports, the demo folder that
# Ctrl-C removes with every process started into pids, and small helpers.

# Installs what the wikis need (as root), or stops with the apt-get line to run.
demo_prerequisites() {
  missing=()
  [ -d "$MW" ] || missing+=(mediawiki)
  command -v php >/dev/null || missing+=(php-cli)
  for package in php-sqlite3 php-curl php-intl php-mbstring php-xml; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
      echo "Installing ${missing[*]} (about two minutes)..."
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "The demo needs ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}"
      exit 1
    fi
  fi
}

# demo_free_ports HINT PORT...: stops, naming the settings in HINT, when one of the ports is taken.
demo_free_ports() {
  local hint=$1 port
  shift
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "Port $port is in use; set $hint to free ports."
      exit 1
    fi
  done
}

# demo_folder NAME: sets DEMO to a new folder, removed on exit with every process group in pids.
demo_folder() {
  DEMO=$(mktemp -d "${TMPDIR:-/tmp}/wikisessions-$1.XXXXXX")
  pids=()
  trap demo_cleanup EXIT
  trap 'exit 130' INT TERM
}

demo_cleanup() {
  trap - EXIT INT TERM
  echo
  echo "Stopping the wikis and the app..."
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DEMO"
}

# A value from a JSON document on stdin: json query.userinfo.name
json() { python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d.get(k)
print("" if d is None else d)' "$1"; }
credential() { python3 -c "import json;d=json.load(open('seed-data/demo-credentials.json'));print($1)"; }

wait_for() { # URL SECONDS WHAT
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "$3 did not answer at $1 within $2 s; see $DEMO/*.log"; exit 1; fi
    sleep 1
  done
}
