#!/usr/bin/env bash
# Lets this amd64 machine run arm64 binaries, so that the tests run arm64 images in runc:
# Debian's qemu-user-static registered in binfmt_misc with flag F (the kernel opens the
# emulator at registration, so it is found inside a container's root too).
set -euo pipefail
entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
[ "$(uname -m)" = aarch64 ] && exit 0
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ -e "$entry" ] && ! grep -q '^flags: .*F' "$entry"; then
  echo -1 > "$entry"   # registered without F (useless in a container): register again
fi
[ -e "$entry" ] || cat "$conf" > /proc/sys/fs/binfmt_misc/register
grep -q '^enabled' "$entry" || echo 1 > "$entry"
