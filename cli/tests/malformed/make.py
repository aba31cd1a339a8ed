#!/usr/bin/env python3
"""Writes the malformed-input corpus (cli/tests/malformed/NNN-name/): one directory per case with
its input files and a `case` file (see cli/tests/malformed.rs). Run from the workspace root after
`cargo build -p agora-cli`:  python3 cli/tests/malformed/make.py
It uses the built binary only to make the valid files the cases start from (a tiny day, its
solution, an artifact); every case's expectation is written here by hand."""
import json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
AGORA = os.path.join(ROOT, "..", "..", "..", "target", "debug", "agora")
work = tempfile.mkdtemp()

def agora(*args):
    subprocess.run([AGORA, *args], cwd=work, check=True, stdout=subprocess.DEVNULL)

agora("generate", "--size", "tiny", "--seed", "1", "--out", "day.json")
agora("generate", "--size", "tiny", "--seed", "1", "--columnar", "--out", "cday.json")
agora("solve", "day.json", "--out", "sol.json")
agora("export", "sol.json", "--instance", "day.json", "--out", "art")
DAY = open(os.path.join(work, "day.json")).read()
CDAY = open(os.path.join(work, "cday.json")).read()
CSV = open(os.path.join(work, "cday.edges.csv")).read()
SOL = open(os.path.join(work, "sol.json")).read()
day = json.loads(DAY)
MARKET = json.dumps({"schema": "agora.market/v1", "goods": [{"id": "g1", "supply": 1}], "bidders": [{"id": "b1", "budget": 2, "values": {"g1": 2}}]})
AUCTION = json.dumps({"schema": "agora.auction/v1", "bids": [{"bidder": "a", "bid": 3}, {"bidder": "b", "bid": 2}]})

for d in os.listdir(ROOT):
    # Cases 120 to 199 are make_parquet.py's.
    if os.path.isdir(os.path.join(ROOT, d)) and not (d[:3].isdigit() and 120 <= int(d[:3]) <= 199):
        shutil.rmtree(os.path.join(ROOT, d))
n = 0

def case(name, args, exit, stderr, files=None, setup=(), art=False):
    global n
    n += 1
    d = os.path.join(ROOT, f"{n:03d}-{name}")
    os.makedirs(d)
    if art:
        shutil.copytree(os.path.join(work, "art"), os.path.join(d, "art"))
    for fname, text in (files or {}).items():
        os.makedirs(os.path.dirname(os.path.join(d, fname)), exist_ok=True)
        with open(os.path.join(d, fname), "w" if isinstance(text, str) else "wb") as f:
            f.write(text)
    lines = [f"args: {args}", f"exit: {exit}"] + [f"stderr: {s}" for s in ([stderr] if isinstance(stderr, str) else stderr)]
    lines += [f"setup: {s}" for s in setup]
    open(os.path.join(d, "case"), "w").write("\n".join(lines) + "\n")

def mutated(f):
    d = json.loads(DAY)
    f(d)
    return json.dumps(d, indent=1)

def text_with(old, new, base=DAY):
    assert old in base, old
    return base.replace(old, new, 1)

# 1. --out must never destroy an input, follow a link, or replace what is not a regular file.
case("out-is-the-input", "solve day.json --out day.json", 1, "is an input of this command", {"day.json": DAY})
case("out-is-the-input-dotted", "solve day.json --out ./day.json", 1, "is an input of this command", {"day.json": DAY})
case("out-is-a-hard-link-name-of-input", "solve ./day.json --out day.json", 1, "is an input of this command", {"day.json": DAY})
case("out-is-read-only", "solve day.json --out old.json", 1, "read-only", {"day.json": DAY, "old.json": "{}"}, ["readonly old.json"])
case("out-is-a-symlink", "solve day.json --out link.json", 1, "symbolic link", {"day.json": DAY, "t.json": "{}"}, ["symlink link.json t.json"])
case("out-is-a-dangling-symlink", "solve day.json --out link.json", 1, "symbolic link", {"day.json": DAY}, ["symlink link.json nowhere.json"])
case("out-is-a-char-device", "solve day.json --out /dev/null", 1, "not a regular file", {"day.json": DAY})
case("out-is-a-directory", "solve day.json --out sub", 1, "is a directory", {"day.json": DAY, "sub/keep.txt": "x"})
case("out-is-the-settings-file", "solve day.json --settings s.json --out s.json", 1, "is an input of this command", {"day.json": DAY, "s.json": "{}"})
case("out-is-the-warm-start", "solve day.json --warm-start sol.json --out sol.json", 1, "is an input of this command", {"day.json": DAY, "sol.json": SOL})
case("out-is-the-edges-file", "solve cday.json --out cday.edges.csv", 1, "is an input of this command", {"cday.json": CDAY, "cday.edges.csv": CSV})
case("report-out-is-a-symlink", "report day.json sol.json --out rep", 1, "symbolic link", {"day.json": DAY, "sol.json": SOL}, ["symlink rep /tmp"])
case("export-out-is-a-file", "export sol.json --instance day.json --out notes.txt", 1, "not a directory", {"day.json": DAY, "sol.json": SOL, "notes.txt": "mine"})
case("frontier-out-is-a-file", "frontier day.json --sweep ad-load.max_share=0.1..0.2 --points 2 --out notes.txt", 1, "not a directory", {"day.json": DAY, "notes.txt": "mine"})
case("simulate-out-is-the-instance", "simulate day.json art --arrivals 10 --out day.json", 1, "is an input of this command", {"day.json": DAY}, art=True)
case("fppe-out-is-the-market", "fppe m.json --out m.json", 1, "is an input of this command", {"m.json": MARKET})
case("auction-out-is-the-auction", "auction a.json --rule vcg --out a.json", 1, "is an input of this command", {"a.json": AUCTION})
case("generate-out-is-read-only", "generate --size tiny --out ro.json", 1, "read-only", {"ro.json": "{}"}, ["readonly ro.json"])

