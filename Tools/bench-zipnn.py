#!/usr/bin/env python3
"""ZipNN on the exact bytes GPT2BenchFormat coded, for Tools/bench-format's side-by-side rows.

    bench-zipnn.py RAW_BIN float32|bfloat16

RAW_BIN is GPT2BenchFormat's dump (the float tensors back to back, little-endian). Prints
`key value` lines: ratio, encode/decode MB/s on 1 and 2 threads (wall, best of 3) and per
CPU-second on 1 thread (process CPU time), like GPT2BenchFormat's keys.

ZipNN 0.5.4 imports torch at module level, but its byte path (input_format="byte") never
calls it; PyPI's torch wheel pulls gigabytes of CUDA libraries, so an inert stand-in module is
registered under the name `torch` before zipnn is imported. ZipNN's compress changes the buffer
it is given (bit reordering in place), so every run gets a fresh copy and the round trip is
compared with an untouched one.
"""
import sys
import time
import types


def install_torch_stand_in():
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass

    class Inert:
        def __init__(self, *a, **k): pass
        def __call__(self, *a, **k): return Inert()
        def __getattr__(self, name): return Inert()
        def __getitem__(self, key): return Inert()
        def __or__(self, other): return Inert()
        __ror__ = __or__

    stand_in = types.ModuleType("torch")
    stand_in.__version__ = "0.0"
    stand_in.__getattr__ = lambda name: Inert()
    sys.modules["torch"] = stand_in


def best(runs, fn):
    """(best wall seconds, best process CPU seconds, last result) over `runs` calls."""
    wall = cpu = float("inf")
    out = None
    for _ in range(runs):
        prepared = fn.prepare()
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(prepared)
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


class Step:
    def __init__(self, prepare, run):
        self.prepare, self.run = prepare, run

    def __call__(self, x):
        return self.run(x)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("float32", "bfloat16"):
        sys.exit("usage: bench-zipnn.py RAW_BIN float32|bfloat16")
    path, dtype = sys.argv[1], sys.argv[2]
    install_torch_stand_in()
    from zipnn import ZipNN
    import zipnn
    data = open(path, "rb").read()
    mb = len(data) / 1e6
    out = [("zipnn_version", getattr(zipnn, "__version__", "0.5.4")), ("raw_bytes", len(data))]
    compressed = None
    for threads in (1, 2):
        z = ZipNN(input_format="byte", bytearray_dtype=dtype, threads=threads)
        wall, cpu, compressed = best(3, Step(lambda: bytearray(data), lambda b: bytes(z.compress(b))))
        out.append(("encode_mbps_t%d" % threads, round(mb / wall)))
        if threads == 1:
            out.append(("encode_mbps_cpu_t1", round(mb / cpu)))
    for threads in (1, 2):
        z = ZipNN(input_format="byte", bytearray_dtype=dtype, threads=threads)
        wall, cpu, decoded = best(3, Step(lambda: bytearray(compressed), lambda b: z.decompress(b)))
        if bytes(decoded) != data:
            sys.exit("bench-zipnn: ZipNN's round trip differs from the input (%s, %d threads)" % (dtype, threads))
        out.append(("decode_mbps_t%d" % threads, round(mb / wall)))
        if threads == 1:
            out.append(("decode_mbps_cpu_t1", round(mb / cpu)))
    out.append(("stored_bytes", len(compressed)))
    out.append(("ratio", len(compressed) / len(data)))
    for k, v in out:
        print(k, v)


if __name__ == "__main__":
    main()
