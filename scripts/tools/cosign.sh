#!/usr/bin/env bash
# Puts cosign (the Debian package, from trixie) at target/tools/bin/cosign for the
# signing interop tests; prints its path. See trixie-deb.sh.
exec bash "$(dirname "$0")/trixie-deb.sh" cosign