# 2. An edges file stays inside the day's directory, is a regular file, and is never echoed.
def columnar(edges_file):
    d = json.loads(CDAY)
    d["edges_file"] = edges_file
    return json.dumps(d)
case("edges-file-absolute", "validate c.json", 1, ["edges_file", "absolute path", "--allow-outside-edges"], {"c.json": columnar("/etc/passwd")})
case("edges-file-escapes", "validate c.json", 1, ["edges_file", "leaves the instance's directory"], {"c.json": columnar("../../../../etc/passwd")})
case("edges-file-escapes-inside-path", "validate c.json", 1, "leaves the instance's directory", {"c.json": columnar("a/../../x.csv")})
case("edges-file-symlink-out", "validate c.json", 1, "resolves outside the instance's directory", {"c.json": columnar("e.csv")}, ["symlink e.csv /etc/passwd"])
case("edges-file-dev-zero", "--allow-outside-edges validate c.json", 1, ["/dev/zero", "not a regular file"], {"c.json": columnar("/dev/zero")})
case("edges-file-is-a-directory", "validate c.json", 1, ["is a directory"], {"c.json": columnar("."), "x": "y"})
case("edges-file-is-a-number", "validate c.json", 1, ['field "edges_file"', "invalid type"], {"c.json": text_with('"edges_file": "cday.edges.csv"', '"edges_file": 5', CDAY)})
case("edges-file-missing", "validate c.json", 1, ["cday.edges.csv", "cannot read"], {"c.json": CDAY})
case("edges-file-unknown-column-not-echoed-whole", "validate cday.json", 1, ["unknown column", "more characters"], {"cday.json": CDAY, "cday.edges.csv": "segment,item,engagement,price," + "x" * 100000 + "\n"})
case("instance-is-dev-zero", "validate /dev/zero", 1, "not a regular file", {})
case("instance-is-a-directory", "validate sub", 1, "is a directory", {"sub/x": "y"})
case("instance-over-the-input-limit", "--max-input-bytes 100 validate day.json", 1, ["over the input limit of 100 bytes", "--max-input-bytes"], {"day.json": DAY})
case("edges-over-the-input-limit", f"--max-input-bytes {len(CDAY) + 10} validate cday.json", 1, ["cday.edges.csv", "over the input limit"], {"cday.json": CDAY, "cday.edges.csv": CSV + "\n" * len(CDAY)})

