"""A minimal Parquet writer for the malformed corpus (make_parquet.py): flat columns, PLAIN pages
(v1), one page per column chunk, every footer field under the caller's control, so that a case can
declare what its pages do not hold (10^12 rows, a negative chunk size, 2^31 children, ...).

The Thrift compact protocol and the Parquet structures are written from the format's
specification (parquet-format's parquet.thrift); nothing here reads a Parquet file."""
import struct, zlib

# Thrift compact types.
T_TRUE, T_FALSE, T_BYTE, T_I16, T_I32, T_I64, T_DOUBLE, T_BINARY, T_LIST, T_SET, T_MAP, T_STRUCT = range(1, 13)

# Parquet enums.
BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY = range(8)
REQUIRED, OPTIONAL, REPEATED = range(3)
UTF8, DECIMAL_CT, DATE_CT, UINT_32, UINT_64, INT_32 = 0, 5, 6, 13, 14, 17
UNCOMPRESSED, SNAPPY, GZIP, LZO, BROTLI, LZ4, ZSTD, LZ4_RAW = range(8)
PLAIN, RLE = 0, 3


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


class Struct:
    """A Thrift struct: a list of (field id, type, value); value is an int, bytes, str, a Struct,
    or a list for T_LIST as (element type, [values])."""

    def __init__(self, *fields):
        self.fields = [f for f in fields if f is not None]

    def encode(self):
        out = bytearray()
        last = 0
        for fid, typ, value in self.fields:
            wire = typ
            if typ == T_TRUE:
                wire = T_TRUE if value else T_FALSE
            delta = fid - last
            if 0 < delta <= 15:
                out.append((delta << 4) | wire)
            else:
                out.append(wire)
                out += varint(zigzag(fid))
            last = fid
            if typ != T_TRUE:
                out += encode_value(typ, value)
        out.append(0)
        return bytes(out)


def encode_value(typ, value):
    if typ in (T_I16, T_I32, T_I64):
        return varint(zigzag(value))
    if typ == T_BYTE:
        return bytes([value & 0xFF])
    if typ == T_BINARY:
        b = value.encode() if isinstance(value, str) else value
        return varint(len(b)) + b
    if typ == T_STRUCT:
        return value.encode()
    if typ == T_LIST:
        elem, items = value
        head = bytes([(len(items) << 4) | elem]) if len(items) < 15 else bytes([0xF0 | elem]) + varint(len(items))
        body = b"".join(bytes([T_TRUE if v else T_FALSE]) if elem == T_TRUE else encode_value(elem, v) for v in items)
        return head + body
    raise ValueError(typ)


class Column:
    """A flat column: its name, physical type, values (None is a null: the column is then
    optional), and optional annotations (converted type, logical type, scale, precision, length).
    `raw` replaces the encoded values of the page (a page whose bytes disagree with its count)."""

    def __init__(self, name, physical, values, converted=None, logical=None, scale=None, precision=None, length=None, optional=None, raw=None,
                 dictionary=False, encoding=None, repetition=None):
        self.name, self.physical, self.values = name, physical, values
        self.converted, self.logical, self.scale, self.precision, self.length = converted, logical, scale, precision, length
        self.optional = any(v is None for v in values) if optional is None else optional
        self.raw = raw
        self.dictionary = dictionary  # a PLAIN dictionary page, then RLE_DICTIONARY indices
        self.encoding = encoding  # the data page's encoding as declared (default PLAIN or RLE_DICTIONARY)
        self.repetition = repetition

    def schema_element(self):
        return Struct(
            (1, T_I32, self.physical),
            (2, T_I32, self.length) if self.length is not None else None,
            (3, T_I32, self.repetition if self.repetition is not None else OPTIONAL if self.optional else REQUIRED),
            (4, T_BINARY, self.name),
            (6, T_I32, self.converted) if self.converted is not None else None,
            (7, T_I32, self.scale) if self.scale is not None else None,
            (8, T_I32, self.precision) if self.precision is not None else None,
            (10, T_STRUCT, self.logical) if self.logical is not None else None,
        )

    def distinct(self):
        seen = []
        for v in self.values:
            if v is not None and v not in seen:
                seen.append(v)
        return seen

    def plain(self, values=None):
        if self.raw is not None and values is None:
            return self.raw
        if self.dictionary and values is None:
            # RLE_DICTIONARY indices: a bit width byte, then one RLE run per value.
            d = self.distinct()
            width = max(1, (len(d) - 1).bit_length())
            out = bytearray([width])
            for v in self.values:
                if v is not None:
                    out += varint(1 << 1) + d.index(v).to_bytes((width + 7) // 8, "little")
            return bytes(out)
        out = bytearray()
        for v in (self.values if values is None else values):
            if v is None:
                continue
            if self.physical == INT32:
                out += struct.pack("<I", v & 0xFFFFFFFF)
            elif self.physical == INT64:
                out += struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)
            elif self.physical == DOUBLE:
                out += struct.pack("<d", v)
            elif self.physical == FLOAT:
                out += struct.pack("<f", v)
            elif self.physical == BOOLEAN:
                raise ValueError("booleans are bit-packed; pass raw")
            elif self.physical == BYTE_ARRAY:
                b = v.encode() if isinstance(v, str) else v
                out += struct.pack("<I", len(b)) + b
            elif self.physical == FIXED_LEN_BYTE_ARRAY:
                out += v
        return bytes(out)

    def page(self):
        """The page's uncompressed bytes: definition levels (RLE, bit width 1) when optional, then
        the PLAIN values."""
        body = self.plain()
        if not self.optional:
            return body
        runs = bytearray()
        levels = [0 if v is None else 1 for v in self.values]
        k = 0
        while k < len(levels):
            j = k
            while j < len(levels) and levels[j] == levels[k]:
                j += 1
            runs += varint((j - k) << 1) + bytes([levels[k]])
            k = j
        return struct.pack("<I", len(runs)) + bytes(runs) + body


