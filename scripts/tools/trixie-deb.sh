#!/usr/bin/env bash
# Puts the binary /usr/bin/PACKAGE of a Debian trixie package at target/tools/bin/PACKAGE
# (usage: trixie-deb.sh PACKAGE). The host is bookworm, whose archive lacks some tools
# the interop tests use, so this downloads the trixie .deb with a private apt
# configuration that points at the same mirror the host's apt uses (read from its
# sources, never written here) and unpacks it; the host's apt state is not touched.
# Prints the path of the binary.
set -euo pipefail
PACKAGE="${1:?usage: trixie-deb.sh PACKAGE}"
cd "$(dirname "$0")/../.."
TOOLS="$PWD/target/tools"
BIN="$TOOLS/bin/$PACKAGE"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

# The host's Debian mirror: the first URI of a main-archive source that is not the
# security archive, from deb822 .sources files or one-line sources.list entries.
mirror_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' "$f"
  done
}
URI="$(mirror_uri | head -n 1)"
[ -n "$URI" ] || { echo "trixie-deb.sh: no Debian mirror found in /etc/apt sources" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/etc/preferences.d"
cat > "$WORK/etc/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI trixie main
SOURCES
APT=(-o Dir::Etc::SourceList="$WORK/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::Etc::Preferences="$WORK/etc/preferences" -o Dir::Etc::PreferencesParts="$WORK/etc/preferences.d"
     -o Dir::State::Lists="$WORK/lists" -o Dir::Cache="$WORK/cache"
     -o APT::Architecture="$(dpkg --print-architecture)" -o APT::Sandbox::User=root
     -o Debug::NoLocking=1)
apt-get "${APT[@]}" update -qq >&2
(cd "$WORK" && apt-get "${APT[@]}" download -qq "$PACKAGE" >&2)
DEB="$(ls "$WORK"/"$PACKAGE"_*.deb)"
dpkg-deb -x "$DEB" "$WORK/root"
mkdir -p "$TOOLS/bin"
install -m 0755 "$WORK/root/usr/bin/$PACKAGE" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
echo "$BIN"
