#!/usr/bin/env python3
"""An independent reader of the GPT2Kit model file, written only from
Sources/GPT2ModelFile/FORMAT.md (not from the Swift code), so the format is checked by a
reader that is not ours.

  Tools/modelfile-reader.py FILE [--json] [--values] [--tensor NAME]

Parses the 96-byte header, checks the magic, version, file size, flags, regions and the header
CRC32C (header with its CRC field zeroed ++ metadata ++ table), parses the JSON metadata and the
tensor table, checks every entry as "Reader obligations" lists, and checks the CRC32C of every
raw tensor's bytes. Prints a summary; with --json one JSON object (header, metadata, tensors;
with --values each raw f32/f16/bf16 tensor's values as a flat list). Exit status 1 and a
message naming the offset on any violation. Needs numpy (Tools/setup --test puts it in
.build/venv). byteplanes-zstd tensors are listed but not decoded (no zstd in the venv).
"""
import json, os, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".build", "venv")
try:
    import numpy as np
except ImportError:
    py = os.path.join(VENV, "bin", "python")
    if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(py, [py] + sys.argv)
    sys.exit("modelfile-reader: numpy not found; run Tools/setup --test")

MAGIC = bytes([0x89, 0x47, 0x32, 0x4B, 0x0D, 0x0A, 0x1A, 0x0A])
HEADER = struct.Struct("<8sHHIII7QII8s")   # FORMAT.md "Header": 8+2+2+4+4+4+7*8+4+4+8 = 96
assert HEADER.size == 96
DTYPES = {0: ("f32", 4), 1: ("f16", 2), 2: ("bf16", 2), 3: ("q8_0", None)}
CODECS = {0: "raw", 1: "byteplanes-zstd", 2: "byteplanes-zstd"}   # 2: rotated planes (format 1.1)


class FormatError(Exception):
    pass


def crc32c_table():
    # CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 (FORMAT.md "Checksums").
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return np.array(t, dtype=np.uint32)


TABLE = crc32c_table()


def crc32c(data, crc=0):
    """Byte-at-a-time CRC32C; init and final xor 0xFFFFFFFF. `crc` continues a previous value."""
    c = (crc ^ 0xFFFFFFFF) & 0xFFFFFFFF
    t = TABLE.tolist()
    for b in memoryview(data).cast("B"):
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283   # the check value FORMAT.md gives


def element_bytes(dtype, count, where):
    name, size = DTYPES[dtype]
    if size is not None:
        return size * count
    if count % 32:
        raise FormatError(f"{where}: q8_0 element count {count} is not a multiple of 32")
    return count // 32 * 34


