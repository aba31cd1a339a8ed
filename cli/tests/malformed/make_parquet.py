#!/usr/bin/env python3
"""Writes the Parquet and column-name cases of the malformed-input corpus (issue 32, part 2):
cli/tests/malformed/120-... to 199-..., one directory per case with its files and a `case` file
(see cli/tests/malformed.rs). Run from the workspace root after `cargo build -p agora-cli`:
    python3 cli/tests/malformed/make_parquet.py
It removes and rewrites only the cases numbered 120 to 199 (make.py writes the others). The
Parquet files are written by parquet_writer.py, a writer of the format's specification whose
every footer and page field a case can set; the built binary only makes the tiny day the cases
start from. Every expectation is written here by hand."""
import json, os, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
from parquet_writer import *  # noqa: E402,F401

AGORA = os.path.join(ROOT, "..", "..", "..", "target", "debug", "agora")
work = tempfile.mkdtemp()
subprocess.run([AGORA, "generate", "--size", "tiny", "--seed", "1", "--columnar", "--out", "cday.json"], cwd=work, check=True, stdout=subprocess.DEVNULL)
CDAY = json.load(open(os.path.join(work, "cday.json")))
CSV = open(os.path.join(work, "cday.edges.csv")).read()
ROWS = [line.split(",") for line in CSV.splitlines()[1:]]
N = len(ROWS)
SEG = [r[0] for r in ROWS]
ITEM = [r[1] for r in ROWS]
ENG = [float(r[2]) for r in ROWS]
PRICE = [float(r[3]) for r in ROWS]
CAP = [float(r[4]) if r[4] else None for r in ROWS]

for d in os.listdir(ROOT):
    if os.path.isdir(os.path.join(ROOT, d)) and d[:3].isdigit() and 120 <= int(d[:3]) <= 199:
        shutil.rmtree(os.path.join(ROOT, d))
n = 119


def case(name, args, exit, stderr, files):
    global n
    n += 1
    assert n <= 199, "the Parquet cases are numbered 120 to 199"
    d = os.path.join(ROOT, f"{n:03d}-{name}")
    os.makedirs(d)
    for fname, data in files.items():
        with open(os.path.join(d, fname), "w" if isinstance(data, str) else "wb") as f:
            f.write(data)
    lines = [f"args: {args}", f"exit: {exit}"] + [f"stderr: {s}" for s in ([stderr] if isinstance(stderr, str) else stderr)]
    open(os.path.join(d, "case"), "w").write("\n".join(lines) + "\n")


def day(edges_file="c.edges.parquet"):
    d = dict(CDAY)
    d["edges_file"] = edges_file
    return json.dumps(d, indent=1)


def columns(seg=None, item=None, eng=None, price=None, cap=None, extra=()):
    """The tiny day's edges as Parquet columns; any of them replaced."""
    cols = [seg or text("segment", SEG), item or text("item", ITEM), eng or double("engagement", ENG), price or double("price", PRICE), cap or double("cap", CAP)]
    return cols + list(extra)


def edges(name, exit, stderr, data):
    """A case that validates the tiny day over the Parquet edges `data`."""
    case(name, "validate c.json", exit, stderr, {"c.json": day(), "c.edges.parquet": data})


# 1. Hostile footers: counts and sizes are claims, checked before anything is sized from them.
OK = columns()
edges("parquet-footer-declares-1e12-rows", 1, ["c.edges.parquet", "row group 1", "holds 43 values, its row group declares 1000000000000 rows"], write(OK, group_rows=10**12, chunk_values="declared"))
edges("parquet-footer-declares-2e62-rows", 1, ["row group 1", "holds 43 values, its row group declares 4611686018427387904 rows"], write(OK, group_rows=2**62, chunk_values="declared"))
edges("parquet-footer-row-counts-overflow", 1, ["row group 3", "overflow a 64-bit count"], write(OK, groups=3, group_rows=[2**63 - 1] * 3, chunk_values="declared", file_rows=5))
edges("parquet-footer-negative-row-count", 1, ["row group 1", "declares -1 rows"], write(OK, group_rows=-1, chunk_values="declared"))
edges("parquet-footer-negative-chunk-size", 1, ["row group 1", 'field "segment"', "negative size (-5 bytes)"], write(OK, chunk_size=-5))
edges("parquet-footer-chunk-past-the-end", 1, ["row group 1", "past the data"], write(OK, chunk_size=2**40))
edges("parquet-footer-root-claims-2e31-children", 1, ["claims 2147483647 children for the schema's root, with 5 schema elements after it"], write(OK, root_children=2**31 - 1))
edges("parquet-footer-children-wider-than-i32", 1, ["holds 4294967301 where a 32-bit integer belongs"], write(OK, root_children=2**32 + 5))
edges("parquet-footer-negative-children", 1, ["claims -1 children"], write(OK, root_children=-1))
edges("parquet-footer-5-rows-over-43", 1, ["row group 1", "declares 43 values in a row group of 5 rows"], write(OK, group_rows=5))
edges("parquet-footer-5-rows-everywhere-pages-hold-43", 1, ["row group 1", "holds more values than the 5 rows its row group declares"], write(OK, group_rows=5, chunk_values="declared"))
edges("parquet-footer-file-rows-disagree", 1, ["declares 1000 rows, its row groups 43"], write(OK, file_rows=1000))
edges("parquet-footer-length-past-the-file", 1, ["declares a footer of 2147483648 bytes"], write(OK, footer_len=2**31))
edges("parquet-footer-schema-list-of-2e31", 1, ["declares a list of 2147483648 elements"], write(OK, schema_list_len=2**31))
edges("parquet-footer-chunks-overlap", 1, ["row group 2", "overlaps another"], write(OK, groups=2, same_chunks=True))
edges("parquet-footer-chunk-in-another-file", 1, ["in another file"], write(OK, file_path="elsewhere.parquet"))
edges("parquet-encrypted-footer", 1, ["encrypted Parquet file"], write(OK, tail_magic=b"PARE"))
edges("parquet-not-parquet", 1, ['does not end in "PAR1"'], CSV)
edges("parquet-empty-file", 1, ["is not a Parquet file (0 bytes)"], b"")
edges("parquet-truncated", 1, ["c.edges.parquet"], write(OK)[:300])

