#!/usr/bin/env bash
# The daily loop on generated days (issue 29, benches/RESULTS.md "Daily loop"): wall time and
# peak resident memory (/usr/bin/time) of each command a planner runs on a day's answer, whole
# process, release build.
#
#   benches/scripts/daily_loop.sh [EDGES ...]     default: 100000 1000000 10000000
#
# Environment:
#   AGORA     the binary to measure (default: this tree's release build, built first)
#   BEFORE    another binary to run beside it on the same days (an older commit's), or empty
#   COMMANDS  which commands (default: "solve export export-parquet report frontier diagnose
#             solve-infeasible simulate"; solve-infeasible is `agora solve` of the diagnose day)
#   LIMIT     stop a run after this many seconds (default: none); its row says "stopped"
#   OUT       where the days and outputs go (default target/daily-loop)
#   ARRIVALS  the simulation's opportunities (default 100000)
#
# Each day is `agora generate --size large --edges N --seed 1 --parquet`, generated once and
# reused; its infeasible variant (for diagnose) has the new-creator floor raised fifty-fold. The
# frontier is 20 points of ad-load.max_share over 0.1..0.3; the simulation ARRIVALS arrivals.
# Prints one Markdown row per day, binary and command: seconds, peak GB, and the command's own
# phase timings where it prints them (--timings).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-target/daily-loop}
COMMANDS=${COMMANDS:-solve export export-parquet report frontier diagnose solve-infeasible simulate}
if [ -z "${AGORA:-}" ]; then
  cargo build --release -q -p agora-cli
  AGORA=${CARGO_TARGET_DIR:-target}/release/agora
fi
mkdir -p "$OUT"

# run NAME BINARY ARGS...: one timed run, its row printed.
run() {
  local name=$1 bin=$2 n=$3; shift 3
  local err="$OUT/stderr-$n-$name-$(basename "$bin").txt"
  local limit=()
  [ -z "${LIMIT:-}" ] || limit=(timeout "$LIMIT")
  if /usr/bin/time -f "TIME %e %M" "${limit[@]}" "$bin" "$@" > /dev/null 2> "$err"; then status=ok; else status="exit $?"; fi
  [ "$status" != "exit 124" ] || status="stopped at ${LIMIT} s"
  # `agora solve` of an infeasible day exits 3 having written its diagnosis: what is asked.
  [ "$name" != solve-infeasible ] || [ "$status" != "exit 3" ] || status="ok (infeasible, exit 3)"
  python3 - "$err" "$name" "$n" "$(basename "$bin")" "$status" <<'PY'
import re, sys
err, name, n, binary, status = sys.argv[1:]
text = open(err).read()
secs, kb = re.findall(r"TIME ([0-9.]+) (\d+)", text)[-1]
timings = re.search(r"timings: [^\n]*", text)
phases = timings.group(0).split(", ", 1)[1] if timings else ""
print(f"| {int(n):,} | {binary} | {name} | {float(secs):.2f} s | {int(kb) / 1e6:.2f} GB | {status} | {phases} |")
PY
}

echo "| edges | binary | command | wall | peak resident | exit | phases |"
echo "|---|---|---|---|---|---|---|"
for n in ${@:-100000 1000000 10000000}; do
  day="$OUT/day-$n.json"
  [ -f "$day" ] || "$AGORA" generate --size large --edges "$n" --seed 1 --parquet --out "$day" > /dev/null
  infeasible="$OUT/day-$n-infeasible.json"
  [ -f "$infeasible" ] || python3 - "$day" "$infeasible" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["constraints"]:
    if c["name"] == "new-creator-exposure":
        c["min"] *= 50
d["name"] += "-floor-out-of-reach"
json.dump(d, open(sys.argv[2], "w"))
PY
  for bin in "$AGORA" ${BEFORE:-}; do
    tag=$(basename "$bin")
    sol="$OUT/solution-$n-$tag.json"
    # The binary before this change has no export --timings and no --format.
    new=1; [ "$bin" = "$AGORA" ] || new=""
    for cmd in $COMMANDS; do
      case $cmd in
        solve) run solve "$bin" "$n" solve "$day" --out "$sol" --timings ;;
        export) rm -rf "$OUT/art-$n-$tag"; run export "$bin" "$n" export "$sol" --instance "$day" --out "$OUT/art-$n-$tag" ${new:+--timings} ;;
        export-parquet) [ -n "$new" ] || continue; rm -rf "$OUT/artp-$n-$tag"; run export-parquet "$bin" "$n" export "$sol" --instance "$day" --out "$OUT/artp-$n-$tag" --format parquet --timings ;;
        report) run report "$bin" "$n" report "$day" "$sol" --out "$OUT/report-$n-$tag" ;;
        frontier) run frontier "$bin" "$n" frontier "$day" --sweep ad-load.max_share=0.1..0.3 --points 20 --out "$OUT/frontier-$n-$tag" ;;
        diagnose) run diagnose "$bin" "$n" diagnose "$infeasible" --out "$OUT/diagnosis-$n-$tag.json" ;;
        solve-infeasible) run solve-infeasible "$bin" "$n" solve "$infeasible" --out "$OUT/solution-infeasible-$n-$tag.json" --timings ;;
        simulate) [ -d "$OUT/art-$n-$tag" ] && run simulate "$bin" "$n" simulate "$day" "$OUT/art-$n-$tag" --arrivals "${ARRIVALS:-100000}" --out "$OUT/simulation-$n-$tag.json" ${new:+--timings} ;;
      esac
    done
  done
done
