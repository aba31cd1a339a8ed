#!/bin/sh
# Issue 30: an experiment on a 10^5-edge day against one solve of it (release build, whole process).
# Usage: experiment_timing.sh [AGORA] [OLD_AGORA]: with a second binary, its experiment runs
# beside the first's in the same session (the before/after rows of benches/RESULTS.md).
A=${1:-target/release/agora}
OLD=${2:-}
# The day: agora generate --size large --edges 100000 --seed 1 --parquet --out /tmp/days/d5.json
D=/tmp/days/d5.json
mkdir -p /tmp/tm
for k in 1 2 3; do
  /usr/bin/time -f "solve %e s %M KB" $A solve $D --out /tmp/tm/s5.json --top 0 > /dev/null
  if [ -n "$OLD" ]; then
    /usr/bin/time -f "experiment (before) %e s %M KB" $OLD experiment $D --treatment benches/scripts/floor5.change.json --out /tmp/tm/e5old > /dev/null
  fi
  /usr/bin/time -f "experiment %e s %M KB" $A experiment $D --treatment benches/scripts/floor5.change.json --out /tmp/tm/e5 > /tmp/tm/e5.txt
done