# 2. Hostile pages: checked before the parquet crate decodes them.
edges("parquet-page-declares-1gib", 1, ["page 1 declares 1073741824 bytes uncompressed"], write(OK, page_uncompressed=2**30))
edges("parquet-page-longer-than-its-chunk", 1, ["page 1 declares 1000000 bytes, with"], write(OK, page_compressed=10**6))
edges("parquet-page-declares-2e31-values", 1, ["holds more values than the 43 rows its row group declares"], write(OK, page_values=2**31 - 1))
edges("parquet-dictionary-of-2e31-values", 1, ["declares a dictionary of 2147483647 values"], write(columns(seg=Column("segment", BYTE_ARRAY, SEG, converted=UTF8, dictionary=True)), dict_values=2**31 - 1))
edges("parquet-dictionary-index-without-dictionary", 1, ["dictionary-encoded with no dictionary page"], write(columns(seg=Column("segment", BYTE_ARRAY, SEG, converted=UTF8, encoding=8))))
edges("parquet-delta-byte-array-refused-by-name", 1, ["DELTA_BYTE_ARRAY encoding"], write(columns(seg=Column("segment", BYTE_ARRAY, SEG, converted=UTF8, encoding=7))))
edges("parquet-gzip-longer-than-declared", 1, ["page 1 decompresses to 101 bytes, its header says 100"], write(OK, codec=GZIP, page_uncompressed=100))
edges("parquet-zstd-corrupt", 1, ["page 1", "cannot be decompressed"], write(OK, codec=ZSTD, page_body=b"\x28\xb5\x2f\xfd" + b"\xff" * 40))
# Found by the fuzzer: the parquet crate reads a PLAIN string's 4-byte length without checking
# that 4 bytes are left (a panic); agora walks the strings first.
edges("parquet-plain-strings-shorter-than-declared", 1, ["row group 1", 'field "segment"', "page 1 holds 1 values where its levels promise 43"],
      write(columns(seg=Column("segment", BYTE_ARRAY, SEG, converted=UTF8, raw=b"\x02\x00\x00\x00s1\x05\x00"))))
edges("parquet-plain-strings-short-with-nulls", 1, ['field "cap"', "page 1 holds 0 values where its levels promise 2"],
      write(columns(cap=Column("cap", BYTE_ARRAY, [None] * (N - 2) + ["1", "2"], converted=UTF8, raw=b"\x01"))))
edges("parquet-dictionary-encoded-accepted", 0, [], write(columns(seg=Column("segment", BYTE_ARRAY, SEG, converted=UTF8, dictionary=True), item=Column("item", BYTE_ARRAY, ITEM, converted=UTF8, dictionary=True))))

# 3. Compressions: each one the parquet format names is read, or refused naming it.
for codec, label in [(GZIP, "gzip"), (ZSTD, "zstd"), (LZ4_RAW, "lz4-raw"), (BROTLI, "brotli"), (UNCOMPRESSED, "uncompressed")]:
    edges(f"parquet-{label}-read", 0, [], write(OK, codec=codec))
edges("parquet-lzo-refused-by-name", 1, ["compressed with LZO, which agora does not read"], write(OK, codec_in_footer=LZO))
edges("parquet-unknown-codec", 1, ["unknown codec (Some(42))"], write(OK, codec_in_footer=42))

