#!/usr/bin/env bash
# Build times of the test apps (crates/cli/tests/apps) on the catalog's python and node
# images: cold (empty cache: the base's .debs, the wheels or tarballs downloaded), warm
# (same inputs again) and after a one-line change to the app's code. The base locks
# are made first, in a cache of their own, and not timed. Also prints each image's size
# and its Debian and app package counts. Then the peer, the usual way: the same app in a
# Debian trixie image made by mmdebstrap (minbase + python3 and pip, or nodejs and npm,
# as python:3-slim and node:*-slim are made), dependencies installed by pip
# --require-hashes or npm ci from the same lockfile: build time, gzip size, packages.
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

# The usual way, same apps and lockfiles: mmdebstrap (the host's apt sources) with the
# runtime and its package manager, then the dependencies installed inside, trusting the
# host's CAs while they download (the image keeps its own bundle), from the index and
# registry the host's pip and npm use.
NPM_REGISTRY=$(npm config get registry)
usual() { # APP PACKAGES INSTALL-COMMAND
  local app=$1 packages=$2 install=$3
  rm -f "usual-$app.tar"
  measure "$app: mmdebstrap + ${install%% *}" mmdebstrap --quiet --variant=minbase --include="$packages" \
    --customize-hook="mkdir -p \"\$1/app\" && cp -r $app/. \"\$1/app/\"" \
    --customize-hook='cp "$1/etc/ssl/certs/ca-certificates.crt" "$1/ca.orig" && cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/"' \
    --customize-hook="chroot \"\$1\" env -u PIP_FIND_LINKS -u PIP_CERT NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm_config_registry=$NPM_REGISTRY sh -c 'cd /app && $install'" \
    --customize-hook='mv "$1/ca.orig" "$1/etc/ssl/certs/ca-certificates.crt"' \
    --customize-hook='rm -rf "$1/var/cache/apt" "$1/var/lib/apt/lists" "$1/root/.cache" "$1/root/.npm"' \
    trixie "usual-$app.tar"
  local debs
  debs=$(tar -xOf "usual-$app.tar" ./var/lib/dpkg/status | grep -c '^Package: ')
  printf '%s: %.1f MiB gzip, %s Debian packages, a shell, apt and %s\n' "$app" \
    "$(gzip -6 -c "usual-$app.tar" | wc -c | awk '{ print $1 / 1048576 }')" "$debs" "${install%% *}"
}
usual flask python3,python3-pip,ca-certificates "pip install --quiet --no-cache-dir --break-system-packages --require-hashes -r requirements.txt"
usual express nodejs,npm,ca-certificates "npm ci --omit=dev --ignore-scripts --no-audit --no-fund"
