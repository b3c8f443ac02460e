#!/usr/bin/env bash
# How long the catalog's smoke tests take: every catalog spec built in both variants,
# then `buckle test` on each architecture (arm64 under qemu-user, see docs/images.md).
# Prints wall time per spec, variant and architecture, then the total.
#   usage: scripts/bench/catalog-test.sh [SPEC...]   (default: every catalog/*.toml)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUCKLE="$PWD/target/release/buckle"
cargo build --release -q -p buckle-cli
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
cp -r catalog "$WORK/"; rm -f "$WORK"/catalog/*.lock
cd "$WORK"
if [ $# -gt 0 ]; then SPECS=("$@"); else SPECS=(catalog/*.toml); fi
names=(); for spec in "${SPECS[@]}"; do names+=("catalog/$(basename "$spec")"); done

# The programs the static and cc tests run, and the TLS files the Node test uses.
# Service tests (valkey, redis, memcached, httpd) listen on their spec's port.
cat > hello.c <<'C'
#include <stdio.h>
int main(void) { puts("hello from a static binary"); }
C
cat > hello.cc <<'CC'
#include <iostream>
int main() { std::cout << "hello from C++" << std::endl; }
CC
gcc -static -O2 -o hello-static-amd64 hello.c; aarch64-linux-gnu-gcc -static -O2 -o hello-static-arm64 hello.c
g++ -O2 -o hello-cc-amd64 hello.cc; aarch64-linux-gnu-g++ -O2 -o hello-cc-arm64 hello.cc
mkdir smoke
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=buckle smoke CA" \
  -keyout smoke/ca-key.pem -out smoke/ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout smoke/server-key.pem -out smoke/server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > smoke/ext
openssl x509 -req -in smoke/server.csr -CA smoke/ca.pem -CAkey smoke/ca-key.pem -CAcreateserial -days 2 \
  -extfile smoke/ext -out smoke/server.pem 2>/dev/null
chmod 0644 smoke/*
# The application the python-3.11 test runs from a read-only /app.
mkdir app
printf 'TEXT = "imported from a read-only /app"\n' > app/greeting.py
printf 'import platform, ssl, sqlite3, json, zlib\nimport greeting\nprint(greeting.TEXT, "by Python", platform.python_version(), ssl.OPENSSL_VERSION)\n' > app/main.py

for variant in runtime dev; do "$BUCKLE" -q build --variant "$variant" "${names[@]}"; done
start=$(date +%s.%N)
printf '%-22s %-8s %-6s %8s\n' spec variant arch wall
for spec in "${names[@]}"; do
  name=$(basename "$spec" .toml)
  for variant in runtime dev; do
    for arch in amd64 arm64; do
      mount=()
      case $name in
        static) mount=(--mount "$PWD/hello-static-$arch:/hello") ;;
        cc) mount=(--mount "$PWD/hello-cc-$arch:/hello") ;;
        *) if grep -q '/smoke/' "$spec"; then mount=(--mount "$PWD/smoke:/smoke"); fi
           if grep -q '/app/' "$spec"; then mount=(--mount "$PWD/app:/app"); fi ;;
      esac
      t0=$(date +%s.%N)
      "$BUCKLE" -q test "$spec" --variant "$variant" --arch "$arch" "${mount[@]}" >/dev/null
      printf '%-22s %-8s %-6s %7.2fs\n' "$name" "$variant" "$arch" "$(echo "$(date +%s.%N) - $t0" | bc)"
    done
  done
done
printf 'total: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
