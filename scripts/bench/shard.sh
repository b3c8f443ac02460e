#!/usr/bin/env bash
# The catalog rebuilt in N shards at once, N = 1, 2, 3 (docs/deploy.md): shard i of N
# is the specs `buckle update --shard i/N` owns (sorted by file name, dealt out in
# turn), built by its own `buckle build` process in its own directory, as the
# factory's pods do; the cache is warmed first. Prints the wall time per N.
#   usage: scripts/bench/shard.sh            (BUCKLE=path/to/buckle to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BUCKLE:-}" ]; then cargo build --release -q -p buckle-cli; BUCKLE="$PWD/target/release/buckle"; fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
cp -r catalog "$WORK/"
cd "$WORK"
"$BUCKLE" -q build catalog/*.toml >/dev/null        # warm cache, current locks
for N in 1 2 3; do
  start=$(date +%s.%N)
  for ((i = 0; i < N; i++)); do
    mapfile -t specs < <(LC_ALL=C ls catalog/*.toml | awk -v n="$N" -v i="$i" '(NR - 1) % n == i')
    mkdir -p "n$N-$i"
    (cd "n$N-$i" && "$BUCKLE" -q build "${specs[@]/#/../}" >/dev/null) &
  done
  wait
  echo "N=$N: $(echo "$(date +%s.%N) - $start" | bc) s"
done
