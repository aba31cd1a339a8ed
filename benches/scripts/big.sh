#!/usr/bin/env bash
# The first-order backend (sifting, and PDHG up to PDHG_MAX_EDGES) against HiGHS' simplex,
# interior point and PDLP on generated days of 10^5, 10^6 and 10^7 edges: time to the answer,
# passes over the edges, ns per edge per pass, peak bytes per edge (README, "First-order backend").
#
#   benches/scripts/big.sh [EDGES ...]        default: 100000 1000000 10000000
#
# Environment: THREADS (default 2), LIMIT (seconds per method, default 3600), HIGHS_MAX_EDGES
# (HiGHS runs only on days up to this size, default 1000000), PDHG_MAX_EDGES (likewise for
# PDHG, default 2000000), OUT (default target/big).
# Each day is generated once (seed 1, columnar: DAY.json + DAY.edges.csv) and reused. Each
# method runs once, in one process per day (benches/examples/first_order_big.rs); the process's
# peak resident memory (formulation and HiGHS included) comes from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${THREADS:-2}
LIMIT=${LIMIT:-3600}
HIGHS_MAX_EDGES=${HIGHS_MAX_EDGES:-1000000}
OUT=${OUT:-target/big}
mkdir -p "$OUT"
cargo build --release -p agora-cli -p agora-benches --example first_order_big
for n in "${@:-100000 1000000 10000000}"; do
  for m in $n; do
    day="$OUT/day-$m.json"
    [ -f "$day" ] || target/release/agora generate --size large --edges "$m" --seed 1 --out "$day"
    highs=""
    [ "$m" -le "$HIGHS_MAX_EDGES" ] && highs="highs"
    echo "== $m edges (threads $THREADS, limit $LIMIT s) =="
    /usr/bin/time -v target/release/examples/first_order_big "$day" "$THREADS" "$LIMIT" $highs 2> "$OUT/time-$m.txt" | tee "$OUT/result-$m.txt"
    grep -E "Maximum resident|Elapsed" "$OUT/time-$m.txt" | tee -a "$OUT/result-$m.txt"
  done
done
