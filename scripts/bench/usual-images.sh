#!/usr/bin/env bash
# Compares every catalog image (runtime variant, amd64) with "the usual image" of the same
# software: the package set of the official Debian-based Docker Hub image, reproduced with
# mmdebstrap (--variant=minbase and slim's dpkg excludes: debian:*-slim) plus the package roots
# listed below, from the Debian mirror the host's apt uses (suite, -updates, -security, as
# debian:*-slim's sources). For each image it prints packages, compressed size and the open
# findings of `buckle scan` for both, and writes a markdown table to $OUT/usual-images.md.
#   usage: scripts/bench/usual-images.sh [NAME...]   (default: every catalog spec)
#   env:   BUCKLE  buckle binary (default: target/release/buckle, built first)
#          CACHE   buckle's download cache for the builds (default: $BUCKLE_CACHE or ~/.cache/buckle)
#          FEEDS   cache directory whose vuln/ store `buckle scan` reads (default: CACHE);
#                  fill it first with `buckle --cache FEEDS feeds update --archive-only` (and
#                  `feeds import` the KEV, tracker or OSV files you have)
#          OUT     where images, scans and the table go (default: out/usual)
# Compressed size: buckle's = the sum of the amd64 manifest's layer sizes (what a pull
# transfers; no attachments); the usual image's = `gzip -6 -n` of mmdebstrap's tar, one layer.
# Open findings = the findings of `buckle scan --json` that no VEX statement (automatic or
# given) suppresses; a status file has no file lists, so nothing is suppressed there.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BUCKLE:-}" ]; then cargo build --release -q -p buckle-cli; BUCKLE=target/release/buckle; fi
CACHE=${CACHE:-${BUCKLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/buckle}}
FEEDS=${FEEDS:-$CACHE}
OUT=${OUT:-out/usual}
MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
# The security archive: the URIs of the deb822 stanza whose Suites name a -security suite.
SECURITY=$(awk '/^URIs:/ {u=$2} /^Suites:.*-security/ {print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$SECURITY" ] || SECURITY=$(awk '/^deb / && $3 ~ /-security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$SECURITY" ] || { echo "no -security source in the host's apt configuration" >&2; exit 2; }
mkdir -p "$OUT/buckle" "$OUT/usual" "$OUT/scan"

# NAME | suite | package roots on top of minbase ("-": none) | the official image it stands for
USUAL=$(cat <<'EOF'
static|trixie|-|debian:trixie-slim itself
base|trixie|-|debian:trixie-slim itself
cc|trixie|-|debian:trixie-slim itself (libstdc++6 is in it)
busybox-debug|trixie|busybox-static|debian:trixie-slim + busybox-static (the official busybox image is one static binary with no package database)
python|trixie|ca-certificates netbase tzdata python3|python:3.13-slim-trixie (slim + ca-certificates netbase tzdata + CPython's runtime libraries, approximated by Debian's python3)
python-3.11|bookworm|ca-certificates netbase tzdata python3|python:3.11-slim-bookworm (as python, on bookworm)
node-22|trixie|-|node:22-trixie-slim (slim + the upstream node tarball and yarn, not Debian packages: not in the size)
node-24|trixie|-|node:24-trixie-slim (slim + the upstream node tarball and yarn, not Debian packages: not in the size)
node|trixie|-|node:24-trixie-slim (slim + the upstream node tarball and yarn, not Debian packages: not in the size)
node-20-debian|trixie|nodejs|node:20-trixie-slim, its upstream build approximated by Debian's nodejs
nginx|trixie|nginx libnginx-mod-http-xslt-filter libnginx-mod-http-geoip libnginx-mod-http-image-filter gettext-base curl ca-certificates|nginx:1 (slim + nginx's own packages: nginx with njs, xslt, geoip, image-filter modules, gettext-base, curl; Debian's nginx and modules here, no njs: trixie has none)
ruby-3.3|trixie|ruby3.3 bzip2 ca-certificates libffi-dev libgmp-dev libssl-dev libyaml-dev procps zlib1g-dev|ruby:3.3-slim-trixie (slim + its apt list; Ruby itself approximated by Debian's ruby3.3)
valkey|trixie|valkey-server|valkey:8 (slim + a source build and gosu; approximated by Debian's valkey-server)
redis|trixie|redis-server|redis:8 (slim + a source build and gosu; approximated by Debian's redis-server)
memcached|trixie|memcached|memcached:1 (slim + a source build; approximated by Debian's memcached)
httpd|trixie|apache2-bin ca-certificates libaprutil1-ldap|httpd:2.4 (slim + a source build with its runtime libraries; approximated by apache2-bin)
postgres-17|trixie|postgresql-17 locales libnss-wrapper xz-utils zstd gnupg less|postgres:17 (slim + gnupg less libnss-wrapper xz-utils zstd locales + gosu + postgresql-17, from PostgreSQL's own apt repository there, Debian's here)
haproxy|trixie|haproxy|haproxy:3.0 (slim + a source build; approximated by Debian's haproxy)
java-21|trixie|openjdk-21-jre-headless|Debian's openjdk-21-jre-headless on slim (the official eclipse-temurin is Ubuntu-based)
java-25|trixie|openjdk-25-jre-headless|Debian's openjdk-25-jre-headless on slim (the official eclipse-temurin is Ubuntu-based)
go|trixie-backports|golang-go g++ gcc libc6-dev make pkg-config ca-certificates curl gnupg netbase wget git mercurial openssh-client subversion procps|golang:1-trixie (buildpack-deps:trixie-scm + gcc, g++, libc6-dev, make, pkg-config + the Go tarball; Go here from trixie-backports, as the spec)
php-8.4|trixie|php8.4-cli autoconf dpkg-dev file g++ gcc libc6-dev make pkg-config re2c ca-certificates curl xz-utils|php:8.4-cli-trixie (slim + PHPIZE_DEPS + ca-certificates curl xz-utils + a source build; PHP approximated by Debian's php8.4-cli)
php-fpm-8.4|trixie|php8.4-fpm autoconf dpkg-dev file g++ gcc libc6-dev make pkg-config re2c ca-certificates curl xz-utils|php:8.4-fpm-trixie (as php-8.4, with Debian's php8.4-fpm)
EOF
)

usual_field() { # NAME FIELD(2..4)
  awk -F'|' -v n="$1" -v f="$2" '$1 == n {print $f; found=1} END {exit !found}' <<<"$USUAL"
}

open_findings() { # SCAN.json -> count of findings no VEX suppresses, or "unknown: ..."
  python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
docs = doc if isinstance(doc, list) else [doc]
n = 0
for d in docs:
    for image in d.get("images", [d]):
        for f in image.get("findings", []) + image.get("packageFindings", []):
            if (f.get("vex") or {}).get("status") not in ("not_affected", "fixed"):
                n += 1
print(n)
PY
}

scan() { # TARGET OUT.json [--release R] -> open findings, or "unknown (...)"
  local target=$1 out=$2; shift 2
  if nice -n 19 "$BUCKLE" -q --cache "$FEEDS" scan "$target" --json -o "$out" "$@" 2>"$out.err"; then
    open_findings "$out"
  else
    echo "unknown (scan exit $?: $(head -c 120 "$out.err" | tr '\n' ' '))"
  fi
}

# The usual image of one (suite, roots): packages, gzip size, open findings. Images with the
# same suite and roots (static, base, cc, node-22, node-24, node) are made once.
usual() { # NAME -> "packages|bytes|open findings"
  local name=$1 suite roots key tar status
  suite=$(usual_field "$name" 2); roots=$(usual_field "$name" 3)
  key=$(printf '%s|%s' "$suite" "$roots" | sha256sum | cut -c1-16)
  if [ -s "$OUT/usual/$key.result" ]; then cat "$OUT/usual/$key.result"; return; fi
  local base=$suite extra=() args=(--quiet --variant=minbase --aptopt='APT::Install-Recommends "false"')
  # debian:*-slim's dpkg excludes (debuerreotype's slimify): no docs but copyright, no man
  # or info pages, no translations.
  local p; for p in doc/* info/* linda/* lintian/overrides/* locale/* man/* groff/*; do
    args+=(--dpkgopt="path-exclude=/usr/share/$p"); done
  args+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')
  # As the official openjdk images did on slim: update-alternatives needs man1 to exist.
  args+=(--essential-hook='mkdir -p "$1/usr/share/man/man1"')
  if [ "$suite" = trixie-backports ]; then
    # The spec's rule, the highest version of a package in any suite wins: backports pinned
    # to the same priority as trixie.
    base=trixie
    extra=("deb $MIRROR trixie-backports main")
    args+=(--setup-hook='printf "Package: *\nPin: release n=trixie-backports\nPin-Priority: 500\n" > "$1/etc/apt/preferences.d/backports"')
  fi
  [ "$roots" = - ] || args+=(--include="${roots// /,}")
  tar="$OUT/usual/$name.tar"; status="$OUT/usual/$name.status"
  nice -n 19 mmdebstrap "${args[@]}" "$base" "$tar" \
    "deb $MIRROR $base main" "deb $MIRROR $base-updates main" "deb $SECURITY $base-security main" "${extra[@]}" \
    >"$OUT/usual/$name.log" 2>&1 || { echo "mmdebstrap failed for $name: see $OUT/usual/$name.log" >&2; tail -5 "$OUT/usual/$name.log" >&2; return 1; }
  tar -xOf "$tar" ./var/lib/dpkg/status >"$status"
  local packages bytes open
  packages=$(awk '/^Package:/ {p=1} /^Status: install ok installed/ && p {n++; p=0} /^$/ {p=0} END {print n+0}' "$status")
  bytes=$(nice -n 19 gzip -6 -n -c "$tar" | wc -c)
  rm -f "$tar"
  open=$(scan "$status" "$OUT/scan/usual-$name.json" --release "$base")
  echo "$packages|$bytes|$open" | tee "$OUT/usual/$key.result"
}

buckle_image() { # NAME -> "packages|bytes|open findings"
  local name=$1 dir="$OUT/buckle/$1"
  rm -rf "$dir"
  nice -n 19 "$BUCKLE" -q --cache "$CACHE" build "catalog/$name.toml" --arch amd64 -o "$dir" >"$OUT/buckle/$name.log" 2>&1 \
    || { echo "buckle build failed for $name: see $OUT/buckle/$name.log" >&2; tail -5 "$OUT/buckle/$name.log" >&2; return 1; }
  "$BUCKLE" -q inspect "$dir" --json >"$OUT/buckle/$name.inspect.json"
  local counts open
  counts=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d|%d" % (len(d["packages"]), sum(l["size"] for l in d["layers"])))' "$OUT/buckle/$name.inspect.json")
  open=$(scan "$dir" "$OUT/scan/buckle-$name.json")
  echo "$counts|$open"
}

mb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1e6}'; }

if [ $# -gt 0 ]; then NAMES=("$@"); else
  mapfile -t NAMES < <(awk -F'|' '{print $1}' <<<"$USUAL")
  for spec in catalog/*.toml; do # a spec the table above does not know is named, not skipped silently
    n=$(basename "$spec" .toml); usual_field "$n" 1 >/dev/null || echo "not in the usual table: $n" >&2
  done
fi

TABLE="$OUT/usual-images.md"
{
  echo "| image | buckle packages | buckle compressed | buckle open findings | usual image (package roots on minbase) | usual packages | usual compressed | usual open findings |"
  echo "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
} >"$TABLE"
printf '%-15s %8s %10s %8s | %8s %10s %8s %6s\n' image b.pkgs b.size b.open u.pkgs u.size u.open secs
for name in "${NAMES[@]}"; do
  start=$SECONDS
  [ -f "catalog/$name.toml" ] || { echo "no catalog/$name.toml" >&2; continue; }
  usual_field "$name" 1 >/dev/null || { echo "$name: not in the usual table" >&2; continue; }
  b=$(buckle_image "$name") || b="failed|0|-"
  u=$(usual "$name") || u="failed|0|-"
  IFS='|' read -r bp bb bo <<<"$b"; IFS='|' read -r up ub uo <<<"$u"
  printf '%-15s %8s %10s %8s | %8s %10s %8s %6d\n' "$name" "$bp" "$(mb "$bb")" "$bo" "$up" "$(mb "$ub")" "$uo" $((SECONDS - start))
  roots=$(usual_field "$name" 3); [ "$roots" = - ] && roots="none"
  echo "| \`$name\` | $bp | $(mb "$bb") | $bo | $(usual_field "$name" 4); roots: ${roots// /, } | $up | $(mb "$ub") | $uo |" >>"$TABLE"
done
echo "table: $TABLE"
