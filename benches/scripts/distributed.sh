#!/usr/bin/env bash
# The distributed solve against the single-process one on generated days (issue 17's table,
# benches/RESULTS.md "Distributed sifting"): for each day, `agora solve` on one process (wall time
# and peak resident memory from /usr/bin/time), then `mpirun -n P agora solve --distributed` for
# each P: wall time, every process's peak resident memory (VmHWM, printed by --timings), the
# bytes the root sent and received per pricing round, and the objective's distance from the
# single-process one.
#
#   benches/scripts/distributed.sh [EDGES ...]     default: 1000000 10000000
#
# Environment: PROCESSES (default "1 2 4"), OUT (default target/whole-process; days are shared
# with whole_process.sh: `agora generate --size large --edges N --seed 1 --parquet`), AGORA (a
# binary to measure instead of this checkout's, which is then not built; a binary from before
# row groups were dealt prints no row-group figure: it decoded every group).
set -euo pipefail
cd "$(dirname "$0")/../.."
PROCESSES=${PROCESSES:-1 2 4}
OUT=${OUT:-target/whole-process}
BIN=${AGORA:-${CARGO_TARGET_DIR:-target}/release/agora}
mkdir -p "$OUT"
[ -n "${AGORA:-}" ] || cargo build --release -q -p agora-cli --features mpi
echo "| edges | processes | wall | load | solve | row groups decoded per process | peak resident per process | max / single-process peak | MB per pricing round | rounds | objective vs one process | same plan |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in ${@:-1000000 10000000}; do
  day="$OUT/day-$n-parquet.json"
  [ -f "$day" ] || "$BIN" generate --size large --edges "$n" --seed 1 --parquet --out "$day" > /dev/null
  /usr/bin/time -v "$BIN" solve "$day" --out "$OUT/solution-$n-one.json" --timings > /dev/null 2> "$OUT/stderr-$n-one.txt"
  for p in $PROCESSES; do
    /usr/bin/time -f "wall %e" mpirun -n "$p" "$BIN" solve "$day" --distributed --out "$OUT/solution-$n-mpi$p.json" --timings > /dev/null 2> "$OUT/stderr-$n-mpi$p.txt"
    python3 - "$OUT/stderr-$n-one.txt" "$OUT/solution-$n-one.json" "$OUT/stderr-$n-mpi$p.txt" "$OUT/solution-$n-mpi$p.json" "$p" <<'PY'
import json, re, sys
one_err, one_sol, err, sol, p = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), open(sys.argv[3]).read(), json.load(open(sys.argv[4])), sys.argv[5]
one_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", one_err).group(1))
one_wall = float(re.search(r"total ([0-9.]+) s", one_err).group(1))
line = err.split("timings:")[1].splitlines()[0]
edges = int(re.search(r"(\d+) edges", line).group(1))
solve = float(re.search(r"solve ([0-9.]+) s", line).group(1))
load = float(re.search(r"load\+validate ([0-9.]+) s", line).group(1))
groups = line.split("row groups decoded per process ")[1].split(";")[0] if "row groups decoded" in line else "every group"
peaks = [float(v) for v in re.findall(r"([0-9.]+) MB", line.split("peak memory per process")[1].split(" (after loading")[0])]
rounds = [float(v) for v in line.split("MB per pricing round")[1].split(";")[0].split()]
wall = float(re.search(r"wall ([0-9.]+)", err).group(1))
assert sol["status"] == "optimal" and one_sol["status"] == "optimal", (sol["status"], one_sol["status"])
rel = abs(sol["objective"] - one_sol["objective"]) / abs(one_sol["objective"])
assert rel <= 1e-9, rel
print(f"| {edges:,} | {p} (one: {one_wall:.1f} s, {one_kb / 1e3:,.0f} MB) | {wall:.1f} s | {load:.1f} s | {solve:.1f} s | {groups} | {' / '.join(f'{v:,.0f}' for v in peaks)} MB | "
      f"{max(peaks) * 1e3 / one_kb:.2f} | {' '.join(f'{v:.1f}' for v in rounds)} | {len(rounds)} | {rel:.1e} | {'yes' if sol['plan'] == one_sol['plan'] else 'no'} |")
PY
  done
done
