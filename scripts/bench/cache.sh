#!/usr/bin/env bash
# Warm builds of one catalog image (amd64) side by side in one run: buckle through its
# layer cache, buckle without it (--no-layer-cache), and mmdebstrap --variant=extract
# of the same .debs from a local flat repository (so neither downloads anything); then
# a one-package bump: one leaf package of the lock replaced by a new version (the same
# .deb with its version raised and one file changed), rebuilt through the cache.
# Prints wall time, CPU time and peak memory of each, and the bytes each build compressed.
#   usage: scripts/bench/cache.sh [SPEC [LEAF]]   (default catalog/python.toml netbase)
set -euo pipefail
cd "$(dirname "$0")/../.."
SPEC=${1:-catalog/python.toml}
LEAF=${2:-netbase}
BUCKLE=$PWD/target/release/buckle
cargo build --release -q -p buckle-cli
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
CACHE=$WORK/cache

measure() { # NAME CMD... -> one line: name, wall s, cpu s, max RSS MiB
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
  read -r wall user sys rss < "$WORK/time"
  printf '%-44s %8.2f s %8.2f s %6.0f MiB\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}
compressed() { # bytes of the layers a build --json compressed (not reused), and of all
  python3 -c 'import json,sys; l=[x for r in json.load(open(sys.argv[1])) for i in r["images"] for x in i["layers"]]; print(sum(x["size"] for x in l if not x["reused"]), sum(x["size"] for x in l))' "$1"
}

cp "$SPEC" "$WORK/spec.toml"; [ -d "$(dirname "$SPEC")/files" ] && cp -r "$(dirname "$SPEC")/files" "$WORK/"
cd "$WORK"
B=("$BUCKLE" -q --cache "$CACHE")
"${B[@]}" lock spec.toml
"${B[@]}" build spec.toml --arch amd64 -o cold >/dev/null          # downloads, fills the layer cache
# The same .debs as a flat repository for mmdebstrap.
mkdir repo
python3 - "$CACHE" > names <<'PY'
import os, sys, tomllib
lock = tomllib.load(open("spec.lock", "rb"))
pkgs = lock["images"]["amd64"]["runtime"]
for p in pkgs:
    os.link(f"{sys.argv[1]}/blobs/sha256/{p['sha256']}", f"repo/{p['path'].rsplit('/', 1)[1]}")
print(",".join(p["name"] for p in pkgs))
PY
(cd repo && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages)
# What the lock's packages depend on but the spec excludes (python: dpkg, debconf, mawk,
# tar) gets an empty stand-in, so that apt accepts the flat repository: the peer then
# extracts the same .debs plus these few empty ones.
python3 - <<'PY' > standins
import re
names, provided, wanted = set(), set(), set()
for para in open("repo/Packages").read().split("\n\n"):
    fields = dict(re.findall(r"^([\w-]+): (.*)$", para, re.M))
    if "Package" not in fields:
        continue
    names.add(fields["Package"])
    provided |= {p.split()[0] for p in fields.get("Provides", "").split(",") if p.strip()}
    for field in ("Depends", "Pre-Depends"):
        for group in fields.get(field, "").split(","):
            alternatives = [a.split()[0].split(":")[0] for a in group.split("|") if a.strip()]
            if alternatives and not any(a in names or a in provided for a in alternatives):
                wanted.add(alternatives[0])
print("\n".join(sorted(wanted - names - provided)))
PY
while read -r name; do
  [ -n "$name" ] || continue
  mkdir -p "standin/$name/DEBIAN"
  printf 'Package: %s\nVersion: 999\nArchitecture: all\nMaintainer: bench <bench@invalid>\nDescription: empty stand-in\n' "$name" > "standin/$name/DEBIAN/control"
  dpkg-deb --root-owner-group -b "standin/$name" "repo/$name.deb" >/dev/null
done < standins
(cd repo && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages)
echo "stand-ins for excluded packages: $(paste -sd' ' standins)"

printf '%-44s %10s %10s %10s\n' "step" "wall" "cpu" "peak RSS"
measure "buckle build, warm, layer cache" "${B[@]}" build spec.toml --arch amd64 -o warm --json
read -r hit_compressed total < <(compressed out)
measure "buckle build, warm, --no-layer-cache" "${B[@]}" build spec.toml --arch amd64 -o nocache --no-layer-cache
cmp <(find warm -type f | sort | xargs cat) <(find nocache -type f | sort | xargs cat) && echo "(layer cache hit == no cache: same bytes)"

# One-package bump: LEAF at version +bump1, with one changed file, as a new .deb.
python3 - "$LEAF" "$CACHE" <<'PY'
import hashlib, os, re, shutil, subprocess, sys, tomllib
leaf, cache = sys.argv[1], sys.argv[2]
text = open("spec.lock").read()
p = next(p for p in tomllib.load(open("spec.lock", "rb"))["images"]["amd64"]["runtime"] if p["name"] == leaf)
subprocess.run(["dpkg-deb", "-R", f"{cache}/blobs/sha256/{p['sha256']}", "bump"], check=True)
control = open("bump/DEBIAN/control").read()
new_version = p["version"] + "+bump1"
open("bump/DEBIAN/control", "w").write(re.sub(r"(?m)^Version: .*$", f"Version: {new_version}", control))
changed = next(os.path.join(d, f) for d, _, fs in os.walk("bump") if "DEBIAN" not in d for f in sorted(fs))
open(changed, "a").write("\n# bumped\n")
subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "-b", "bump", "bump.deb"], check=True, capture_output=True)
data = open("bump.deb", "rb").read()
sha = hashlib.sha256(data).hexdigest()
shutil.copy("bump.deb", f"{cache}/blobs/sha256/{sha}")
lines = []
for line in text.splitlines(keepends=True):
    if f'name = "{leaf}"' in line and f'sha256 = "{p["sha256"]}"' in line:
        line = line.replace(f'version = "{p["version"]}"', f'version = "{new_version}"', 1)
        line = line.replace(f'size = {p["size"]},', f'size = {len(data)},').replace(p["sha256"], sha)
    lines.append(line)
text = "".join(lines)
open("spec.lock", "w").write(text)
PY
measure "buckle build, one-package bump ($LEAF)" "${B[@]}" build spec.toml --arch amd64 -o bumped --json
read -r bump_compressed _ < <(compressed out)
echo
echo "bytes compressed: full build $total, warm hit $hit_compressed, one-package bump $bump_compressed"
python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))[0]["images"][0]; print("bump: layers reused", i["layers_reused"], "rebuilt", i["layers_rebuilt"], [l["name"] for l in i["layers"] if not l["reused"]])' out
measure "mmdebstrap --variant=extract, local .debs" mmdebstrap --quiet --variant=extract --include="$(cat names)" \
  trixie extract.tar "deb [trusted=yes] copy://$WORK/repo ./"