def logical_string():
    return Struct((1, T_STRUCT, Struct()))


def logical_decimal(scale, precision):
    return Struct((5, T_STRUCT, Struct((1, T_I32, scale), (2, T_I32, precision))))


def logical_int(bits, signed):
    return Struct((10, T_STRUCT, Struct((1, T_BYTE, bits), (2, T_TRUE, signed))))


def logical_timestamp_micros():
    return Struct((8, T_STRUCT, Struct((1, T_TRUE, True), (2, T_STRUCT, Struct((2, T_STRUCT, Struct()))))))


def text(name, values):
    return Column(name, BYTE_ARRAY, values, converted=UTF8, logical=logical_string())


def double(name, values):
    return Column(name, DOUBLE, values)


def compress(codec, data):
    """The codecs a case can write without libraries: none, gzip (zlib), and the stored forms of
    zstd (a raw block), LZ4_RAW (one literal-only sequence) and brotli (an uncompressed
    meta-block): valid streams of each format that any decoder must accept."""
    if codec == UNCOMPRESSED:
        return data
    if codec == GZIP:
        c = zlib.compressobj(6, zlib.DEFLATED, 31)
        return c.compress(data) + c.flush()
    if codec == ZSTD:
        # Frame: magic, descriptor (single segment, 4-byte content size), content size, one last raw block.
        assert len(data) < (1 << 21)
        header = struct.pack("<I", 0xFD2FB528) + bytes([0xA0]) + struct.pack("<I", len(data))
        block = (len(data) << 3) | 0b001  # last block, raw
        return header + struct.pack("<I", block)[:3] + data
    if codec == LZ4_RAW:
        n = len(data)
        if n < 15:
            return bytes([n << 4]) + data
        out = bytearray([0xF0])
        n -= 15
        while n >= 255:
            out.append(255)
            n -= 255
        out.append(n)
        return bytes(out) + data
    if codec == BROTLI:
        # WBITS 16 (a single 0 bit), then one uncompressed meta-block and an empty last one.
        assert 0 < len(data) <= 65536
        bits = [0]  # WBITS = 16
        bits += [0]  # ISLAST = 0
        bits += [0, 0]  # MNIBBLES = 4
        m = len(data) - 1
        bits += [(m >> i) & 1 for i in range(16)]  # MLEN - 1, 4 nibbles
        bits += [1]  # ISUNCOMPRESSED
        out = bytearray()
        acc, nbits = 0, 0
        for b in bits:
            acc |= b << nbits
            nbits += 1
        out += acc.to_bytes((nbits + 7) // 8, "little")  # pad to a byte boundary with zeros
        out += data
        out.append(0b11)  # ISLAST = 1, ISLASTEMPTY = 1
        return bytes(out)
    raise ValueError(f"no writer for codec {codec}")


def write(columns, *, rows=None, group_rows=None, file_rows=None, codec=UNCOMPRESSED, root_children=None,
          chunk_size=None, schema=None, root_name="schema", groups=1, codec_in_footer=None, chunk_values=None,
          schema_list_len=None, page_uncompressed=None, page_compressed=None, page_values=None, dict_values=None,
          file_path=None, tail_magic=b"PAR1", footer_len=None, page_body=None, same_chunks=False):
    """A Parquet file of `columns` (every column the same number of values) in `groups` identical
    row groups. Footer overrides: `group_rows` (a row group's num_rows, or a list, one per group),
    `file_rows`, `root_children` (the root's num_children), `chunk_size` (every column chunk's
    total_compressed_size), `chunk_values` (every chunk's num_values; "declared": its group's rows),
    `schema` (the SchemaElements after the root, replacing the columns'), `schema_list_len` (the
    length the schema list declares), `codec_in_footer` (the codec the footer names, if not the one
    used), `file_path` (every chunk's), `tail_magic`, `footer_len`. Page overrides (the first
    column's data page): `page_uncompressed`, `page_compressed`, `page_values`, `page_body` (the
    bytes stored); `dict_values` (a dictionary page's declared count); `same_chunks` (every row
    group's footer entry points at the first group's chunks)."""
    n = len(columns[0].values) if rows is None else rows
    out = bytearray(b"PAR1")
    row_groups = []
    for g in range(groups):
        declared = group_rows[g] if isinstance(group_rows, list) else (n if group_rows is None else group_rows)
        chunks = []
        for k, col in enumerate(columns):
            first = k == 0
            chunk_start = len(out)
            dict_offset = None
            if col.dictionary:
                dpage = col.plain(col.distinct())
                dbody = compress(codec, dpage)
                nd = len(col.distinct()) if dict_values is None or not first else dict_values
                dict_offset = len(out)
                out += Struct((1, T_I32, 2), (2, T_I32, len(dpage)), (3, T_I32, len(dbody)), (7, T_STRUCT, Struct((1, T_I32, nd), (2, T_I32, PLAIN)))).encode() + dbody
            page = col.page()
            body = compress(codec, page) if not (first and page_body is not None) else page_body
            enc = col.encoding if col.encoding is not None else (8 if col.dictionary else PLAIN)
            nv = len(col.values) if not (first and page_values is not None) else page_values
            header = Struct(
                (1, T_I32, 0),
                (2, T_I32, page_uncompressed if first and page_uncompressed is not None else len(page)),
                (3, T_I32, page_compressed if first and page_compressed is not None else len(body)),
                (5, T_STRUCT, Struct((1, T_I32, nv), (2, T_I32, enc), (3, T_I32, RLE), (4, T_I32, RLE))),
            ).encode()
            offset = len(out)
            out += header + body
            size = len(out) - chunk_start
            values = declared if chunk_values == "declared" else (len(col.values) if chunk_values is None else chunk_values)
            meta = Struct(
                (1, T_I32, col.physical),
                (2, T_LIST, (T_I32, [PLAIN, RLE])),
                (3, T_LIST, (T_BINARY, [col.name])),
                (4, T_I32, codec if codec_in_footer is None else codec_in_footer),
                (5, T_I64, values),
                (6, T_I64, size),
                (7, T_I64, size if chunk_size is None else chunk_size),
                (9, T_I64, offset),
                (11, T_I64, dict_offset) if dict_offset is not None else None,
            )
            chunks.append(Struct((1, T_BINARY, file_path) if file_path else None, (2, T_I64, chunk_start), (3, T_STRUCT, meta)))
        if same_chunks and row_groups:
            chunks = row_groups[0].fields[0][2][1]
        row_groups.append(Struct((1, T_LIST, (T_STRUCT, chunks)), (2, T_I64, 0), (3, T_I64, declared)))
    elements = [c.schema_element() for c in columns] if schema is None else list(schema)
    tops = len(columns) if schema is None else None
    root = Struct((4, T_BINARY, root_name), (5, T_I32, (tops if tops is not None else len(columns)) if root_children is None else root_children))
    schema_bytes = encode_value(T_LIST, (T_STRUCT, [root] + elements))
    if schema_list_len is not None:
        schema_bytes = bytes([0xF0 | T_STRUCT]) + varint(schema_list_len) + b"".join(e.encode() for e in [root] + elements)
    total = file_rows if file_rows is not None else sum(group_rows) if isinstance(group_rows, list) else (n if group_rows is None else group_rows) * groups
    # Fields 3, 4 and 6 follow field 2: their headers' deltas are from 2, so encode them apart.
    rest = Struct((1, T_I64, total), (2, T_LIST, (T_STRUCT, row_groups)), (4, T_BINARY, "agora malformed corpus")).encode()
    meta = bytes([0x15]) + varint(zigzag(1)) + bytes([0x19]) + schema_bytes + rest
    out += meta + struct.pack("<I", len(meta) if footer_len is None else footer_len) + tail_magic
    return bytes(out)
