#!/usr/bin/env bash
# The whole `agora solve` process on generated days, by phase: wall time of load+validate,
# formulate, solve, outputs (plan, pacing, shadow prices, summary) and write, from
# `agora solve --timings`, the seconds sifting spent pricing and in its restricted LPs (the
# `sifting: ...` line of `--verbose`; "-" when the day was not sifted), and the peak resident
# memory from /usr/bin/time (issues 18 and 28, benches/RESULTS.md "Whole process").
#
#   benches/scripts/whole_process.sh [EDGES ...]     default: 100000 1000000 10000000
#
# Environment: FORMATS (default "csv parquet"), OUT (default target/whole-process), AGORA (the
# binary to measure; default: this tree's release build, built first). Each day is
# generated once (`agora generate --size large --edges N --seed 1`, edges in a CSV or Parquet
# file beside the JSON head) and reused. Prints one Markdown table row per day and format.
set -euo pipefail
cd "$(dirname "$0")/../.."
FORMATS=${FORMATS:-csv parquet}
OUT=${OUT:-target/whole-process}
if [ -z "${AGORA:-}" ]; then
  cargo build --release -q -p agora-cli
  AGORA=${CARGO_TARGET_DIR:-target}/release/agora
fi
BIN=$AGORA
mkdir -p "$OUT"
echo "| edges | edges file | load+validate | formulate | solve | (pricing) | (restricted LPs) | outputs | write | total | not solving | peak resident | bytes/edge |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in ${@:-100000 1000000 10000000}; do
  for fmt in $FORMATS; do
    day="$OUT/day-$n-$fmt.json"
    flag=""; [ "$fmt" = parquet ] && flag="--parquet"
    [ -f "$day" ] || "$BIN" generate --size large --edges "$n" --seed 1 $flag --out "$day" > /dev/null
    /usr/bin/time -v "$BIN" solve "$day" --out "$OUT/solution-$n-$fmt.json" --timings --verbose > /dev/null 2> "$OUT/stderr-$n-$fmt.txt"
    python3 - "$OUT/stderr-$n-$fmt.txt" "$OUT/solution-$n-$fmt.json" "$fmt" <<'PY'
import json, re, sys
err = open(sys.argv[1]).read()
t = dict((k, float(v)) for k, v in re.findall(r"([a-z+]+) ([0-9.]+) s", err.split("timings:")[1].splitlines()[0]))
kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
sol = json.load(open(sys.argv[2]))
edges = int(re.search(r"timings: (\d+) edges", err).group(1))
total = t["total"]
sift = re.search(r"sifting: \d+ pricing passes in ([0-9.]+) s, \d+ restricted problems in ([0-9.]+) s", err)
pricing, restricted = (f"{float(sift.group(1)):.2f} s", f"{float(sift.group(2)):.2f} s") if sift else ("-", "-")
print(f"| {edges:,} | {sys.argv[3]} | {t['load+validate']:.2f} s | {t.get('formulate', 0):.2f} s | {t['solve']:.2f} s | {pricing} | {restricted} | {t['outputs']:.2f} s | {t['write']:.2f} s | "
      f"{total:.2f} s | {total - t['solve']:.2f} s | {kb / 1e6:.2f} GB | {kb * 1e3 / edges:.0f} |")
assert sol["status"] == "optimal", sol["status"]
PY
  done
done
