#!/usr/bin/env bash
# Push and pull throughput of a catalog image against the reference registry
# (docker-registry on loopback, plain HTTP), buckle side by side with skopeo, in one
# run, each on a fresh registry. Prints wall seconds and MiB/s of image blobs.
#   usage: scripts/bench/registry.sh [LAYOUT] [ROUNDS]   (default out/python, 3)
# Build the layout first: cargo run --release -p buckle-cli -- build catalog/python.toml
set -euo pipefail
cd "$(dirname "$0")/../.."
LAYOUT=${1:-out/python}
ROUNDS=${2:-3}
BUCKLE=${BUCKLE:-}
[ -n "$BUCKLE" ] || { cargo build --release -q -p buckle-cli; BUCKLE=target/release/buckle; }
WORK=$(mktemp -d)
REGISTRY_PID=
stop() { [ -z "$REGISTRY_PID" ] || { kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null || true; }; }
trap 'stop; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOST=127.0.0.1:$PORT

start() { # a fresh registry with empty storage
  stop; rm -rf "$WORK/storage"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
    "$WORK/storage" "$HOST" > "$WORK/config.yml"
  docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 & REGISTRY_PID=$!
  for _ in $(seq 100); do curl -sf "http://$HOST/v2/" >/dev/null && return; sleep 0.1; done
  cat "$WORK/registry.log"; exit 1
}

BYTES=$(du -sb "$LAYOUT/blobs" | cut -f1)
timed() { # NAME CMD... -> "name seconds MiB/s"
  local name=$1; shift
  local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }; t1=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'{sys.argv[3]:<40} {s:7.2f} s {int(sys.argv[4])/s/2**20:8.1f} MiB/s')" "$t0" "$t1" "$name" "$BYTES"
}

echo "image: $LAYOUT, $((BYTES / 1024 / 1024)) MiB of blobs; $(nproc) cores; $(date -u +%F)"
for round in $(seq "$ROUNDS"); do
  start
  timed "buckle push (round $round)" $BUCKLE -q push --insecure "$LAYOUT" "$HOST/bench/buckle:latest"
  timed "buckle pull (round $round)" $BUCKLE -q pull --insecure "$HOST/bench/buckle:latest" "$WORK/pulled-buckle"
  timed "buckle push again, unchanged (round $round)" $BUCKLE -q push --insecure "$LAYOUT" "$HOST/bench/buckle:latest"
  start
  timed "skopeo copy oci: -> docker:// (round $round)" skopeo copy -q --all --preserve-digests --dest-tls-verify=false \
    "oci:$LAYOUT:latest" "docker://$HOST/bench/skopeo:latest"
  rm -rf "$WORK/pulled-skopeo"
  timed "skopeo copy docker:// -> oci: (round $round)" skopeo copy -q --all --preserve-digests --src-tls-verify=false \
    "docker://$HOST/bench/skopeo:latest" "oci:$WORK/pulled-skopeo:latest"
  rm -rf "$WORK/pulled-buckle" "$WORK/pulled-skopeo"
done
