#!/usr/bin/env bash
# The whole catalog, both variants, both architectures (each spec's own), with every
# .deb already downloaded: built through the layer cache (filled by a first build) and
# again with --no-layer-cache (every layer unpacked and compressed again), same run.
# Prints wall time, CPU time and peak memory of each, and whether the layouts are equal.
#   usage: scripts/bench/catalog-cache.sh [SPEC...]   (default: the image specs of
#          catalog/; BUCKLE=path/to/buckle to time another build; BUCKLE_BENCH_CACHE=DIR
#          to start from a download cache that already holds the .debs)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUCKLE=${BUCKLE:-target/release/buckle}
[ -n "${BUCKLE_SKIP_BUILD:-}" ] || cargo build --release -q -p buckle-cli
BUCKLE=$(realpath "$BUCKLE")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
SPECS=("$@")
# App specs (catalog/buckle.toml) build on an image spec and are not image specs.
[ $# -gt 0 ] || mapfile -t SPECS < <(grep -L '^base *=' catalog/*.toml)
mkdir "$WORK/catalog"; cp -r catalog/files "$WORK/catalog/"; cp "${SPECS[@]}" "$WORK/catalog/"
cd "$WORK"
B=("$BUCKLE" -q --cache "${BUCKLE_BENCH_CACHE:-$WORK/cache}")
"${B[@]}" lock catalog/*.toml

measure() { # NAME CMD... -> name, wall s, cpu s, max RSS MiB
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o time "$@" >/dev/null 2>err || { cat err; exit 1; }
  read -r wall user sys rss < time
  printf '%-48s %8.2f s %8.2f s %6.0f MiB\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}
build_all() { # OUT FLAGS...
  local out=$1; shift
  for spec in catalog/*.toml; do
    name=$(basename "$spec" .toml)
    "${B[@]}" build "$spec" -o "$out/$name" "$@"
    "${B[@]}" build "$spec" --variant dev -o "$out/$name-dev" "$@"
  done
}
build_all first                     # downloads every .deb, fills the layer cache
printf '%-48s %10s %10s %10s\n' step wall cpu "peak RSS"
measure "catalog, both variants and arches, layer cache" bash -c "$(declare -p B); $(declare -f build_all); build_all cached"
measure "catalog, both variants and arches, --no-layer-cache" bash -c "$(declare -p B); $(declare -f build_all); build_all uncached --no-layer-cache"
layouts=$(ls cached | wc -l)
if diff -r cached uncached >/dev/null; then echo "the $layouts layouts are byte-identical"; else echo "LAYOUTS DIFFER"; exit 1; fi