# 4. Types, per column: decimals scaled, unsigned read as unsigned, the rest refused by name.
# DECIMAL(9,4): 150 is stored as 1,500,000, over the engagement limit of 1e6 if read unscaled.
dec_eng = [round(e * 10000) for e in ENG[:-1]] + [1_500_000]
edges("parquet-decimal-9-4-engagement-scaled", 0, [], write(columns(eng=Column("engagement", INT32, dec_eng, converted=DECIMAL_CT, logical=logical_decimal(4, 9), scale=4, precision=9))))
edges("parquet-decimal-18-12-int64-scaled", 0, [], write(columns(eng=Column("engagement", INT64, [round(e * 10**12) for e in ENG], converted=DECIMAL_CT, scale=12, precision=18))))
be = lambda v, size=None: v.to_bytes(size or max(1, (v.bit_length() + 8) // 8), "big", signed=True)
edges("parquet-decimal-bytes-scaled", 0, [], write(columns(eng=Column("engagement", BYTE_ARRAY, [be(round(e * 10**15)) for e in ENG], logical=logical_decimal(15, 30)))))
edges("parquet-decimal-fixed-scaled", 0, [], write(columns(eng=Column("engagement", FIXED_LEN_BYTE_ARRAY, [be(round(e * 10**8), 8) for e in ENG], length=8, logical=logical_decimal(8, 18)))))
edges("parquet-decimal-wider-than-int32", 1, ['column, field "engagement"', "INT32 (DECIMAL(12,2))"], write(columns(eng=Column("engagement", INT32, [1] * N, logical=logical_decimal(2, 12)))))
edges("parquet-decimal-id-refused", 1, ['field "segment"', "cannot be an id"], write(columns(seg=Column("segment", INT64, list(range(N)), logical=logical_decimal(2, 10)))))
edges("parquet-float-id-refused", 1, ['field "item"', "DOUBLE", "cannot be an id"], write(columns(item=double("item", [1.5] * N))))
edges("parquet-uint32-cap-of-3e9-read-unsigned", 0, [], write(columns(cap=Column("cap", INT32, [3_000_000_000 if c is not None else None for c in CAP], converted=UINT_32))))
edges("parquet-int32-unsigned-logical-read-unsigned", 0, [], write(columns(cap=Column("cap", INT32, [4_000_000_000 if c is not None else None for c in CAP], logical=logical_int(32, False)))))
edges("parquet-uint64-n-read-unsigned", 1, ['field "n"', '"9223372036854775809"'], write(columns(extra=[Column("n", INT64, [2**63 + 1] * N, converted=UINT_64)])))
edges("parquet-timestamp-engagement-refused", 1, ['field "engagement"', "TIMESTAMP", "a date or time"], write(columns(eng=Column("engagement", INT64, [1] * N, logical=logical_timestamp_micros()))))
edges("parquet-boolean-refused", 1, ['field "cap"', "BOOLEAN"], write(columns(cap=Column("cap", BOOLEAN, [None] * N, raw=b""))))
edges("parquet-int96-refused", 1, ['field "cap"', "INT96"], write(columns(cap=Column("cap", INT96, [None] * N, raw=b""))))
edges("parquet-uuid-refused", 1, ['field "price"', "UUID"], write(columns(price=Column("price", FIXED_LEN_BYTE_ARRAY, [bytes(16)] * N, length=16, logical=Struct((14, T_STRUCT, Struct()))))))
edges("parquet-binary-id-not-utf8", 1, ["row 1", 'field "segment"', "is binary, not UTF-8 text"], write(columns(seg=Column("segment", BYTE_ARRAY, [b"\xff\xfe"] * N))))

# 5. Nested and duplicate columns, refused by name.
def leaf(name, physical, rep=REQUIRED, converted=None):
    return Struct((1, T_I32, physical), (3, T_I32, rep), (4, T_BINARY, name), (6, T_I32, converted) if converted is not None else None)


def group_el(name, children, rep=REQUIRED, converted=None):
    return Struct((3, T_I32, rep), (4, T_BINARY, name), (5, T_I32, children), (6, T_I32, converted) if converted is not None else None)


flat = [leaf("segment", BYTE_ARRAY, converted=UTF8), leaf("item", BYTE_ARRAY, converted=UTF8)]
struct_cols = [text("segment", SEG), text("item", ITEM), double("value", ENG)]
edges("parquet-one-child-struct-refused", 1, ['field "engagement"', "is a nested column (a struct)"], write(struct_cols, schema=flat + [group_el("engagement", 1), leaf("value", DOUBLE)], root_children=3))
edges("parquet-list-refused", 1, ['field "engagement"', "is a nested column (a list)"], write(struct_cols, schema=flat + [group_el("engagement", 1, OPTIONAL, 3), group_el("list", 1, REPEATED), leaf("element", DOUBLE)], root_children=3))
edges("parquet-repeated-column-refused", 1, ['field "engagement"', "is a repeated column"], write(columns(eng=Column("engagement", DOUBLE, ENG, repetition=REPEATED))))
edges("parquet-duplicate-column-names", 1, ['field "engagement"', "is the name of columns 3 and 6"], write(columns(extra=[double("engagement", ENG)])))
case("csv-duplicate-column-names", "validate c.json", 1, ['line 1, field "engagement"', "is the name of columns 3 and 6"],
     {"c.json": day("c.edges.csv"), "c.edges.csv": CSV.splitlines()[0] + ",engagement\n" + "".join(line + ",0.5\n" for line in CSV.splitlines()[1:])})

# 6. Parquet logs (agora estimate): the same reader, the same guarantees.
LOG = [(SEG[k], ITEM[k], float(k % 2), 0.5) for k in range(N)]
def log_columns(reward=None, extra=()):
    return [text("segment", [r[0] for r in LOG]), text("item", [r[1] for r in LOG]), reward or double("reward", [r[2] for r in LOG]), double("propensity", [r[3] for r in LOG])] + list(extra)


def logs(name, exit, stderr, data):
    case(name, "estimate l.parquet --instance c.json --out est.json", exit, stderr, {"c.json": day("c.edges.csv"), "c.edges.csv": CSV, "l.parquet": data})


LOK = log_columns()
logs("logs-parquet-read", 0, [], write(LOK))
logs("logs-parquet-footer-declares-1e12-rows", 1, ["l.parquet", "holds 43 values, its row group declares 1000000000000 rows"], write(LOK, group_rows=10**12, chunk_values="declared"))
logs("logs-parquet-footer-declares-2e62-rows", 1, ["holds 43 values, its row group declares 4611686018427387904 rows"], write(LOK, group_rows=2**62, chunk_values="declared"))
logs("logs-parquet-footer-row-counts-overflow", 1, ["row group 3", "overflow a 64-bit count"], write(LOK, groups=3, group_rows=[2**63 - 1] * 3, chunk_values="declared", file_rows=5))
logs("logs-parquet-footer-negative-chunk-size", 1, ["negative size (-5 bytes)"], write(LOK, chunk_size=-5))
logs("logs-parquet-footer-root-claims-2e31-children", 1, ["claims 2147483647 children for the schema's root"], write(LOK, root_children=2**31 - 1))
logs("logs-parquet-footer-5-rows-over-43", 1, ["declares 43 values in a row group of 5 rows"], write(LOK, group_rows=5))
logs("logs-parquet-decimal-reward-scaled", 0, [], write(log_columns(reward=Column("reward", INT32, [round(r[2] * 10000) for r in LOG], logical=logical_decimal(4, 9)))))
logs("logs-parquet-uint32-position-read-unsigned", 0, [], write(LOK + [Column("position", INT32, [3_000_000_000] * N, converted=UINT_32)]))
logs("logs-parquet-timestamp-column-accepted", 0, [], write(LOK + [Column("timestamp", INT64, [1_700_000_000_000_000] * N, logical=logical_timestamp_micros())]))
logs("logs-parquet-timestamp-reward-refused", 1, ['field "reward"', "a date or time"], write(log_columns(reward=Column("reward", INT64, [1] * N, logical=logical_timestamp_micros()))))
logs("logs-parquet-one-child-struct-refused", 1, ['field "reward"', "is a nested column (a struct)"],
     write(log_columns(reward=double("value", [0.0] * N)), schema=flat + [group_el("reward", 1), leaf("value", DOUBLE), leaf("propensity", DOUBLE)], root_children=4))
logs("logs-parquet-duplicate-column-names", 1, ['field "reward"', "is the name of columns 3 and 5"], write(LOK + [double("reward", [0.0] * N)]))
for codec, label in [(GZIP, "gzip"), (ZSTD, "zstd"), (LZ4_RAW, "lz4-raw"), (BROTLI, "brotli")]:
    logs(f"logs-parquet-{label}-read", 0, [], write(LOK, codec=codec))
logs("logs-parquet-lzo-refused-by-name", 1, ["LZO"], write(LOK, codec_in_footer=LZO))
logs("logs-parquet-not-parquet", 1, ['does not end in "PAR1"'], "segment,item,reward,propensity\n")
case("logs-csv-duplicate-column-names", "estimate l.csv --instance c.json --out est.json", 1, ['field "reward"', "is the name of columns 3 and 5"],
     {"c.json": day("c.edges.csv"), "c.edges.csv": CSV, "l.csv": "segment,item,reward,propensity,reward\n" + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},0\n" for r in LOG)})

shutil.rmtree(work)
print(f"wrote cases 120 to {n}")
