#!/usr/bin/env bash
# Puts kustomize (the Debian package, from trixie) at target/tools/bin/kustomize for
# the deployment tests (crates/deploy, feature `validators`); prints its path. See
# trixie-deb.sh.
exec bash "$(dirname "$0")/trixie-deb.sh" kustomize
