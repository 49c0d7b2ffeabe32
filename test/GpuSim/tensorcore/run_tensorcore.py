#!/usr/bin/env python3
"""Focused checks of the simulator's tensor-core and TMA semantics.

Runs the kernels in Inputs/ in attn-gpu-sim and compares their outputs
exactly with references computed here:

  tc_mma.ptx    (tc_mma.cu, CuTe MMA atoms, sm_89): mma.sync tf32 k4/k8,
                bf16 k8, f16 k8 with f16 accumulators, s8 k32, u8*s8 k16
                .satfinite, e4m3 k32, e5m2*e4m3 k32 with f16 accumulators.
  tc_wgmma.ptx  (tc_wgmma.cu, CuTe GMMA atoms, sm_90a): wgmma bf16 N=128,
                f16 accumulators, tf32, e4m3, e5m2*e4m3, s8, MN-major A and
                B (interleave, 32/64/128B swizzles), A from registers (bf16
                N=256, e4m3), imm-scale-a = -1 with scale-d = 0, N=24.
  tc_tma.ptx    (hand-written): cp.async.bulk.tensor 3-D and 2-D loads with
                out-of-bound zero fill and 32/64B swizzles, tensor maps by
                value and by pointer, a load/store round trip with clipped
                stores, and non-tensor cp.async.bulk both ways.
  tc_ldsm.ptx   (hand-written): ldmatrix .x1 (ignored lanes), .x2.trans,
                .x4 generic, stmatrix .x2.trans / .x1 as their inverses.

Inputs are small multiples of 1/2 (floats) or random integers, so every
reference is exact and compared bit for bit. The CuTe kernels take their
register fragments, descriptors and shared-memory swizzles from CUTLASS
(not from the simulator's reading of the PTX ISA); regenerate them with
Inputs/make_inputs.sh. Pure Python (no numpy), so lit can run it.

usage: run_tensorcore.py --sim PATH [--racecheck] [--filter S] [--keep DIR]
"""
import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "Inputs")

# ---------------------------------------------------------------------------
# Element formats
# ---------------------------------------------------------------------------


def _minifloat(bits, ebits, mbits, bias, fn):
    """Value of a small float code (fn: e4m3 without infinities)."""
    sign = -1.0 if bits >> (ebits + mbits) & 1 else 1.0
    e = (bits >> mbits) & ((1 << ebits) - 1)
    m = bits & ((1 << mbits) - 1)
    if e == (1 << ebits) - 1 and (not fn or m == (1 << mbits) - 1):
        return None  # inf / nan: never used here
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - mbits)
    return sign * (1 + m / 2.0 ** mbits) * 2.0 ** (e - bias)


def _table(ebits, mbits, bias, fn):
    out = {}
    for code in range(256):
        v = _minifloat(code, ebits, mbits, bias, fn)
        if v is not None and (v not in out or code < out[v]):
            out[v] = code
    return out


E4M3 = _table(4, 3, 7, True)
E5M2 = _table(5, 2, 15, False)

# name: (npy descr, bytes, encode(value) -> bytes, decode(bytes) -> value)
FORMATS = {
    "f16": ("<f2", 2, lambda v: struct.pack("<e", v),
            lambda b: struct.unpack("<e", b)[0]),
    "bf16": ("<u2", 2, lambda v: struct.pack("<f", v)[2:],
             lambda b: struct.unpack("<f", b"\0\0" + b)[0]),
    "f32": ("<f4", 4, lambda v: struct.pack("<f", v),
            lambda b: struct.unpack("<f", b)[0]),
    "tf32": ("<f4", 4, lambda v: struct.pack("<f", v),
             lambda b: struct.unpack("<f", b)[0]),
    "e4m3": ("|u1", 1, lambda v: bytes([E4M3[v]]), None),
    "e5m2": ("|u1", 1, lambda v: bytes([E5M2[v]]), None),
    "s8": ("|i1", 1, lambda v: struct.pack("<b", v),
           lambda b: struct.unpack("<b", b)[0]),
    "u8": ("|u1", 1, lambda v: struct.pack("<B", v),
           lambda b: struct.unpack("<B", b)[0]),
    "u16": ("<u2", 2, lambda v: struct.pack("<H", v),
            lambda b: struct.unpack("<H", b)[0]),
    "u32": ("<u4", 4, lambda v: struct.pack("<I", v),
            lambda b: struct.unpack("<I", b)[0]),
    "s32": ("<i4", 4, lambda v: struct.pack("<i", v),
            lambda b: struct.unpack("<i", b)[0]),
}