# 3. Type errors name the entity and the field.
seg0, item0, camp0 = day["segments"][0]["id"], day["items"][0]["id"], day["campaigns"][0]["id"]
case("supply-is-a-string", "validate d.json", 1, [f'segment #0 ("{seg0}"), field "supply"', 'string "'], {"d.json": mutated(lambda d: d["segments"][0].update(supply=str(d["segments"][0]["supply"])))})
case("budget-is-a-string", "validate d.json", 1, [f'campaign #0 ("{camp0}"), field "budget"'], {"d.json": mutated(lambda d: d["campaigns"][0].update(budget="100"))})
case("engagement-is-a-string", "validate d.json", 1, ['edge #3, field "engagement"'], {"d.json": mutated(lambda d: d["edges"][3].update(engagement="0.1"))})
case("quality-is-a-bool", "validate d.json", 1, [f'item #0 ("{item0}"), field "quality"'], {"d.json": mutated(lambda d: d["items"][0].update(quality=True))})
case("fresh-is-a-string", "validate d.json", 1, [f'item #1 ("{day["items"][1]["id"]}"), field "fresh"'], {"d.json": mutated(lambda d: d["items"][1].update(fresh="yes"))})
case("segments-is-an-object", "validate d.json", 1, ['field "segments"', "expected a sequence"], {"d.json": mutated(lambda d: d.update(segments={"a": 1}))})
case("tags-is-a-number", "validate d.json", 1, [f'segment #1 ("{day["segments"][1]["id"]}"), field "tags"'], {"d.json": mutated(lambda d: d["segments"][1].update(tags=5))})
case("max-share-is-a-string", "validate d.json", 1, ['constraint #0 ("ad-load"), field "max_share"'], {"d.json": mutated(lambda d: d["constraints"][0].update(max_share="0.2"))})
case("objective-weight-is-a-string", "validate d.json", 1, ['field "objective.revenue"'], {"d.json": mutated(lambda d: d["objective"].update(revenue="10"))})
case("name-is-a-number", "validate d.json", 1, ['field "name"', "invalid type"], {"d.json": mutated(lambda d: d.update(name=7))})
case("price-is-an-array", "validate d.json", 1, ['edge #0, field "price"'], {"d.json": mutated(lambda d: d["edges"][0].update(price=[1]))})
case("number-out-of-f64-range", "validate d.json", 1, ['segment #0', 'field "supply"', "number out of range"], {"d.json": text_with(f'"supply": {json.dumps(day["segments"][0]["supply"])}', '"supply": 1e400')})
case("duplicate-key", "validate d.json", 1, ['segment #0', 'duplicate field `supply`'], {"d.json": text_with(f'"supply": {json.dumps(day["segments"][0]["supply"])}', f'"supply": 1, "supply": 2')})
case("truncated-json", "validate d.json", 1, ["EOF while parsing"], {"d.json": DAY[: len(DAY) // 2]})
case("not-utf8", "validate d.json", 1, ["not UTF-8"], {"d.json": b"{\"schema\": \"\xff\xfe\"}"})
case("json-is-an-array", "validate d.json", 1, ["invalid type: sequence"], {"d.json": "[1, 2]"})
case("empty-file", "validate d.json", 1, ["EOF while parsing"], {"d.json": ""})

# 4. Values that validate must solve: ranges are checked and named.
case("supply-1e20", "validate d.json", 1, [f'segment "{seg0}", field "supply"', "at most 1e11"], {"d.json": mutated(lambda d: d["segments"][0].update(supply=1e20))})
case("budget-1e300", "validate d.json", 1, [f'campaign "{camp0}", field "budget"', "at most 1e11"], {"d.json": mutated(lambda d: d["campaigns"][0].update(budget=1e300))})
case("item-cap-1e300", "validate d.json", 1, ['field "cap"', "at most 1e11"], {"d.json": mutated(lambda d: d["items"][0].update(cap=1e300))})
case("revenue-floor-1e25", "validate d.json", 1, ['constraint "revenue-floor", field "min"', "at most 1e11"], {"d.json": mutated(lambda d: [c.update(min=1e25) for c in d["constraints"] if c["type"] == "revenue_floor"])})
case("engagement-1e9", "validate d.json", 1, ['field "engagement"', "at most 1e6"], {"d.json": mutated(lambda d: d["edges"][0].update(engagement=1e9))})
case("penalty-1e12", "validate d.json", 1, ['field "penalty"', "at most 1e9"], {"d.json": mutated(lambda d: [c.update(penalty=1e12) for c in d["constraints"] if "penalty" in c])})
case("supply-negative", "validate d.json", 1, ['field "supply"', "must be > 0"], {"d.json": mutated(lambda d: d["segments"][0].update(supply=-5))})
case("supply-zero", "validate d.json", 1, ['field "supply"', "must be > 0"], {"d.json": mutated(lambda d: d["segments"][0].update(supply=0))})
case("max-share-above-one", "validate d.json", 1, ['field "max_share"', "in [0, 1]"], {"d.json": mutated(lambda d: d["constraints"][0].update(max_share=1.5))})
case("objective-weight-1e7", "validate d.json", 1, ['field "revenue"', "at most 1e6"], {"d.json": mutated(lambda d: d["objective"].update(revenue=1e7))})
case("edge-cap-in-csv-1e300", "validate cday.json", 1, ['field "cap"', "at most 1e11"], {"cday.json": CDAY, "cday.edges.csv": CSV.splitlines()[0] + "\n" + CSV.splitlines()[1].rsplit(",", 1)[0] + ",1e300\n"})

# 5. Control characters, long ids and byte-order marks.
case("id-with-escape-and-newline", "validate d.json", 1, ["control character U+001B", "ids must be printable"], {"d.json": mutated(lambda d: d["segments"][0].update(id="seg\u001b[31m\nred"))})
case("id-of-100-kilobytes", "validate d.json", 1, ["bytes long; ids are at most 256 bytes"], {"d.json": mutated(lambda d: d["items"][0].update(id="x" * 100_000))})
case("name-with-control-character", "validate d.json", 1, ['field "name"', "U+0007"], {"d.json": mutated(lambda d: d.update(name="day\u0007"))})
case("bom-json-accepted", "validate d.json", 0, [], {"d.json": "\ufeff" + DAY})
case("bom-csv-accepted", "validate cday.json", 0, [], {"cday.json": CDAY, "cday.edges.csv": "\ufeff" + CSV})
case("unknown-segment-in-csv-excerpted", "validate cday.json", 1, ["unknown segment", "more characters"], {"cday.json": CDAY, "cday.edges.csv": CSV.splitlines()[0] + "\n" + "s" * 5000 + "," + CSV.splitlines()[1].split(",", 1)[1] + "\n"})
case("csv-stray-quote", "validate cday.json", 1, ["line 2", "quote inside an unquoted field"], {"cday.json": CDAY, "cday.edges.csv": CSV.splitlines()[0] + '\nse"g,x,1,0,\n'})
case("csv-unclosed-quote", "validate cday.json", 1, ["quoted field is never closed"], {"cday.json": CDAY, "cday.edges.csv": CSV.splitlines()[0] + '\n"seg,x,1,0,\n'})
case("csv-empty", "validate cday.json", 1, ["line 1", "is missing: expected a header"], {"cday.json": CDAY, "cday.edges.csv": ""})
case("csv-not-utf8", "validate cday.json", 1, ["not valid UTF-8"], {"cday.json": CDAY, "cday.edges.csv": CSV.splitlines()[0].encode() + b"\n\xff\xfe,x,1,0,\n"})
case("csv-wrong-field-count", "validate cday.json", 1, ["has 2 fields, the header 5"], {"cday.json": CDAY, "cday.edges.csv": CSV.splitlines()[0] + "\na,b\n"})

# 6. Missing and empty lists: one error each, not one per reference.
case("segments-missing", "validate d.json", 1, ['field "segments": is missing', "1 error(s)"], {"d.json": mutated(lambda d: d.pop("segments"))})
case("items-missing", "validate d.json", 1, ['field "items": is missing'], {"d.json": mutated(lambda d: d.pop("items"))})
case("edges-missing", "validate d.json", 1, ['field "edges": is missing'], {"d.json": mutated(lambda d: d.pop("edges"))})
case("segments-empty", "validate d.json", 1, ['field "segments": must not be empty'], {"d.json": mutated(lambda d: d.update(segments=[], edges=[], constraints=[]))})
case("items-empty", "validate d.json", 1, ['field "items": must not be empty'], {"d.json": mutated(lambda d: d.update(items=[], edges=[], constraints=[]))})
case("schema-missing", "validate d.json", 1, ['field "schema": is missing'], {"d.json": mutated(lambda d: d.pop("schema"))})
case("schema-wrong", "validate d.json", 1, ['field "schema": must be "agora.instance/v1"'], {"d.json": mutated(lambda d: d.update(schema="agora.instance/v2"))})

# 7. Bad command-line values are usage errors: exit 2.
for v in ["0", "NaN", "inf", "-1", "soon"]:
    case(f"time-limit-{v.lower()}", f"solve day.json --time-limit={v}", 2, ["--time-limit"], {"day.json": DAY})
case("backend-unknown", "solve day.json --backend gurobi", 2, ["gurobi"], {"day.json": DAY})
case("method-with-another-backend", "solve day.json --method pdhg --backend highs", 2, ["--method pdhg applies to the first-order backend"], {"day.json": DAY})
case("frontier-one-point", "frontier day.json --sweep ad-load.max_share=0.1..0.2 --points 1 --out f", 2, ["at least 2"], {"day.json": DAY})
case("frontier-a-hundred-million-points", "frontier day.json --sweep ad-load.max_share=0.1..0.2 --points 100000000 --out f", 2, ["100000000 points", "the limit is 100000"], {"day.json": DAY})
case("frontier-grid-too-large", "frontier day.json --sweep ad-load.max_share=0.1..0.2 --sweep objective.revenue=1..2 --points 1000 --out f", 2, ["1000000 points"], {"day.json": DAY})
case("generate-zero-edges", "generate --size large --edges 0 --out g.json", 2, ["--edges 0 is outside"], {})
case("generate-a-trillion-edges", "generate --size large --edges 1000000000000 --out g.json", 2, ["--edges 1000000000000 is outside", "GB of memory"], {})
case("simulate-zero-arrivals", "simulate day.json art --arrivals 0", 2, ["--arrivals 0 is outside"], {"day.json": DAY}, art=True)
case("simulate-a-trillion-arrivals", "simulate day.json art --arrivals 1000000000000", 2, ["is outside 1..=100000000"], {"day.json": DAY}, art=True)
case("unknown-command", "optimise day.json", 2, ["unrecognized subcommand"], {"day.json": DAY})
case("missing-argument", "solve", 2, ["<INSTANCE>"], {})
case("max-input-bytes-not-a-number", "--max-input-bytes lots validate day.json", 2, ["--max-input-bytes"], {"day.json": DAY})

# 8. Stale solutions: a changed day of the same name is another day.
changed = mutated(lambda d: d["objective"].update(revenue=d["objective"]["revenue"] / 10))
case("report-stale-solution", "report day.json sol.json --out rep", 1, ["another version of instance", "content hash"], {"day.json": changed, "sol.json": SOL})
case("export-stale-solution", "export sol.json --instance day.json --out art2", 1, ["another version of instance"], {"day.json": changed, "sol.json": SOL})
case("report-other-instance", "report day.json sol.json --out rep", 1, ['the solution is of instance "generated-tiny-seed1", not "other"'], {"day.json": mutated(lambda d: d.update(name="other")), "sol.json": SOL})
case("warm-start-from-another-version-says-so", "solve day.json --warm-start sol.json --backend first-order", 0, ["warm start from another day"], {"day.json": changed, "sol.json": SOL})
case("solution-type-error-names-field", "report day.json sol.json --out rep", 1, ['field "objective"', "invalid type"], {"day.json": DAY, "sol.json": SOL.replace('"objective": ', '"objective": "x", "ignored": ', 1)})

# 9. Serving artifacts hold exactly their files, unchanged.
case("artifact-with-an-unlisted-file", "simulate day.json art --arrivals 10", 1, ["which the manifest does not list"], {"day.json": DAY, "art/extra.txt": "hello"}, art=True)
case("artifact-tampered", "simulate day.json art --arrivals 10", 1, ["checksum mismatch"], {"day.json": DAY}, art=True)
case("artifact-missing", "simulate day.json nothere --arrivals 10", 1, ["nothere"], {"day.json": DAY})

# 10. Settings, market and auction files name the field.
case("settings-unknown-field", "solve day.json --settings s.json", 1, ["unknown field `thread`"], {"day.json": DAY, "s.json": '{"thread": 2}'})
case("settings-type-error", "solve day.json --settings s.json", 1, ["threads", "invalid type"], {"day.json": DAY, "s.json": '{"threads": "two"}'})
case("settings-out-of-range", "solve day.json --settings s.json", 1, ["threads", "between 1 and 1024"], {"day.json": DAY, "s.json": '{"threads": 0}'})
case("settings-is-dev-zero", "solve day.json --settings /dev/zero", 1, ["not a regular file"], {"day.json": DAY})
case("market-type-error", "fppe m.json", 1, ['bidder #0 ("b1"), field "budget"'], {"m.json": MARKET.replace('"budget": 2', '"budget": "2"')})
case("market-missing-goods", "fppe m.json", 1, ["goods"], {"m.json": json.dumps({"schema": "agora.market/v1", "bidders": []})})
case("auction-type-error", "auction a.json --rule vcg", 1, ["bid #1", "field \"bid\""], {"a.json": AUCTION.replace('"bid": 2', '"bid": "2"')})
case("auction-bad-rule", "auction a.json --rule dutch", 2, ["dutch"], {"a.json": AUCTION})

# 11-19 (issue 32): the surfaces added since issue 15. Numbered from 200.
n = 199
ML = {f: open(os.path.join(ROOT, "..", "..", "..", "instances", "tests", "fixtures", "ml-mini", f), "rb").read() for f in ["ml-100k.user", "ml-100k.item", "ml-100k.inter"]}
def ml(**changed):
    files = {f"src/{k}": v for k, v in ML.items()}
    files.update({f"src/{k}": v for k, v in changed.items()})
    return files
OBD_ITEMS = ",item_id,item_feature_0,item_feature_1\n0,0,0.1,aaaa\n1,1,0.2,bbbb\n2,2,0.3,aaaa\n"
OBD_ROUNDS = ",timestamp,item_id,position,click,propensity_score,user_feature_0\n" + "".join(f"{k},t,{k % 3},{1 + k % 3},{k % 2},0.3333,u{k % 2}\n" for k in range(12))
def obd(rounds=OBD_ROUNDS, items=OBD_ITEMS):
    return {"src/all.csv": rounds, "src/item_context.csv": items}
POLICY = lambda **kw: json.dumps({"schema": "agora.policy/v1", "name": "p", **kw})
DYN = lambda **kw: json.dumps({"schema": "agora.dynamics/v1", **kw})
LOGS = f"segment,item,reward,propensity\n{seg0},{item0},1,0.5\n{seg0},{day['items'][1]['id']},0,0.5\n"

# 11. An output directory holding an input, or inside a directory read as a whole, is refused
# before any work, whatever the input is named.
HZ = "horizon dir/horizon.json --days 3650 --replicas 1000 --out dir"
case("horizon-out-holds-the-instance-named-as-output", HZ, 1, ["dir: refusing to write", "holds dir/horizon.json, an input of this command"], {"dir/horizon.json": DAY})
case("horizon-out-holds-the-instance", "horizon dir/day.json --days 3650 --replicas 1000 --out dir", 1, ["holds dir/day.json, an input"], {"dir/day.json": DAY})
case("horizon-out-is-dot", "horizon day.json --days 3650 --replicas 1000 --out .", 1, ["holds day.json, an input", "nothing was written"], {"day.json": DAY})
case("horizon-out-holds-the-policy", "horizon day.json --policy dir/horizon.json --days 2 --out dir", 1, ["holds dir/horizon.json, an input"], {"day.json": DAY, "dir/horizon.json": POLICY()})
case("horizon-out-holds-the-dynamics", "horizon day.json --dynamics dir/catalog.svg --days 2 --out dir", 1, ["holds dir/catalog.svg, an input"], {"day.json": DAY, "dir/catalog.svg": DYN()})
case("horizon-out-holds-the-settings", "horizon day.json --settings dir/index.html --days 2 --out dir", 1, ["holds dir/index.html, an input"], {"day.json": DAY, "dir/index.html": "{}"})
case("horizon-out-is-the-parent-of-the-instance", "horizon a/b/day.json --days 2 --out a", 1, ["holds a/b/day.json, an input"], {"a/b/day.json": DAY})
case("report-out-holds-the-instance-named-as-output", "report dir/report.json sol.json --out dir", 1, ["holds dir/report.json, an input"], {"dir/report.json": DAY, "sol.json": SOL})
case("report-out-holds-the-solution", "report day.json dir/report.json --out dir", 1, ["holds dir/report.json, an input"], {"day.json": DAY, "dir/report.json": SOL})
case("report-out-is-dot", "report day.json sol.json --out .", 1, ["holds day.json, an input"], {"day.json": DAY, "sol.json": SOL})
case("frontier-out-holds-the-instance", "frontier dir/frontier.json --sweep ad-load.max_share=0.1..0.2 --points 2 --out dir", 1, ["holds dir/frontier.json, an input"], {"dir/frontier.json": DAY})
case("frontier-out-holds-the-settings", "frontier day.json --settings dir/frontier.csv --sweep ad-load.max_share=0.1..0.2 --points 2 --out dir", 1, ["holds dir/frontier.csv, an input"], {"day.json": DAY, "dir/frontier.csv": "{}"})
case("frontier-out-holds-the-edges-file", "frontier dir/cday.json --sweep ad-load.max_share=0.1..0.2 --points 2 --out dir", 1, ["holds dir/cday.json, an input"], {"dir/cday.json": CDAY, "dir/cday.edges.csv": CSV})
case("export-out-holds-the-solution", "export dir/sol.json --instance day.json --out dir", 1, ["holds dir/sol.json, an input"], {"day.json": DAY, "dir/sol.json": SOL})
case("export-out-holds-the-instance", "export sol.json --instance dir/day.json --out dir", 1, ["holds dir/day.json, an input"], {"dir/day.json": DAY, "sol.json": SOL})
case("simulate-out-is-the-manifest", "simulate day.json art --arrivals 1000 --out art/manifest.json", 1, ["art/manifest.json: refusing to write", "inside art, a directory this command reads"], {"day.json": DAY}, art=True)
case("simulate-out-inside-the-artifact", "simulate day.json art --arrivals 1000 --out art/sim.json", 1, ["inside art, a directory this command reads"], {"day.json": DAY}, art=True)
case("simulate-out-is-the-artifact", "simulate day.json art --arrivals 1000 --out art", 1, ["refusing to write"], {"day.json": DAY}, art=True)
case("out-holds-a-hard-link-of-the-input", "report day.json sol.json --out dir", 1, ["holds report.json, which is day.json, an input"], {"day.json": DAY, "sol.json": SOL, "dir/.keep": ""}, ["hardlink dir/report.json day.json"])
case("estimate-out-is-the-logs", "estimate l.csv --instance day.json --out l.csv", 1, ["is an input of this command"], {"day.json": DAY, "l.csv": LOGS})
case("evaluate-out-is-the-solution", "evaluate sol.json l.csv --instance day.json --out sol.json", 1, ["is an input of this command"], {"day.json": DAY, "sol.json": SOL, "l.csv": LOGS})
case("diagnose-out-is-the-settings", "diagnose day.json --settings s.json --out s.json", 1, ["is an input of this command"], {"day.json": DAY, "s.json": "{}"})
case("generate-edges-file-is-a-symlink", "generate --size tiny --columnar --out g.json", 1, ["g.edges.csv", "symbolic link"], {"t.csv": "keep"}, ["symlink g.edges.csv t.csv"])

# 12. Importers: sources are inputs, read as instances are; what they write validates.
case("import-movielens-out-is-a-source", "import movielens src --out src/ml-100k.user", 1, ["is an input of this command"], ml())
case("import-movielens-out-is-the-ratings", "import movielens src --out src/ml-100k.inter", 1, ["is an input of this command"], ml())
case("import-movielens-out-beside-sources-is-fine", "import movielens src --out src/day.json", 0, [], ml())
case("import-movielens-source-is-dev-zero", "import movielens src --out day.json", 1, ["ml-100k.user", "not a regular file"], {k: v for k, v in ml().items() if not k.endswith(".user")}, ["symlink src/ml-100k.user /dev/zero"])
case("import-movielens-over-the-input-limit", "--max-input-bytes 100 import movielens src --out day.json", 1, ["over the input limit of 100 bytes"], ml())
case("import-movielens-duplicate-film", "import movielens src --out day.json", 1, ["ml-100k.item", "line 5", "\"1\" is listed twice (first on line 2)"], ml(**{"ml-100k.item": ML["ml-100k.item"] + b"1\tAgain\t1998\tDrama\n"}))
case("import-movielens-duplicate-user", "import movielens src --out day.json", 1, ["ml-100k.user", "is listed twice"], ml(**{"ml-100k.user": ML["ml-100k.user"] + b"1\t40\tM\tother\t1\n"}))
case("import-movielens-film-id-with-escape", "import movielens src --out day.json", 1, ["ml-100k.item", "control character U+001B"], ml(**{"ml-100k.item": ML["ml-100k.item"] + b"9\x1b[31m\tEvil\t1998\tDrama\n"}))
case("import-movielens-film-id-too-long", "import movielens src --out day.json", 1, ["ml-100k.item", "ids are at most 256 bytes"], ml(**{"ml-100k.item": ML["ml-100k.item"] + b"9" * 300 + b"\tLong\t1998\tDrama\n"}))
case("import-obd-out-inside-the-source", "import obd src --out src/r", 1, ["inside src, a directory this command reads"], obd())
case("import-obd-out-is-the-rounds-file", "import obd src --out src/all.csv", 1, ["refusing to write"], obd())
case("import-obd-rounds-file-is-dev-zero", "import obd src --out o", 1, ["not a regular file"], {"src/item_context.csv": OBD_ITEMS}, ["symlink src/all.csv /dev/zero"])
case("import-obd-duplicate-item", "import obd src --out o", 1, ["item_context.csv", "line 5", "\"1\" is listed twice (first on line 3)"], obd(items=OBD_ITEMS + "3,1,0.4,cccc\n"))
case("import-obd-segment-with-escape", "import obd src --segment-by user_feature_0 --out o", 1, ["all.csv", "line 2", "control character U+001B"], obd(rounds=OBD_ROUNDS.replace(",u0\n", ",u\x1b[2J\n", 1)))

# 13. A JSON input ends at its value: anything but whitespace after it is an error with the offset.
TRAIL = "unexpected content after the JSON value"
for name, tail in [("second-object", "\n{}"), ("closing-brace", "}"), ("closing-bracket", "]"), ("nul-bytes", "\0\0\0"), ("text", "\nhello"), ("comment", "\n// the end"), ("number", " 5")]:
    case(f"instance-trailing-{name}", "validate d.json", 1, [TRAIL, "at byte"], {"d.json": DAY + tail})
case("columnar-head-trailing", "validate cday.json", 1, [TRAIL], {"cday.json": CDAY + "{}", "cday.edges.csv": CSV})
case("solution-trailing", "report day.json sol.json --out rep", 1, ["sol.json", TRAIL], {"day.json": DAY, "sol.json": SOL + "]"})
case("settings-trailing", "solve day.json --settings s.json", 1, ["settings", TRAIL], {"day.json": DAY, "s.json": '{"threads": 1} {"threads": 2}'})
case("policy-trailing", "horizon day.json --policy p.json --days 2 --out h", 1, ["p.json", TRAIL], {"day.json": DAY, "p.json": POLICY() + "x"})
case("dynamics-trailing", "horizon day.json --dynamics d.json --days 2 --out h", 1, ["d.json", TRAIL], {"day.json": DAY, "d.json": DYN() + "\0"})
case("market-trailing", "fppe m.json", 1, [TRAIL], {"m.json": MARKET + "}"})
case("auction-trailing", "auction a.json --rule vcg", 1, [TRAIL], {"a.json": AUCTION + " 1"})
case("warm-start-trailing", "solve day.json --warm-start sol.json", 1, [TRAIL], {"day.json": DAY, "sol.json": SOL + "{}"})
case("trailing-whitespace-accepted", "validate d.json", 0, [], {"d.json": DAY + " \n\t\r\n"})

# 14. Estimates and evaluations never write NaN, inf or null; values stay inside the limits.
case("estimate-propensity-1e-200", "estimate l.csv --instance day.json --out e.json", 1, ["line 2", "propensity", "[1e-9, 1]", "1e-200"], {"day.json": DAY, "l.csv": LOGS.replace(",1,0.5\n", ",1,1e-200\n", 1)})
case("estimate-propensity-subnormal", "estimate l.csv --instance day.json --out e.json", 1, ["propensity", "5e-324"], {"day.json": DAY, "l.csv": LOGS.replace(",1,0.5\n", ",1,5e-324\n", 1)})
case("evaluate-propensity-1e-200", "evaluate --uniform l.csv --instance day.json", 1, ["propensity", "[1e-9, 1]"], {"day.json": DAY, "l.csv": LOGS.replace(",1,0.5\n", ",1,1e-200\n", 1)})
case("estimate-reward-2e6-is-clipped", "estimate l.csv --instance day.json --out e.json", 0, ["clipped"], {"day.json": DAY, "l.csv": LOGS.replace(",1,0.5\n", ",2e6,0.5\n", 1)})
case("estimate-reward-2e11", "estimate l.csv --instance day.json --out e.json", 1, ["reward", "[0, 1e11]"], {"day.json": DAY, "l.csv": LOGS.replace(",1,0.5\n", ",2e11,0.5\n", 1)})
case("estimate-logs-are-dev-zero", "estimate /dev/zero --instance day.json --out e.json", 1, ["not a regular file"], {"day.json": DAY})

# 15. Horizon policies and dynamics: checked before the first day.
H = "horizon day.json --policy p.json --days 3650 --replicas 1000 --out h"
case("policy-sets-a-negative-supply", H, 1, ['policy "p"', "supply", "must be > 0"], {"day.json": DAY, "p.json": POLICY(set={f"supply[{seg0}]": -5})})
case("policy-sets-a-huge-supply", H, 1, ['policy "p"', "at most 1e11"], {"day.json": DAY, "p.json": POLICY(set={f"supply[{seg0}]": 1e20})})
case("policy-sets-a-share-of-5", H, 1, ['policy "p"', "max_share", "in [0, 1]"], {"day.json": DAY, "p.json": POLICY(set={"ad-load.max_share": 5})})
case("policy-sets-a-negative-regularisation", H, 1, ['policy "p"', "regularization"], {"day.json": DAY, "p.json": POLICY(set={"objective.regularization": -1})})
case("policy-sets-a-key-twice", H, 1, ["p.json", "\"ad-load.max_share\" is set twice"], {"day.json": DAY, "p.json": '{"schema": "agora.policy/v1", "name": "p", "set": {"ad-load.max_share": 0.2, "ad-load.max_share": 0.3}}'})
case("policy-unknown-rule-type", H, 1, ["drop_types", "unknown rule type \"exposure_flor\""], {"day.json": DAY, "p.json": POLICY(drop_types=["exposure_flor"])})
case("policy-unknown-parameter", H, 1, ['policy "p"', "no-such-rule"], {"day.json": DAY, "p.json": POLICY(set={"no-such-rule.min": 1})})
case("policy-name-with-escape", H, 1, ['field "name"', "control character U+001B"], {"day.json": DAY, "p.json": json.dumps({"schema": "agora.policy/v1", "name": "p\u001b[2J\u0000"})})
case("policy-name-too-long", H, 1, ['field "name"', "at most 256 bytes"], {"day.json": DAY, "p.json": json.dumps({"schema": "agora.policy/v1", "name": "p" * 300})})
case("policy-wrong-schema", H, 1, ['field "schema"', "agora.policy/v1"], {"day.json": DAY, "p.json": json.dumps({"schema": "agora.policy/v2", "name": "p"})})
case("policy-is-dev-zero", "horizon day.json --policy /dev/zero --days 2 --out h", 1, ["not a regular file"], {"day.json": DAY})
case("dynamics-is-a-directory", "horizon day.json --dynamics sub --days 2 --out h", 1, ["is a directory"], {"day.json": DAY, "sub/x": "y"})
case("dynamics-a-thousand-joins-a-day", "horizon day.json --dynamics d.json --days 90 --out h", 1, ["by day 90", "creators (joins 1000 a day)", "lower joins.rate"], {"day.json": DAY, "d.json": DYN(joins={"enabled": True, "rate": 1000, "reach": 3}, uploads={"enabled": True, "base": 0.02, "elasticity": 0.1, "scale": 1e-9, "quality_sd": 0.05, "engagement_sigma": 0.3})})
case("dynamics-uploads-with-a-tiny-scale", "horizon day.json --dynamics d.json --days 365 --out h", 1, ["uploading up to", "raise uploads.scale"], {"day.json": DAY, "d.json": DYN(uploads={"enabled": True, "base": 0.02, "elasticity": 10, "scale": 1e-9, "quality_sd": 0.05, "engagement_sigma": 0.3})})
case("dynamics-out-of-range", "horizon day.json --dynamics d.json --days 2 --out h", 1, ['field "joins.rate"', "[0, 1000]"], {"day.json": DAY, "d.json": DYN(joins={"enabled": True, "rate": 5000, "reach": 3})})

# 16. A day too big for the memory the process may use is refused before its bulk.
case("solve-over-the-memory-limit", "solve day.json --memory-limit 1K --out s.json", 1, ["day.json: a day of", "needs about", "(--memory-limit)", "--distributed"], {"day.json": DAY})
case("report-over-the-memory-limit", "report day.json sol.json --memory-limit 1K --out rep", 1, ["HiGHS on the whole matrix", "--backend first-order"], {"day.json": DAY, "sol.json": SOL})
case("memory-limit-not-a-size", "solve day.json --memory-limit lots", 2, ["--memory-limit", "not a size"], {"day.json": DAY})
case("memory-limit-none-runs", "solve day.json --memory-limit none", 0, [], {"day.json": DAY})

# 17. Learning policies (issue 31): the warm start is an input like any other; a bad engagement is
# named; a warm start without a learning policy, or with the dr estimator, is a usage error.
L = "horizon day.json --policy ucb --warm-start l.csv --days 2 --out h"
case("learning-warm-start-in-the-output", "horizon day.json --policy ucb --warm-start h/horizon.csv --days 2 --out h", 1, ["holds h/horizon.csv, an input"], {"day.json": DAY, "h/horizon.csv": LOGS})
case("learning-warm-start-without-a-learner", "horizon day.json --policy ecosystem --warm-start l.csv --days 2 --out h", 2, ["--warm-start is for learning policies"], {"day.json": DAY, "l.csv": LOGS})
case("learning-warm-start-is-dev-zero", "horizon day.json --policy ucb --warm-start /dev/zero --days 2 --out h", 1, ["not a regular file"], {"day.json": DAY})
case("learning-warm-start-of-other-segments", L, 1, ["--warm-start l.csv", "no logged round is in a segment"], {"day.json": DAY, "l.csv": "segment,item,reward,propensity\nnowhere,x,1,0.5\n"})
case("learning-warm-start-bad-propensity", L, 1, ["l.csv", "line 2", "propensity"], {"day.json": DAY, "l.csv": LOGS.replace(",0.5\n", ",0\n", 1)})
case("learning-warm-start-estimator-dr", L + " --warm-start-estimator dr", 2, ["needs a reward model"], {"day.json": DAY, "l.csv": LOGS})
case("learning-unknown-engagement", H, 1, ["p.json", "unknown variant `optimistic`", "greedy"], {"day.json": DAY, "p.json": POLICY(engagement="optimistic")})

# 18. Experiments (issue 30): the change and the changed day are inputs like any other; a change
# that names nothing, sets a key twice or trails content is refused naming the field; a changed
# day must be the same market; the configuration is refused before any solve.
C0 = day["constraints"][0]["name"]
CHANGE = lambda **kw: json.dumps({"schema": "agora.change/v1", "name": "c", **kw})
X = "experiment day.json --treatment c.json --out e"
reordered = dict(day, segments=list(reversed(day["segments"])))
case("experiment-out-holds-the-instance", "experiment e/day.json --treatment c.json --out e", 1, ["holds e/day.json, an input"], {"e/day.json": DAY, "c.json": CHANGE(remove=[C0])})
case("experiment-out-holds-the-treatment", "experiment day.json --treatment e/c.json --out e", 1, ["holds e/c.json, an input"], {"day.json": DAY, "e/c.json": CHANGE(remove=[C0])})
case("experiment-out-is-the-treatment", "experiment day.json --treatment c.json --out c.json", 1, ["is an input of this command"], {"day.json": DAY, "c.json": CHANGE(remove=[C0])})
case("experiment-change-trailing", X, 1, ["c.json", TRAIL], {"day.json": DAY, "c.json": CHANGE(remove=[C0]) + "{}"})
case("experiment-change-names-nothing", X, 1, ["c.json", 'field "remove"', 'no constraint "nope"'], {"day.json": DAY, "c.json": CHANGE(remove=["nope"])})
case("experiment-change-sets-a-key-twice", X, 1, ["c.json", "is set twice"], {"day.json": DAY, "c.json": '{"schema": "agora.change/v1", "name": "c", "set": {"%s.max_share": 0.1, "%s.max_share": 0.2}}' % (C0, C0)})
case("experiment-change-wrong-schema", X, 1, ['field "schema"', "agora.change/v1"], {"day.json": DAY, "c.json": json.dumps({"schema": "agora.change/v2", "name": "c"})})
case("experiment-treatment-is-dev-zero", "experiment day.json --treatment /dev/zero --out e", 1, ["not a regular file"], {"day.json": DAY})
case("experiment-treatment-day-of-other-segments", "experiment day.json --treatment t.json --out e", 1, ["t.json", 'field "segments"', "same ids, same order"], {"day.json": DAY, "t.json": json.dumps(reordered)})
case("experiment-unknown-treated-creator", X + " --design creator-split --creators nobody", 2, ['no creator "nobody"'], {"day.json": DAY, "c.json": CHANGE(remove=[C0])})
case("experiment-fraction-one", X + " --fraction 1", 2, ["--fraction 1 is outside (0, 1)"], {"day.json": DAY, "c.json": CHANGE(remove=[C0])})
case("experiment-switchback-of-one-block", X + " --design switchback --days 7 --block 7", 2, ["at least two blocks"], {"day.json": DAY, "c.json": CHANGE(remove=[C0])})

# Tamper one artifact file in the tampered case.
for d in sorted(os.listdir(ROOT)):
    if d.endswith("artifact-tampered"):
        p = os.path.join(ROOT, d, "art", "pacing.csv")
        open(p, "a").write("\n")
print(f"wrote {n} cases")
