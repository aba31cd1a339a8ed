#!/bin/sh
# Issue 34: 100 audit trials (--trials 20: five properties with trials) on the two MovieLens days
# against one solve of each (release build, whole process).
# Usage: audit_timing.sh [AGORA] [OLD_AGORA]: with a second binary, its audit runs beside the
# first's in the same session (the before/after rows of benches/RESULTS.md).
A=${1:-target/release/agora}
OLD=${2:-}
mkdir -p /tmp/tm
$A import movielens data/ml-100k --creators directors --out /tmp/tm/dir.json > /dev/null
$A import movielens data/ml-100k --out /tmp/tm/lines.json > /dev/null
for d in dir lines; do
  for k in 1 2 3; do
    /usr/bin/time -f "$d solve %e s %M KB" $A solve /tmp/tm/$d.json --out /tmp/tm/s$d.json --top 0 > /dev/null
    /usr/bin/time -f "$d solve --backend highs %e s %M KB" $A solve /tmp/tm/$d.json --backend highs --out /tmp/tm/s$d.json --top 0 > /dev/null
    if [ -n "$OLD" ]; then
      /usr/bin/time -f "$d audit (before) %e s %M KB" $OLD audit /tmp/tm/$d.json --trials 20 --out /tmp/tm/a${d}old.json > /dev/null
    fi
    /usr/bin/time -f "$d audit %e s %M KB" $A audit /tmp/tm/$d.json --trials 20 --out /tmp/tm/a$d.json > /tmp/tm/a$d.txt
  done
done
