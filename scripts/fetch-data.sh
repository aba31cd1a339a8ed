#!/usr/bin/env bash
# Fetches the real data sets agora's importers read, from the Python package registry, into
# data/ (not committed): MovieLens-100k from the recbole 1.2.1 wheel
# (recbole/dataset_example/ml-100k/) and the Open Bandit Dataset's sample from the obp 0.4.1
# wheel (obp/dataset/obd/). Idempotent; needs pip and python3.
#   scripts/fetch-data.sh  -> data/ml-100k/ml-100k.{inter,item,user,link,kg}
#                             data/obd/{random,bts}/{all,men,women}/{NAME.csv,item_context.csv}
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if [ ! -f data/ml-100k/ml-100k.inter ] || [ ! -f data/ml-100k/ml-100k.kg ] || [ ! -f data/ml-100k/ml-100k.link ]; then
  python3 -m pip download --no-deps --quiet recbole==1.2.1 -d "$tmp"
  python3 - "$tmp" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "recbole-1.2.1-*.whl"))[0]
os.makedirs("data/ml-100k", exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for ext in ("inter", "item", "user", "link", "kg"):
        with open(f"data/ml-100k/ml-100k.{ext}", "wb") as out:
            out.write(z.read(f"recbole/dataset_example/ml-100k/ml-100k.{ext}"))
PY
fi
echo "data/ml-100k: $(wc -l < data/ml-100k/ml-100k.inter) lines of ratings"
if [ ! -f data/obd/bts/all/all.csv ]; then
  python3 -m pip download --no-deps --quiet obp==0.4.1 -d "$tmp"
  python3 - "$tmp" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "obp-0.4.1-*.whl"))[0]
prefix = "obp/dataset/obd/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".csv"):
            out = os.path.join("data/obd", name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(z.read(name))
PY
fi
echo "data/obd: $(ls data/obd/*/*/*.csv | wc -l) files of the Open Bandit sample"
