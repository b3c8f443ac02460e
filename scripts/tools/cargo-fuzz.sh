#!/usr/bin/env bash
# Puts cargo-fuzz (pinned, from crates.io, with its own lock file) at
# target/tools/bin/cargo-fuzz for scripts/fuzz. Prints the path of the binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=0.13.1
TOOLS="$PWD/target/tools"
BIN="$TOOLS/bin/cargo-fuzz"
if [ -x "$BIN" ] && "$BIN" fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $VERSION"; then
  echo "$BIN"; exit 0
fi
cargo install --quiet --locked cargo-fuzz --version "$VERSION" --root "$TOOLS" >&2
echo "$BIN"
