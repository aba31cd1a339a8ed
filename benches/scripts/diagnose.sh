#!/usr/bin/env bash
# Times `agora diagnose` against one `agora solve` of the same day, at about 10^5 edges: the
# generated medium day (seed 1, 84,279 edges) with its new-creator floor raised sixfold and made
# hard, which makes it infeasible. Prints both wall times and their ratio.
#   benches/scripts/diagnose.sh [PROFILE]   (PROFILE: dev, the default, or release)
set -euo pipefail
cd "$(dirname "$0")/../.."
PROFILE="${1:-dev}"
cargo build -q -p agora-cli --profile "$PROFILE"
BIN="target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/agora"
DIR="$(mktemp -d)"; trap 'rm -rf "$DIR"' EXIT
"$BIN" generate --size medium --seed 1 --out "$DIR/day.json" >/dev/null
python3 - "$DIR" <<'PY'
import json, sys
d = json.load(open(f"{sys.argv[1]}/day.json"))
for c in d["constraints"]:
    if c["name"] == "new-creator-exposure":
        c["min"] *= 6
        c.pop("penalty", None)
json.dump(d, open(f"{sys.argv[1]}/infeasible.json", "w"))
PY
t() { python3 -c 'import subprocess, sys, time; s = time.time(); subprocess.run(sys.argv[1:], capture_output=True); print(f"{time.time() - s:.2f}")' "$@"; }
solve=$(t "$BIN" solve "$DIR/day.json")
diag=$(t "$BIN" diagnose "$DIR/infeasible.json")
echo "solve (feasible day) ${solve} s; diagnose (infeasible day) ${diag} s; ratio $(python3 -c "print(f'{$diag / $solve:.1f}')")"
