#!/bin/sh
# Issue 34: the audit on the MovieLens day built from directors against one solve of it.
A=${1:-target/release/agora}
$A import movielens data/ml-100k --creators directors --out /tmp/tm/dir.json > /dev/null
for k in 1 2 3; do
  /usr/bin/time -f "solve %e s" $A solve /tmp/tm/dir.json --out /tmp/tm/sdir.json --top 0 > /dev/null
  /usr/bin/time -f "audit %e s" $A audit /tmp/tm/dir.json --trials 15 --out /tmp/tm/adir.json > /tmp/tm/adir.txt
done