def read(path):
    data = open(path, "rb").read()
    n = len(data)
    if n < 96:
        raise FormatError(f"offset {n}: file is {n} bytes, shorter than the 96-byte header")
    (magic, major, minor, header_size, alignment, tensor_count, metadata_offset, metadata_size,
     table_offset, table_size, data_offset, data_size, file_size, flags, header_crc, reserved) = HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise FormatError(f"offset 0: magic {magic.hex(' ')}, expected {MAGIC.hex(' ')}")
    if major != 1:
        raise FormatError(f"offset 8: major version {major}, expected 1")
    if file_size != n:
        raise FormatError(f"offset 64: file_size {file_size}, the file has {n} bytes")
    if flags != 0:
        raise FormatError(f"offset 80: flags {flags:#x}, expected 0")
    if header_size < 96:
        raise FormatError(f"offset 12: header_size {header_size} < 96")
    if alignment < 64 or alignment > 1 << 20 or alignment & (alignment - 1):
        raise FormatError(f"offset 16: alignment {alignment} is not a power of two in 64 ... 1 MiB")
    regions = {"metadata": (metadata_offset, metadata_size), "table": (table_offset, table_size),
               "data": (data_offset, data_size)}
    for name, (off, size) in regions.items():
        if off < header_size or off + size > n:
            raise FormatError(f"{name} region [{off}, {off + size}) is not inside [{header_size}, {n})")
    spans = sorted(regions.values())
    for (a, sa), (b, _) in zip(spans, spans[1:]):
        if a + sa > b:
            raise FormatError(f"regions overlap at offset {b}")
    if data_offset % alignment:
        raise FormatError(f"offset 56: data_offset {data_offset} is not a multiple of {alignment}")
    metadata = data[metadata_offset:metadata_offset + metadata_size]
    table = data[table_offset:table_offset + table_size]
    zeroed = bytearray(data[:96])
    zeroed[84:88] = b"\0\0\0\0"     # header_crc32c: after magic..flags = 8+2+2+4*3+8*7+4 = 84
    crc = crc32c(table, crc32c(metadata, crc32c(bytes(zeroed))))
    if crc != header_crc:
        raise FormatError(f"offset 84: header CRC32C {header_crc:#010x}, computed {crc:#010x}")
    try:
        meta = json.loads(metadata.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"offset {metadata_offset}: metadata is not UTF-8 JSON: {e}")
    if not isinstance(meta, dict):
        raise FormatError(f"offset {metadata_offset}: metadata is not a JSON object")

    tensors, names, p = [], set(), 0
    for i in range(tensor_count):
        where = f"table entry {i} (offset {table_offset + p})"
        def take(fmt):
            nonlocal p
            size = struct.calcsize(fmt)
            if p + size > len(table):
                raise FormatError(f"{where}: runs past the end of the table")
            v = struct.unpack_from(fmt, table, p)
            p += size
            return v
        (name_len,) = take("<H")
        if not 1 <= name_len <= 1024:
            raise FormatError(f"{where}: name_len {name_len} not in 1 ... 1024")
        (raw_name,) = take(f"<{name_len}s")
        name = raw_name.decode("utf-8")
        dtype, codec, n_dims, reserved_byte, crc = take("<BBBBI")
        if dtype not in DTYPES or codec not in CODECS or n_dims > 8:
            raise FormatError(f"{where} {name}: dtype {dtype}, codec {codec}, n_dims {n_dims}")
        dims = list(take(f"<{n_dims}Q"))
        offset, stored_size, raw_size = take("<QQQ")
        count = 1
        for d in dims:
            count *= d                          # Python ints: no overflow
        if raw_size != element_bytes(dtype, count, where):
            raise FormatError(f"{where} {name}: raw_size {raw_size} is not the dtype size of {dims}")
        if codec == 0 and stored_size != raw_size:
            raise FormatError(f"{where} {name}: raw tensor with stored_size {stored_size} != raw_size {raw_size}")
        if offset % alignment or offset < data_offset or offset + stored_size > data_offset + data_size:
            raise FormatError(f"{where} {name}: payload [{offset}, {offset + stored_size}) not aligned inside the data region")
        if name in names:
            raise FormatError(f"{where}: duplicate name {name}")
        names.add(name)
        tensors.append(dict(name=name, dtype=DTYPES[dtype][0], codec=CODECS[codec], shape=dims, crc32c=crc,
                            offset=offset, stored_size=stored_size, raw_size=raw_size))
    if p != len(table):
        raise FormatError(f"offset {table_offset + p}: the entries end {len(table) - p} bytes before the table does")
    live = sorted((t["offset"], t["stored_size"], t["name"]) for t in tensors if t["stored_size"])
    for (a, sa, na), (b, _, nb) in zip(live, live[1:]):
        if a + sa > b:
            raise FormatError(f"payloads of {na} and {nb} overlap at offset {b}")

    # Only now are payloads read: the CRC32C of every raw tensor's bytes.
    for t in tensors:
        if t["codec"] != "raw":
            continue
        payload = data[t["offset"]:t["offset"] + t["stored_size"]]
        got = crc32c(payload)
        if got != t["crc32c"]:
            raise FormatError(f"offset {t['offset']}: tensor {t['name']} CRC32C {got:#010x}, table says {t['crc32c']:#010x}")
        t["bytes"] = payload
    header = dict(major=major, minor=minor, header_size=header_size, alignment=alignment, tensor_count=tensor_count,
                  metadata_offset=metadata_offset, metadata_size=metadata_size, table_offset=table_offset,
                  table_size=table_size, data_offset=data_offset, data_size=data_size, file_size=file_size)
    return header, meta, tensors


def values(t):
    """A raw tensor's values as float64 numpy array (little-endian, row-major), or None."""
    b = t.get("bytes")
    if b is None:
        return None
    if t["dtype"] == "f32":
        return np.frombuffer(b, dtype="<f4").astype(np.float64)
    if t["dtype"] == "f16":
        return np.frombuffer(b, dtype="<f2").astype(np.float64)
    if t["dtype"] == "bf16":   # the high half of binary32
        return (np.frombuffer(b, dtype="<u2").astype(np.uint32) << 16).view("<f4").astype(np.float64)
    if t["dtype"] == "q8_0":   # blocks of an f16 scale d and 32 int8 q: value = d * q
        blocks = np.frombuffer(b, dtype=np.dtype([("d", "<f2"), ("q", "i1", 32)]))
        return (blocks["d"].astype(np.float64)[:, None] * blocks["q"].astype(np.float64)).ravel()
    return None


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    want_json, want_values = "--json" in argv, "--values" in argv
    only = None
    if "--tensor" in argv:
        only = argv[argv.index("--tensor") + 1]
        args.remove(only)
    if len(args) != 1:
        sys.exit(__doc__)
    try:
        header, meta, tensors = read(args[0])
    except (FormatError, UnicodeDecodeError, OSError) as e:
        print(f"modelfile-reader: {args[0]}: {e}", file=sys.stderr)
        return 1
    if only is not None:
        tensors = [t for t in tensors if t["name"] == only]
    if want_json:
        out = []
        for t in tensors:
            row = {k: v for k, v in t.items() if k != "bytes"}
            if want_values:
                v = values(t)
                row["values"] = None if v is None else [float(x) for x in v]
            out.append(row)
        json.dump(dict(header=header, metadata=meta, tensors=out), sys.stdout)
        print()
    else:
        print(f"{args[0]}: GPT2Kit model file {header['major']}.{header['minor']}, {len(tensors)} tensors, "
              f"architecture {meta.get('architecture')}; header CRC32C and every raw tensor CRC32C ok")
        for t in tensors:
            print(f"  {t['name']:<28} {t['dtype']:<5} {'x'.join(map(str, t['shape'])):<12} {t['codec']:<16} {t['stored_size']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
