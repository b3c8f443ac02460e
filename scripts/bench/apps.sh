#!/usr/bin/env bash
# Build times of the test apps (crates/cli/tests/apps) on the catalog's python and node
# images: cold (empty cache: the base's .debs, the wheels or tarballs downloaded), warm
# (same inputs again) and after a one-line change to the app's code. The base locks
# are made first, in a cache of their own, and not timed. Also prints each image's size
# and its Debian and app package counts.
#   usage: scripts/bench/apps.sh   (BUCKLE=path/to/buckle to time another build)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUCKLE=${BUCKLE:-target/release/buckle}
[ -n "${BUCKLE_SKIP_BUILD:-}" ] || cargo build --release -q -p buckle-cli
BUCKLE=$(realpath "$BUCKLE")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/catalog"
cp catalog/python.toml catalog/node.toml "$WORK/catalog/"
cp -r crates/cli/tests/apps/flask crates/cli/tests/apps/express "$WORK/"
cd "$WORK"
ARCH=$(dpkg --print-architecture)
"$BUCKLE" -q --cache locks lock catalog/python.toml catalog/node.toml

measure() { # NAME CMD... -> name and wall seconds
  local name=$1; shift
  /usr/bin/time -f "%e" -o time "$@" >/dev/null 2>err || { cat err; exit 1; }
  printf '%-40s %8.2f s\n' "$name" "$(cat time)"
}

for app in flask express; do
  cache="cache-$app"
  measure "$app: cold (empty download cache)" "$BUCKLE" -q --cache "$cache" build "$app/buckle.toml" --arch "$ARCH" -o "out/$app"
  measure "$app: warm (same inputs)" "$BUCKLE" -q --cache "$cache" build "$app/buckle.toml" --arch "$ARCH" -o "out/$app"
  case $app in
    flask) echo "# one more line" >> flask/src/app.py ;;
    express) echo "// one more line" >> express/src/server.js ;;
  esac
  measure "$app: after a one-line code change" "$BUCKLE" -q --cache "$cache" build "$app/buckle.toml" --arch "$ARCH" -o "out/$app"
  "$BUCKLE" --cache "$cache" --json inspect "out/$app" > inspect.json
  python3 - "$app" <<'PY'
import json, sys
d = json.load(open("inspect.json"))
d = d[0] if isinstance(d, list) else d
size = sum(l.get("size", 0) for l in d.get("layers", []))
print(f"{sys.argv[1]}: {size / 2**20:.1f} MiB compressed, {len(d.get('layers', []))} layers, {len(d.get('packages', []))} Debian packages")
PY
  app_packages=$(python3 -c "import json; print(len(json.load(open('$app/package-lock.json'))['packages']) - 1)" 2>/dev/null \
    || grep -c '==' "$app/requirements.txt")
  echo "$app: $app_packages app packages"
done
