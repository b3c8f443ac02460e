#!/usr/bin/env bash
# Builds the catalog's python image with buckle and the same package roots with
# mmdebstrap + umoci, side by side, from the Debian mirror the host's apt uses.
# Prints wall time, CPU time, peak memory and image size for each.
#   usage: scripts/bench/build.sh [SPEC]   (default catalog/python.toml)
set -euo pipefail
cd "$(dirname "$0")/../.."
SPEC=${1:-catalog/python.toml}
BUCKLE=target/release/buckle
cargo build --release -q -p buckle-cli
MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
ROOTS=$(python3 -c "import tomllib,sys; print(','.join(tomllib.load(open(sys.argv[1],'rb'))['packages']))" "$SPEC")

measure() { # NAME CMD... -> one line: name, wall s, cpu s, max RSS MiB
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
  read -r wall user sys rss < "$WORK/time"
  printf '%-34s %8.2f s %8.2f s %8.0f MiB\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}

printf '%-34s %10s %10s %12s\n' "step" "wall" "cpu" "peak RSS"
cp "$SPEC" "$WORK/spec.toml"; [ -d "$(dirname "$SPEC")/files" ] && cp -r "$(dirname "$SPEC")/files" "$WORK/"
measure "buckle lock" $BUCKLE -q --cache "$WORK/cache" lock "$WORK/spec.toml"
measure "buckle build (cold: downloads)" $BUCKLE -q --cache "$WORK/cache" build "$WORK/spec.toml" --arch amd64 -o "$WORK/buckle-cold"
measure "buckle build (warm cache)" $BUCKLE -q --cache "$WORK/cache" build "$WORK/spec.toml" --arch amd64 -o "$WORK/buckle-warm"
measure "mmdebstrap essential+roots (tar)" mmdebstrap --quiet --variant=essential --include="$ROOTS" trixie "$WORK/rootfs.tar" "$MIRROR"
umoci_build() {
  umoci init --layout "$WORK/umoci" && umoci new --image "$WORK/umoci:latest" &&
  umoci unpack --rootless --image "$WORK/umoci:latest" "$WORK/bundle" &&
  tar -C "$WORK/bundle/rootfs" --exclude='./dev/*' -xf "$WORK/rootfs.tar" &&
  umoci repack --image "$WORK/umoci:latest" "$WORK/bundle"
}
export -f umoci_build; export WORK
measure "umoci layout from that tar" bash -c umoci_build
size() { du -sb "$1/blobs" | cut -f1; }
echo
echo "buckle image:          $(( $(size "$WORK/buckle-warm") / 1024 )) KiB compressed, $($BUCKLE inspect "$WORK/buckle-warm" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))') packages"
echo "mmdebstrap+umoci image: $(( $(size "$WORK/umoci") / 1024 )) KiB compressed, $(tar -xOf "$WORK/rootfs.tar" ./var/lib/dpkg/status | grep -c '^Package:') packages"