def encode(fmt, values):
    return b"".join(FORMATS[fmt][2](v) for v in values)


def decode(fmt, data):
    n = FORMATS[fmt][1]
    return [FORMATS[fmt][3](data[i:i + n]) for i in range(0, len(data), n)]


# ---------------------------------------------------------------------------
# .npy files
# ---------------------------------------------------------------------------


def write_npy(path, fmt, shape, data):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        FORMATS[fmt][0], dims)
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = (header + " " * pad + "\n").encode()
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
                header + data)


def read_npy(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        raise ValueError(path + " is not a .npy file")
    if raw[6] == 1:
        hlen = struct.unpack("<H", raw[8:10])[0]
        return raw[10 + hlen:]
    hlen = struct.unpack("<I", raw[8:12])[0]
    return raw[12 + hlen:]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


def halves(rng, n, lo=-4, hi=4):
    """n random multiples of 1/2 in [lo/2, hi/2]."""
    return [rng.randint(lo, hi) / 2.0 for _ in range(n)]


def quarters(rng, n):
    return [rng.randint(-16, 16) / 4.0 for _ in range(n)]


def ints(rng, fmt, n):
    if fmt == "s8":
        return [rng.randint(-128, 127) for _ in range(n)]
    return [rng.randint(0, 255) for _ in range(n)]


def tf32_exact(v):
    return v  # multiples of 1/2 are exact in tf32


class Case:
    def __init__(self, name, ptx, kernel, block, shared, args, check):
        self.name, self.ptx, self.kernel = name, ptx, kernel
        self.block, self.shared = block, shared
        self.args = args  # list of ("buf", fmt, shape, bytes) or ("raw", str)
        self.check = check  # fn(outputs: {index: bytes}) -> error or None


def gemm_case(name, ptx, kernel, block, shared, fa, fb, fc, M, N, K, amn,
              bmn, rng, neg_a=False, zero_c=False, saturate=0):
    """D = C + A * B^T (A M x K, B N x K); A stored K x M if amn, B K x N if
    bmn. With neg_a: D = C - A * B^T; zero_c: C is ignored; saturate: the
    k-block size of instructions that clamp their int32 result."""
    isint = fa in ("s8", "u8")
    if isint:
        a = ints(rng, fa, M * K)
        b = ints(rng, fb, N * K)
        c = [rng.randint(-100000, 100000) for _ in range(M * N)]
        if saturate:
            for i in range(0, M * N, 3):
                c[i] = 2**31 - 1 - rng.randint(0, 1000)
            for i in range(1, M * N, 3):
                c[i] = -2**31 + rng.randint(0, 1000)
    else:
        a = halves(rng, M * K)
        b = halves(rng, N * K)
        c = quarters(rng, M * N)
    ref = []
    for m in range(M):
        for n in range(N):
            s = 0 if zero_c else c[m * N + n]
            # One instruction per k-block of `saturate` (each saturates).
            step = saturate or K
            for k0 in range(0, K, step):
                p = sum(a[m * K + k] * b[n * K + k]
                        for k in range(k0, k0 + step))
                s += -p if neg_a else p
                if saturate:
                    s = max(-2**31, min(2**31 - 1, s))
            if isint and not saturate:
                s = (s + 2**31) % 2**32 - 2**31
            ref.append(s)
    a_store = [a[m * K + k] for k in range(K) for m in range(M)] if amn else a
    b_store = [b[n * K + k] for k in range(K) for n in range(N)] if bmn else b
    args = [("buf", fa, [K, M] if amn else [M, K], encode(fa, a_store)),
            ("buf", fb, [K, N] if bmn else [N, K], encode(fb, b_store)),
            ("buf", fc, [M, N], encode(fc, c)),
            ("buf", fc, [M, N], encode(fc, [0] * (M * N)))]

    def check(out):
        got = decode(fc, out[3])
        bad = [i for i in range(M * N) if got[i] != ref[i]]
        if bad:
            i = bad[0]
            return "%d/%d mismatches; first D[%d][%d] = %r, want %r" % (
                len(bad), M * N, i // N, i % N, got[i], ref[i])
        return None

    return Case(name, ptx, kernel, block, shared, args, check)


MMA = [
    # kernel, A, B, C/D, K (two k-blocks), saturating k-block
    ("mma_tf32_k8", "tf32", "tf32", "f32", 16, 0),
    ("mma_tf32_k4", "tf32", "tf32", "f32", 8, 0),
    ("mma_bf16_k8", "bf16", "bf16", "f32", 16, 0),
    ("mma_f16_k8_f16", "f16", "f16", "f16", 16, 0),
    ("mma_s8_k32", "s8", "s8", "s32", 64, 0),
    ("mma_u8s8_k16_sat", "u8", "s8", "s32", 32, 16),
    ("mma_e4m3_k32", "e4m3", "e4m3", "f32", 64, 0),
    ("mma_e5m2e4m3_k32_f16", "e5m2", "e4m3", "f16", 64, 0),
]

WGMMA = [
    # kernel, A, B, C/D, N, BK, A MN-major, B MN-major, options
    ("wg_bf16_n128_sw128", "bf16", "bf16", "f32", 128, 64, False, False, {}),
    ("wg_f16acc_n32_sw64", "f16", "f16", "f16", 32, 32, False, False, {}),
    ("wg_tf32_n64_sw128", "tf32", "tf32", "f32", 64, 32, False, False, {}),
    ("wg_e4m3_n64_sw64", "e4m3", "e4m3", "f32", 64, 64, False, False, {}),
    ("wg_e5m2e4m3_f16acc_sw32", "e5m2", "e4m3", "f16", 64, 64, False, False,
     {}),
    ("wg_s8_n64_sw32", "s8", "s8", "s32", 64, 64, False, False, {}),
    ("wg_f16_amn_sw64_bmn_inter", "f16", "f16", "f32", 64, 32, True, True,
     {}),
    ("wg_f16_amn_sw32_bmn_sw128", "f16", "f16", "f32", 64, 32, True, True,
     {}),
    ("wg_f16_amn_inter_bk_sw32", "f16", "f16", "f32", 64, 32, True, False,
     {}),
    ("wg_rs_bf16_n256_sw128", "bf16", "bf16", "f32", 256, 64, False, False,
     {}),
    ("wg_rs_e4m3_n32", "e4m3", "e4m3", "f32", 32, 128, False, False, {}),
    ("wg_f16_nega_zero", "f16", "f16", "f32", 64, 32, False, False,
     {"neg_a": True, "zero_c": True}),
    ("wg_f16_n24_inter", "f16", "f16", "f32", 24, 32, False, False, {}),
]


def swizzle(addr, span):
    if span == 0:
        return addr
    mask = span // 16 - 1
    return addr ^ (((addr >> 7) & mask) << 4)


def box_image(src, dims, strides, eb, box, coord):
    """The dense box (innermost first) of `src` at `coord`, zero-filled
    outside the tensor."""
    out = bytearray()
    rank = len(dims)
    counts = list(box)
    total = 1
    for c in counts:
        total *= c
    for flat in range(total):
        idx, rem = [], flat
        for c in counts:
            idx.append(rem % c)
            rem //= c
        x = [coord[i] + idx[i] for i in range(rank)]
        if all(0 <= x[i] < dims[i] for i in range(rank)):
            off = x[0] * eb + sum(x[i] * strides[i - 1]
                                  for i in range(1, rank))
            out += src[off:off + eb]
        else:
            out += b"\0" * eb
    return bytes(out)


def tmap_arg(buf, dtype, dims, box, swizzle_name, strides=None):
    s = "tmap:buf=%d,dtype=%s,dims=%s,box=%s,swizzle=%s" % (
        buf, dtype, "x".join(map(str, dims)), "x".join(map(str, box)),
        swizzle_name)
    if strides:
        s += ",strides=" + "x".join(map(str, strides))
    return s


def tma_load_case(name, kernel, fmt, dims, box, coord, swz, rng):
    eb = FORMATS[fmt][1]
    n = 1
    for d in dims:
        n *= d
    src = encode(fmt, [rng.randint(1, 2**(8 * eb) - 1) for _ in range(n)])
    strides, s = [], dims[0] * eb
    for d in dims[1:]:
        strides.append(s)
        s *= d
    dense = box_image(src, dims, strides, eb, box, coord)
    span = {"none": 0, "32B": 32, "64B": 64, "128B": 128}[swz]
    want = bytearray(len(dense))
    for o in range(0, len(dense), 16):
        a = swizzle(o, span)
        want[a:a + 16] = dense[o:o + 16]
    args = [("buf", fmt, dims[::-1], src),
            ("buf", "u8", [len(dense)], bytes(len(dense))),
            ("raw", tmap_arg(0, fmt, dims, box, swz))]
    args += [("raw", "i32:%d" % c) for c in coord]
    args.append(("raw", "u32:%d" % len(dense)))

    def check(out):
        if out[1] != bytes(want):
            bad = [i for i in range(len(want)) if out[1][i] != want[i]]
            return "%d/%d shared-image bytes differ; first at %d: %d, want %d" % (
                len(bad), len(want), bad[0], out[1][bad[0]], want[bad[0]])
        return None

    return Case(name, "tc_tma.ptx", kernel, 128, 16384 + 64, args, check)


def tma_roundtrip_case(rng):
    fmt, eb = "u16", 2
    sdims, ddims, box = [48, 10], [40, 12], [16, 4]
    c, d = [4, 2], [30, 10]
    src = encode(fmt, [rng.randint(0, 65000) for _ in range(48 * 10)])
    dst = [0xFFFF] * (40 * 12)
    for j in range(box[1]):
        for i in range(box[0]):
            x, y = d[0] + i, d[1] + j
            if x < ddims[0] and y < ddims[1]:
                o = ((c[1] + j) * sdims[0] + c[0] + i) * eb
                dst[y * ddims[0] + x] = struct.unpack("<H", src[o:o + 2])[0]
    nbytes = box[0] * box[1] * eb
    args = [("buf", fmt, sdims[::-1], src),
            ("buf", fmt, ddims[::-1], encode(fmt, [0xFFFF] * (40 * 12))),
            ("raw", tmap_arg(0, "u16", sdims, box, "128B")),
            ("raw", tmap_arg(1, "u16", ddims, box, "128B")),
            ("raw", "i32:%d" % c[0]), ("raw", "i32:%d" % c[1]),
            ("raw", "i32:%d" % d[0]), ("raw", "i32:%d" % d[1]),
            ("raw", "u32:%d" % nbytes)]
    want = encode(fmt, dst)

    def check(out):
        if out[1] != want:
            got = decode(fmt, out[1])
            bad = [i for i in range(len(dst)) if got[i] != dst[i]]
            i = bad[0]
            return "%d/%d elements differ; first dst[%d][%d] = %d, want %d" % (
                len(bad), len(dst), i // 40, i % 40, got[i], dst[i])
        return None

    return Case("tma_roundtrip_2d_sw128", "tc_tma.ptx", "tma_roundtrip_2d",
                128, 16384 + 64, args, check)


def bulk_case(rng):
    src = bytes(rng.randint(0, 255) for _ in range(1024))
    args = [("buf", "u8", [1024], src), ("buf", "u8", [1024], bytes(1024)),
            ("raw", "u32:512")]

    def check(out):
        want = src[:512] + bytes(512)
        return None if out[1] == want else "bulk copy result differs"

    return Case("bulk_copy", "tc_tma.ptx", "bulk_copy", 128, 16384 + 64, args,
                check)


def ldsm_case():
    mem = list(range(512))
    regs = []
    for lane in range(32):
        g, t = lane // 4, lane % 4
        r = []
        # x1: rows at 16-byte steps: row q = mem[8q .. 8q+7].
        r.append(mem[8 * g + 2 * t] | mem[8 * g + 2 * t + 1] << 16)
        # x2.trans: matrix i row j = mem[16j + 8i ...].
        for i in range(2):
            lo = mem[16 * (2 * t) + 8 * i + g]
            hi = mem[16 * (2 * t + 1) + 8 * i + g]
            r.append(lo | hi << 16)
        # x4 generic: matrix i row j at row q = (5 * (8i + j)) % 32 of the
        # second half.
        for i in range(4):
            q = (5 * (8 * i + g)) % 32
            base = 256 + 8 * q
            r.append(mem[base + 2 * t] | mem[base + 2 * t + 1] << 16)
        r.append(0)
        regs += r
    image = list(range(128)) + list(range(64)) + [0] * (512 - 192)
    args = [("buf", "u32", [32, 8], bytes(32 * 8 * 4)),
            ("buf", "u16", [512], bytes(1024))]

    def check(out):
        got = decode("u32", out[0])
        for i in range(len(regs)):
            if got[i] != regs[i]:
                return "lane %d register %d = %#x, want %#x" % (
                    i // 8, i % 8, got[i], regs[i])
        img = decode("u16", out[1])
        for i in range(512):
            if img[i] != image[i]:
                return "stmatrix image u16[%d] = %d, want %d" % (i, img[i],
                                                                image[i])
        return None

    return Case("ldmatrix_stmatrix", "tc_ldsm.ptx", "ldsm_test", 32, 0, args,
                check)


def all_cases():
    rng = random.Random(1234)
    cases = []
    for kern, fa, fb, fc, K, sat in MMA:
        cases.append(gemm_case(kern, "tc_mma.ptx", kern, 32, 0, fa, fb, fc,
                               16, 8, K, False, False, rng, saturate=sat))
    for kern, fa, fb, fc, N, BK, amn, bmn, opt in WGMMA:
        eb = FORMATS[fa][1]
        a_bytes = (64 * BK * eb + 1023) // 1024 * 1024
        shared = a_bytes + N * BK * FORMATS[fb][1]
        cases.append(gemm_case(kern, "tc_wgmma.ptx", kern, 128, shared, fa,
                               fb, fc, 64, N, BK, amn, bmn, rng, **opt))
    cases.append(tma_load_case("tma_load_3d_oob", "tma_load_3d", "u16",
                               [40, 20, 3], [32, 8, 2], [-8, 15, 2], "none",
                               rng))
    cases.append(tma_load_case("tma_load_3d_sw64", "tma_load_3d", "u16",
                               [40, 20, 3], [32, 8, 2], [8, 3, 1], "64B",
                               rng))
    cases.append(tma_load_case("tma_load_2d_ptr_sw32_oob", "tma_load_2d_ptr",
                               "u32", [64, 16], [8, 4], [60, 14], "32B", rng))
    cases.append(tma_roundtrip_case(rng))
    cases.append(bulk_case(rng))
    cases.append(ldsm_case())
    return cases


def run_case(sim, case, workdir, racecheck):
    os.makedirs(workdir, exist_ok=True)
    out_dir = os.path.join(workdir, "out")
    cmd = [sim, os.path.join(INPUTS, case.ptx), "--kernel=" + case.kernel,
           "--grid=1", "--block=%d" % case.block,
           "--shared-bytes=%d" % case.shared, "--out-dir=" + out_dir]
    if racecheck:
        cmd.append("--racecheck")
    buffers = []
    for i, arg in enumerate(case.args):
        if arg[0] == "buf":
            path = os.path.join(workdir, "in%d.npy" % i)
            write_npy(path, arg[1], arg[2], arg[3])
            cmd.append("--arg=" + path)
            buffers.append(i)
        else:
            cmd.append("--arg=" + arg[1])
    with open(os.path.join(workdir, "cmd.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if p.returncode != 0:
        return "simulator exit %d: %s" % (p.returncode, p.stdout.strip())
    outs = {i: read_npy(os.path.join(out_dir, "arg%d.npy" % i))
            for i in buffers}
    return case.check(outs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", required=True)
    ap.add_argument("--filter", default="")
    ap.add_argument("--keep", default="")
    ap.add_argument("--racecheck", action="store_true",
                    help="run the simulator with --racecheck (no race may be "
                    "reported)")
    args = ap.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="tensorcore-")
    passed = failed = 0
    try:
        for case in all_cases():
            if args.filter not in case.name:
                continue
            err = run_case(args.sim, case, os.path.join(root, case.name),
                           args.racecheck)
            if err:
                failed += 1
                print("FAIL %s: %s" % (case.name, err))
            else:
                passed += 1
                print("PASS %s" % case.name)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
