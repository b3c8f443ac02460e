#!/usr/bin/env bash
# Puts oras (the Debian package, from trixie) at target/tools/bin/oras for the layout
# interop tests; prints its path. See trixie-deb.sh.
exec bash "$(dirname "$0")/trixie-deb.sh" oras
