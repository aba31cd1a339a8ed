#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default 10^6) with libFuzzer (cargo fuzz, nightly),
# starting from the seed corpus in fuzz/seeds/, and prints one line per target: executions, time,
# crashes. Needs `cargo install cargo-fuzz` and the nightly toolchain; the stable test suite runs
# the same targets as a seeded mutation smoke (tests/tests/mutation_smoke.rs).
#   fuzz/run.sh [RUNS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${1:-1000000}"; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(instance_json edges_csv settings market auction artifact parquet_edges logs_csv logs_parquet dynamics policy change)
# A valid artifact for the artifact target, exported from the bundled example day.
ART="$(mktemp -d)"; trap 'rm -rf "$ART"' EXIT
cargo run -q -p agora-cli --manifest-path ../Cargo.toml -- solve ../instances/example-day.json --out "$ART/sol.json" >/dev/null
cargo run -q -p agora-cli --manifest-path ../Cargo.toml -- export "$ART/sol.json" --instance ../instances/example-day.json --out "$ART/art" >/dev/null
export AGORA_FUZZ_ARTIFACT="$ART/art"
# Seeds for the artifact target: a pick byte (which file) and that file's valid bytes.
mkdir -p corpus/artifact
k=0; for f in pacing.csv adjustments.csv segments.csv edges.csv; do
  { printf "\\$(printf '%03o' $k)"; cat "$ART/art/$f"; } > "corpus/artifact/seed-$f"; k=$((k + 1))
done
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  cp -n seeds/$t/* "corpus/$t/" 2>/dev/null || true
  start=$(date +%s)
  log="$(mktemp)"
  if cargo +nightly fuzz run "$t" "corpus/$t" -- -runs="$RUNS" -max_len=65536 -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then status=ok; else status=CRASH; fi
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "$t: $status, ${execs:-?} executions in $(( $(date +%s) - start )) s, $(ls "artifacts/$t" | wc -l) crash files"
  # Keep the whole log of a failing target: the reason of a stop comes before its statistics.
  if [ "$status" != ok ]; then cp "$log" "artifacts/$t/fuzz.log"; grep -E "ERROR|panicked|SUMMARY" "$log" | head -5; fi
  rm -f "$log"
  # The scratch files of the targets whose loaders read a path (dynamics, policy).
  rm -rf "${TMPDIR:-/tmp}"/agora-fuzz-"$t"-*
done
