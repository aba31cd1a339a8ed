#!/usr/bin/env bash
# Times `agora solve` on the MovieLens day built from directors (issue 33: `agora import movielens
# data/ml-100k --creators directors`) as an LP and as QPs (rho 0.5, 5, 50), under `--backend auto`
# and `--backend clarabel`: the median wall time of 5 runs of the whole process, and how it ended.
# With BASELINE (another build of agora, e.g. main's), the same runs of it on the same files.
#   benches/scripts/directors_day.sh [BASELINE]   (needs scripts/fetch-data.sh; builds release)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release -p agora-cli
BIN="target/release/agora"
DIR="$(mktemp -d)"; trap 'rm -rf "$DIR"' EXIT
"$BIN" import movielens data/ml-100k --creators directors --out "$DIR/day-0.json" >/dev/null
python3 - "$DIR" <<'PY'
import json, sys
d = json.load(open(f"{sys.argv[1]}/day-0.json"))
for rho in ("0.5", "5", "50"):
    d["objective"]["regularization"] = float(rho)
    json.dump(d, open(f"{sys.argv[1]}/day-{rho}.json", "w"))
PY
time_runs() {
  python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
walls, status = [], "?"
for _ in range(5):
    s = time.time()
    r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    walls.append(time.time() - s)
    status = next((l.split()[1] for l in r.stdout.splitlines() if l.startswith("status")), "error")
print(f"{statistics.median(walls):.3f} s {status}")
PY
}
for bin in ${1:+"$1"} "$BIN"; do
  for backend in auto clarabel; do
    for rho in 0 0.5 5 50; do
      echo "$bin --backend $backend rho $rho: $(time_runs "$bin" solve "$DIR/day-$rho.json" --backend "$backend" --top 0)"
    done
  done
done
