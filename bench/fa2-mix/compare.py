#!/usr/bin/env python3
"""Instruction mix per key tile: attn-compile's tensor-core kernel next to
FlashAttention-2's forward kernel, both executed in attn-gpu-sim (--stats).

Builds FlashAttention-2's d=128 f16 forward kernel (the A100 instantiation,
through fa2_fwd_wrapper.cu) with nvcc and FA2's own nvcc flags, and
attn-compile's kernel for the same attention (f16, d=128, one head,
non-causal); runs both in the simulator at two key lengths, checks both
outputs against a float64 reference, and prints

  * dynamic PTX thread-instructions per key tile of 64 keys for 128 query
    rows (the difference between the two key lengths, so prologue and
    epilogue cancel) and per mma.sync, by opcode family;
  * shared-memory wavefronts against the ideal (bank conflicts);
  * whole-run totals per (query row x key);
  * static SASS (cuobjdump): HMMA, LDSM, LDGSTS, registers, spills, shared
    memory, and the instructions of the main key loop's body per HMMA.

See README.md in this folder for the command and what the numbers mean.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, OrderedDict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
D = 128
FA2_BLOCK_M, FA2_BLOCK_N = 128, 64  # checked against the traits at run time
TILE_ROWS, TILE_KEYS = 128, 64  # the unit of the per-tile figures

# FlashAttention-2's nvcc flags (setup.py, nvcc_flags), for sm_80.
FA2_NVCC_FLAGS = [
    "-O3", "-std=c++17",
    "-U__CUDA_NO_HALF_OPERATORS__", "-U__CUDA_NO_HALF_CONVERSIONS__",
    "-U__CUDA_NO_HALF2_OPERATORS__", "-U__CUDA_NO_BFLOAT16_CONVERSIONS__",
    "--expt-relaxed-constexpr", "--expt-extended-lambda", "--use_fast_math",
    "-arch=sm_80",
]


def die(msg):
    print(f"compare.py: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if r.returncode != 0:
        die("command failed (exit %d): %s\n%s%s" %
            (r.returncode, " ".join(cmd), r.stdout[-4000:], r.stderr[-4000:]))
    return r


def find_tool(name, explicit, cuda_home):
    if explicit:
        return explicit
    cands = []
    if cuda_home:
        cands.append(os.path.join(cuda_home, "bin", name))
    w = shutil.which(name)
    if w:
        cands.append(w)
    cands.append(os.path.join("/usr/local/cuda/bin", name))
    # cuobjdump also ships in NVIDIA's pip wheels (nvidia/<package>/bin).
    for site in sys.path:
        cands += sorted(glob.glob(os.path.join(site, "nvidia", "*", "bin", name)))
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    die(f"cannot find {name}; pass --{name}=PATH")


# ---------------------------------------------------------------- families

def ptx_family(op):
    """Opcode family of a PTX opcode as --stats prints it."""
    parts = op.split(".")
    root = parts[0]
    mods = set(parts[1:])
    floaty = bool(mods & {"f32", "f16", "f16x2", "bf16", "bf16x2", "f64"})
    if root in ("mma", "wgmma"):
        return "mma"
    if root == "ldmatrix":
        return "ldmatrix"
    if root == "cp" and "async" in mods:
        if mods & {"commit_group", "wait_group", "wait_all"}:
            return "cp.async commit/wait"
        return "cp.async (copies)"
    if root == "ex2":
        return "ex2"
    if root in ("lg2", "rcp", "rsqrt", "sqrt", "sin", "cos", "tanh") or (
            root == "div" and floaty):
        return "other MUFU / div"
    if root == "shfl":
        return "shfl"
    if root in ("add", "sub", "mul", "fma", "max", "min", "neg", "abs") and floaty:
        return "fp32 ALU (add/mul/fma/max)"
    if root == "cvt" and mods & {"f16x2", "bf16x2", "f16", "bf16"}:
        return "cvt f32->f16"
    if root == "selp":
        return "selp (select)"
    if root == "mov":
        return "mov"
    if root in ("setp", "bra", "ret", "exit", "vote") or "pred" in mods:
        return "predicates / branches"
    if root in ("bar", "barrier", "membar", "fence"):
        return "barriers"
    if root in ("ld", "st", "ldu"):
        space = next((s for s in ("global", "shared", "param", "local")
                      if s in mods), "generic")
        return f"ld/st {space}"
    if root in ("add", "sub", "mul", "mad", "shl", "shr", "and", "or", "xor",
                "not", "bfe", "bfi", "prmt", "cvta", "cvt", "div", "rem", "min",
                "max", "abs", "neg", "popc", "clz", "brev", "lop3", "shf"):
        return "integer / address"
    return "other"


PTX_FAMILY_ORDER = [
    "mma", "ldmatrix", "cp.async (copies)", "cp.async commit/wait", "ex2",
    "other MUFU / div", "shfl", "fp32 ALU (add/mul/fma/max)", "cvt f32->f16",
    "integer / address", "selp (select)", "mov", "predicates / branches",
    "barriers", "ld/st global", "ld/st shared", "ld/st param", "ld/st local",
    "ld/st generic", "other",
]


PTX_NEUTRAL_MODS = {"rn", "rz", "rm", "rp", "ftz", "NaN", "approx", "sync",
                    "aligned"}


def ptx_canonical(op):
    """Opcode without rounding/ftz/NaN modifiers, remaining modifiers sorted,
    so that FA2's mul.ftz.f32 and our mul.rn.f32 compare as one opcode."""
    parts = op.split(".")
    root, mods = parts[0], parts[1:]
    if root == "cp" and mods[:1] == ["async"]:
        root, mods = "cp.async", mods[1:]
    return ".".join([root] + sorted(m for m in mods if m not in PTX_NEUTRAL_MODS
                                    and not m.startswith("L2::")))


def sass_canonical(op):
    return ".".join(m for m in op.split(".") if m not in ("FTZ", "NAN", "LTC128B"))


def sass_family(op):
    root = op.split(".")[0]
    if root == "HMMA":
        return "HMMA"
    if root == "LDSM":
        return "LDSM"
    if root in ("LDGSTS", "LDGDEPBAR", "DEPBAR"):
        return "LDGSTS + dep. barriers"
    if root == "MUFU":
        return "MUFU (ex2, rcp, ...)"
    if root == "SHFL":
        return "SHFL"
    if root in ("FADD", "FMUL", "FFMA", "FMNMX", "FCHK", "FSWZADD"):
        return "FP32 (FADD/FMUL/FFMA/FMNMX)"
    if root in ("F2FP", "F2F", "I2F", "F2I"):
        return "F2FP (convert)"
    if root in ("IADD3", "IMAD", "LEA", "LOP3", "SHF", "IABS", "IMNMX", "POPC",
                "FLO", "PRMT", "BMSK", "SGXT", "IADD", "ISCADD", "LEA.HI"):
        return "integer / address"
    if root in ("FSEL", "SEL"):
        return "FSEL/SEL (select)"
    if root in ("MOV", "CS2R", "S2R", "S2UR", "R2UR", "ULDC", "UMOV", "UIADD3",
                "UIMAD", "USHF", "ULOP3", "ULEA", "UISETP", "USEL", "P2R", "R2P"):
        return "moves / uniform"
    if root in ("FSETP", "ISETP", "PLOP3", "BRA", "BSSY", "BSYNC", "CALL", "RET",
                "EXIT", "WARPSYNC", "VOTE", "BREAK", "PSETP"):
        return "predicates / branches"
    if root in ("BAR", "MEMBAR", "ERRBAR"):
        return "BAR"
    if root in ("LDL", "STL"):
        return "LDL/STL (local, spills)"
    if root in ("LDG", "STG", "LDS", "STS", "LD", "ST", "LDC"):
        return "LDG/STG/LDS/STS/LDC"
    if root == "NOP":
        return "NOP"
    return "other"


SASS_FAMILY_ORDER = [
    "HMMA", "LDSM", "LDGSTS + dep. barriers", "MUFU (ex2, rcp, ...)", "SHFL",
    "FP32 (FADD/FMUL/FFMA/FMNMX)", "F2FP (convert)", "integer / address",
    "FSEL/SEL (select)", "moves / uniform", "predicates / branches", "BAR",
    "LDL/STL (local, spills)", "LDG/STG/LDS/STS/LDC", "NOP", "other",
]


def smem_family(text):
    op = text.split()[0]
    if op.startswith("ldmatrix"):
        return "ldmatrix.trans" if ".trans" in op else "ldmatrix"
    if op.startswith("cp.async"):
        return "cp.async"
    if op.startswith("st"):
        return "st.shared"
    if op.startswith("ld"):
        return "ld.shared"
    return op.split(".")[0]


# ---------------------------------------------------------------- simulator

def parse_stats(stdout):
    """Per-opcode counts and shared-memory wavefronts of one --stats report
    (summed over the kernels of a manifest run)."""
    ops = Counter()
    smem = Counter()  # (family, 'requests'|'wavefronts'|'ideal') -> n
    section = None
    for line in stdout.splitlines():
        if line.startswith("per opcode:"):
            section = "ops"
            continue
        if line.startswith("loops:"):
            section = "loops"
            continue
        if line.startswith("shared memory"):
            section = "smem"
            continue
        if not line.startswith("  "):
            if not line.startswith("kernel ") and line.strip():
                section = None
            continue
        if section == "ops":
            name, n = line.strip().rsplit(":", 1)
            ops[name.strip()] += int(n)
        elif section == "smem":
            m = re.match(r"\s+line (\d+): (\d+) (\d+) (\d+)\s+(.*)$", line)
            if not m:
                die("cannot parse shared-memory line: " + line)
            fam = smem_family(m.group(5))
            smem[(fam, "requests")] += int(m.group(2))
            smem[(fam, "wavefronts")] += int(m.group(3))
            smem[(fam, "ideal")] += int(m.group(4))
    if not ops:
        die("no per-opcode statistics in the simulator's output")
    return ops, smem


def sim_stats(cmd, racecheck=False):
    t0 = time.time()
    r = run(cmd + (["--racecheck"] if racecheck else ["--stats"]))
    if racecheck:
        return None
    ops, smem = parse_stats(r.stdout)
    return {"ops": ops, "smem": smem, "seconds": time.time() - t0}


def reference(q, k, v, scale):
    q = q.astype(np.float64)
    k = k.astype(np.float64)
    v = v.astype(np.float64)
    s = np.einsum("bhqd,bhkd->bhqk", q, k) * scale
    m = s.max(-1, keepdims=True)
    p = np.exp(s - m)
    l = p.sum(-1, keepdims=True)
    return np.einsum("bhqk,bhkd->bhqd", p / l, v), (m + np.log(l))[..., 0]


def check(name, got, want, atol):
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        die(f"{name}: non-finite output")
    err = float(np.abs(got - want).max())
    if err > atol:
        die(f"{name}: max |error| {err:.3g} against float64 exceeds {atol}")
    return err


# ---------------------------------------------------------------- SASS

SASS_RE = re.compile(
    r"/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P[T0-9]\s+)?([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\s*([^;]*);")


def sass_instructions(cuobjdump, cubin, function):
    r = run([cuobjdump, "-sass", "-fun", function, cubin])
    insts = []
    for line in r.stdout.splitlines():
        m = SASS_RE.search(line)
        if m:
            insts.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if not insts:
        die(f"no SASS for {function} in {cubin}")
    return insts


def main_loop(insts):
    """Body of the backward branch that encloses the most HMMA."""
    best = None
    for addr, op, args in insts:
        if not op.startswith("BRA"):
            continue
        m = re.search(r"0x([0-9a-f]+)", args)
        if not m:
            continue
        target = int(m.group(1), 16)
        if target >= addr:
            continue
        body = [(a, o) for a, o, _ in insts if target <= a <= addr]
        hmma = sum(1 for _, o in body if o.startswith("HMMA"))
        if best is None or hmma > best[0]:
            best = (hmma, target, addr, body)
    if best is None or best[0] == 0:
        die("no loop with HMMA found in the SASS")
    return best


def ptxas_info(text, kernel):
    """Registers, stack, spills of one entry from ptxas -v output."""
    block = text.split(f"Compiling entry function '{kernel}'", 1)
    if len(block) < 2:
        die(f"ptxas -v printed nothing for {kernel}")
    block = block[1].split("Compiling entry function", 1)[0]
    regs = int(re.search(r"Used (\d+) registers", block).group(1))
    m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                  r"(\d+) bytes spill loads", block)
    return {"registers": regs, "stack": int(m.group(1)),
            "spill_stores": int(m.group(2)), "spill_loads": int(m.group(3))}


# ---------------------------------------------------------------- builds

def build_fa2(args, work, nvcc, ptxas):
    src = args.fa2_src
    if not os.path.isfile(os.path.join(src, "flash_fwd_kernel.h")):
        cand = os.path.join(src, "csrc", "flash_attn", "src")
        if os.path.isfile(os.path.join(cand, "flash_fwd_kernel.h")):
            src = cand
        else:
            die(f"no flash_fwd_kernel.h in {args.fa2_src} (nor csrc/flash_attn/src)")
    inc = args.cutlass_include
    if not os.path.isdir(os.path.join(inc, "cute")):
        if os.path.isdir(os.path.join(inc, "include", "cute")):
            inc = os.path.join(inc, "include")
        else:
            die(f"no cute/ in {args.cutlass_include} (nor include/cute)")
    incs = ["-I" + src, "-I" + inc, "-I" + os.path.join(HERE, "shim")]
    util = os.path.join(os.path.dirname(inc), "tools", "util", "include")
    if os.path.isdir(util):
        incs.append("-I" + util)
    ptx = os.path.join(work, "fa2.ptx")
    cubin = os.path.join(work, "fa2.cubin")
    print("building FlashAttention-2 (nvcc, about a minute)...", file=sys.stderr)
    t0 = time.time()
    run([nvcc] + FA2_NVCC_FLAGS + incs + ["-ptx", os.path.join(HERE, "fa2_fwd_wrapper.cu"),
                                          "-o", ptx])
    t_nvcc = time.time() - t0
    # nvcc -cubin runs this same ptxas on this PTX (-O3 is ptxas' default).
    r = run([ptxas, "-arch=sm_80", "-O3", "-v", ptx, "-o", cubin])
    info = ptxas_info(r.stdout + r.stderr, "fa2_fwd_hdim128")
    return {"ptx": ptx, "cubin": cubin, "ptxas": info, "nvcc_seconds": t_nvcc}


def build_ours(args, work, sq, sk):
    d = os.path.join(work, f"ours_{sk}")
    os.makedirs(d, exist_ok=True)
    mlir = os.path.join(d, "attn.mlir")
    tq = f"tensor<1x1x{sq}x{D}xf16>"
    tk = f"tensor<1x1x{sk}x{D}xf16>"
    with open(mlir, "w") as f:
        f.write(f"func.func @attn(%q: {tq}, %k: {tk}, %v: {tk}) -> {tq} {{\n"
                f"  %o = attn.sdpa %q, %k, %v : {tq}, {tk}, {tk} -> {tq}\n"
                f"  return %o : {tq}\n}}\n")
    run([args.attn_compile, mlir, "--chip=sm_80", f"--out-dir={d}"] +
        args.compile_flag)
    with open(os.path.join(d, "attn.json")) as f:
        man = json.load(f)
    if len(man["kernels"]) != 1:
        die("expected one kernel in attn-compile's manifest (at most 128 "
            "queries take the decode form: use --seqlen-q above 128)")
    return {"dir": d, "manifest": os.path.join(d, "attn.json"), "json": man,
            "kernel": man["kernels"][0]}


# ---------------------------------------------------------------- runs

def make_inputs(work, sq, sk, seed):
    rng = np.random.default_rng(seed)
    arrs = {"q": rng.standard_normal((1, 1, sq, D)).astype(np.float16),
            "k": rng.standard_normal((1, 1, sk, D)).astype(np.float16),
            "v": rng.standard_normal((1, 1, sk, D)).astype(np.float16)}
    paths = {}
    for n, a in arrs.items():
        paths[n] = os.path.join(work, f"{n}_{sk}.npy")
        np.save(paths[n], a)
    return arrs, paths


def fa2_cmd(args, fa2, smem_bytes, paths, sq, sk, out):
    scale = 1.0 / np.sqrt(D)
    row = D
    qh, kh = sq * D, sk * D
    a = [args.sim, fa2["ptx"], "--kernel=fa2_fwd_hdim128",
         f"--grid={(sq + FA2_BLOCK_M - 1) // FA2_BLOCK_M},1,1", "--block=128",
         f"--shared-bytes={smem_bytes}", f"--out-dir={out}",
         "--arg=" + paths["q"], "--arg=" + paths["k"], "--arg=" + paths["v"],
         f"--arg=zeros:f16:1x1x{sq}x{D}", f"--arg=zeros:f32:1x1x{sq}"]
    # q/k/v/o batch strides, row strides, head strides (elements, i64)
    for s in (qh, kh, kh, qh, row, row, row, row, qh, kh, kh, qh):
        a.append(f"--arg=i64:{s}")
    rnd = lambda x: (x + 127) // 128 * 128
    for s in (1, 1, 1, 1, sq, sk, rnd(sq), rnd(sk), D):  # b h h_k ratio ...
        a.append(f"--arg=i32:{s}")
    a.append(f"--arg=f32:{float(np.float32(scale))!r}")
    a.append(f"--arg=f32:{float(np.float32(scale * np.log2(np.e)))!r}")
    return a


def ours_cmd(args, ours, paths, out):
    return [args.sim, "--manifest=" + ours["manifest"], "--input=" + paths["q"],
            "--input=" + paths["k"], "--input=" + paths["v"], f"--out-dir={out}"]


# ---------------------------------------------------------------- report

def fmt(x, nd=0):
    if isinstance(x, str):
        return x
    if x is None:
        return "-"
    if nd == 0 or (abs(x - round(x)) < 1e-9 and abs(x) >= 1000):
        return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.1f}"
    return f"{x:,.{nd}f}"


def table(headers, rows, title=None, digits=None):
    """digits[i]: decimals of column i (0: integers, one decimal if fractional)."""
    out = []
    if title:
        out.append(title)
    digits = digits or [0] * len(headers)
    cols = [headers] + [[fmt(c, digits[i]) for i, c in enumerate(r)] for r in rows]
    w = [max(len(r[i]) for r in cols) for i in range(len(headers))]
    for j, r in enumerate(cols):
        out.append("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i])
                             for i, c in enumerate(r)))
        if j == 0:
            out.append("  ".join("-" * x for x in w))
    return "\n".join(out)


def family_counts(ops):
    fam = Counter()
    for op, n in ops.items():
        fam[ptx_family(op)] += n
    return fam


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fa2-src", required=True,
                    help="FlashAttention-2 checkout (or its csrc/flash_attn/src)")
    ap.add_argument("--cutlass-include", required=True,
                    help="CUTLASS 3.x/4.x include dir (holding cute/ and cutlass/)")
    ap.add_argument("--attn-compile", required=True)
    ap.add_argument("--sim", required=True, help="attn-gpu-sim")
    ap.add_argument("--compile-flag", action="append", default=[],
                    help="an extra attn-compile flag for our kernel "
                    "(e.g. --compile-flag=--warp-rows=16; repeatable)")
    ap.add_argument("--nvcc")
    ap.add_argument("--ptxas")
    ap.add_argument("--cuobjdump")
    # More than 128 queries: with 128 or fewer (query head, query) pairs a
    # head's queries take the decode form (two kernels, split keys).
    ap.add_argument("--seqlen-q", type=int, default=256)
    ap.add_argument("--seqlen-k", type=int, default=1024)
    ap.add_argument("--seqlen-k-base", type=int, default=512,
                    help="second key length; per-tile figures are the difference")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=12,
                    help="opcodes listed in the difference tables")
    ap.add_argument("--work-dir", help="keep the builds and runs here")
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args()

    sq, sk, sk0 = args.seqlen_q, args.seqlen_k, args.seqlen_k_base
    if sq % FA2_BLOCK_M or sk % FA2_BLOCK_N or sk0 % FA2_BLOCK_N or sk0 >= sk:
        die("seqlen-q must be a multiple of 128, seqlen-k and seqlen-k-base of 64, "
            "seqlen-k-base < seqlen-k (FA2's Is_even_MN instantiation)")
    cuda_home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    nvcc = find_tool("nvcc", args.nvcc, cuda_home)
    ptxas = find_tool("ptxas", args.ptxas, cuda_home)
    cuobjdump = find_tool("cuobjdump", args.cuobjdump, cuda_home)

    work = args.work_dir or tempfile.mkdtemp(prefix="fa2-mix-")
    os.makedirs(work, exist_ok=True)

    fa2 = build_fa2(args, work, nvcc, ptxas)
    # The traits' configuration, from the kernel itself.
    cfg_dir = os.path.join(work, "fa2_config")
    run([args.sim, fa2["ptx"], "--kernel=fa2_fwd_hdim128_config", "--grid=1",
         "--block=1", "--arg=zeros:i32:4", f"--out-dir={cfg_dir}"])
    smem_bytes, bm, bn, nthreads = (int(x) for x in
                                    np.load(os.path.join(cfg_dir, "arg0.npy")))
    if (bm, bn, nthreads) != (FA2_BLOCK_M, FA2_BLOCK_N, 128):
        die(f"unexpected FA2 traits: kBlockM {bm}, kBlockN {bn}, threads {nthreads}")

    scale = 1.0 / np.sqrt(D)
    res = {"fa2": {}, "ours": {}}
    ours_builds = {}
    errors = {}
    for n in (sk0, sk):
        arrs, paths = make_inputs(work, sq, n, args.seed)
        o_ref, lse_ref = reference(arrs["q"], arrs["k"], arrs["v"], scale)

        out = os.path.join(work, f"fa2_out_{n}")
        cmd = fa2_cmd(args, fa2, smem_bytes, paths, sq, n, out)
        res["fa2"][n] = sim_stats(cmd)
        errors[("fa2", n)] = check(f"FA2 output (Sk={n})",
                                   np.load(os.path.join(out, "arg3.npy")), o_ref, 2e-3)
        errors[("fa2_lse", n)] = check(f"FA2 lse (Sk={n})",
                                       np.load(os.path.join(out, "arg4.npy")), lse_ref, 1e-3)

        ours = build_ours(args, work, sq, n)
        ours_builds[n] = ours
        out = os.path.join(work, f"ours_out_{n}")
        cmd = ours_cmd(args, ours, paths, out)
        res["ours"][n] = sim_stats(cmd)
        errors[("ours", n)] = check(f"attn-compile output (Sk={n})",
                                    np.load(os.path.join(out, "out0.npy")), o_ref, 2e-3)
        if n == sk:
            sim_stats(fa2_cmd(args, fa2, smem_bytes, paths, sq, n,
                              os.path.join(work, "fa2_race")), racecheck=True)
            sim_stats(ours_cmd(args, ours, paths, os.path.join(work, "ours_race")),
                      racecheck=True)

    # ------------------------------------------------ dynamic PTX per tile
    tiles = (sk - sk0) // TILE_KEYS * (sq // TILE_ROWS)  # 128x64 tiles added
    fam = {who: {n: family_counts(res[who][n]["ops"]) for n in (sk0, sk)}
           for who in ("fa2", "ours")}
    per_tile = {who: {f: (fam[who][sk][f] - fam[who][sk0][f]) / tiles
                      for f in PTX_FAMILY_ORDER}
                for who in ("fa2", "ours")}
    for who in per_tile:
        per_tile[who]["total"] = sum(per_tile[who][f] for f in PTX_FAMILY_ORDER)
    mma = {who: per_tile[who]["mma"] for who in per_tile}
    if not (mma["fa2"] and mma["ours"]):
        die("no mma.sync in a key tile")

    ok = ours_builds[sk]["kernel"]
    lines = []
    lines.append("FlashAttention-2 (Flash_fwd_kernel_traits<128,128,64,4>, nvcc) vs "
                 "attn-compile tensor-core kernel (sm_80)")
    lines.append(f"f16, d={D}, 1 head, non-causal, Sq={sq}, Sk={sk}; both executed in "
                 "attn-gpu-sim; outputs checked against float64")
    lines.append(f"  max |O - O_fp64|: FA2 {errors[('fa2', sk)]:.2e}, attn-compile "
                 f"{errors[('ours', sk)]:.2e} (FA2 lse {errors[('fa2_lse', sk)]:.1e}); "
                 "--racecheck clean for both")
    lines.append(f"  CTA tile (query rows x keys per iteration): FA2 {bm}x{bn}, "
                 f"{nthreads // 32} warps, grid {sq // bm}; attn-compile "
                 f"{sq // ok['grid'][0]}x64, {ok['block'][0] // 32} warps, grid "
                 f"{ok['grid'][0]}x{ok['grid'][1]}x{ok['grid'][2]}")
    lines.append("")
    hdr = ["PTX opcode family", "FA2/tile", "ours/tile", "ours-FA2",
           "FA2/mma", "ours/mma"]
    rows = []
    for f in PTX_FAMILY_ORDER + ["total"]:
        a, b = per_tile["fa2"][f], per_tile["ours"][f]
        if f != "total" and a == 0 and b == 0:
            continue
        rows.append([f, a, b, b - a, a / mma["fa2"], b / mma["ours"]])
    lines.append(table(
        hdr, rows,
        f"Dynamic PTX thread-instructions per key tile = 64 keys x 128 query rows "
        f"(difference Sk={sk} minus Sk={sk0}; /mma = per mma.sync thread-instruction, "
        f"i.e. warp instructions per warp mma.sync m16n8k16):", [0, 0, 0, 0, 3, 3]))
    lines.append(f"  per (query row x key): FA2 {per_tile['fa2']['total'] / (TILE_ROWS * TILE_KEYS):.2f}, "
                 f"attn-compile {per_tile['ours']['total'] / (TILE_ROWS * TILE_KEYS):.2f} "
                 "thread-instructions")
    lines.append("")

    # the PTX opcodes behind the differences
    ops_tile = {}
    for who in ("fa2", "ours"):
        c = Counter()
        for n, sign in ((sk, 1), (sk0, -1)):
            for op, v in res[who][n]["ops"].items():
                c[ptx_canonical(op)] += sign * v / tiles
        ops_tile[who] = c
    allops = set(ops_tile["fa2"]) | set(ops_tile["ours"])
    diff = sorted(allops, key=lambda o: (-abs(ops_tile["ours"][o] - ops_tile["fa2"][o]), o))
    rows = [[o, ops_tile["fa2"][o], ops_tile["ours"][o],
             ops_tile["ours"][o] - ops_tile["fa2"][o]]
            for o in diff[:args.top] if ops_tile["ours"][o] != ops_tile["fa2"][o]]
    lines.append(table(["PTX opcode", "FA2/tile", "ours/tile", "ours-FA2"], rows,
                       f"Largest per-opcode differences per key tile (top {args.top}; "
                       "rounding, ftz, NaN and L2 hint modifiers merged):"))
    lines.append("")

    # whole run
    tot = {who: sum(res[who][sk]["ops"].values()) for who in res}
    mma_all = {who: fam[who][sk]["mma"] for who in res}
    lines.append(table(
        ["whole run (Sk=%d)" % sk, "FA2", "ours"],
        [["thread-instructions", tot["fa2"], tot["ours"]],
         ["mma.sync (thread)", mma_all["fa2"], mma_all["ours"]],
         ["per mma.sync", tot["fa2"] / mma_all["fa2"], tot["ours"] / mma_all["ours"]],
         ["per (query row x key)", tot["fa2"] / (sq * sk), tot["ours"] / (sq * sk)]],
        digits=[0, 2, 2]))
    lines.append("")

    # shared memory
    rows = []
    sm = {who: {n: res[who][n]["smem"] for n in (sk0, sk)} for who in res}
    sfams = sorted({f for who in sm for n in sm[who] for (f, _) in sm[who][n]})
    for f in sfams + ["all"]:
        r = [f]
        for who in ("fa2", "ours"):
            def g(kind, n):
                if f == "all":
                    return sum(v for (ff, kk), v in sm[who][n].items() if kk == kind)
                return sm[who][n][(f, kind)]
            wf = (g("wavefronts", sk) - g("wavefronts", sk0)) / tiles
            ideal = (g("ideal", sk) - g("ideal", sk0)) / tiles
            r += [wf, ideal]
        rows.append(r)
    lines.append(table(
        ["shared-memory instr.", "FA2 wavefronts", "FA2 ideal", "ours wavefronts",
         "ours ideal"], rows,
        "Shared-memory wavefronts per key tile (64 keys x 128 rows), "
        "against the conflict-free ideal:"))
    lines.append("")

    # ------------------------------------------------ static SASS
    sass = {"fa2": sass_instructions(cuobjdump, fa2["cubin"], "fa2_fwd_hdim128"),
            "ours": sass_instructions(cuobjdump, os.path.join(
                ours_builds[sk]["dir"], ok["cubin"]), ok["entry"])}
    pt = ok["ptxas"]
    regs = {"fa2": fa2["ptxas"],
            "ours": {"registers": pt["registers"], "stack": pt["stack_frame_bytes"],
                     "spill_stores": pt["spill_store_bytes"],
                     "spill_loads": pt["spill_load_bytes"]}}
    shared = {"fa2": smem_bytes,
              "ours": pt["shared_memory_bytes"] + ok.get("shared_memory_bytes", 0)}
    loops = {who: main_loop(sass[who]) for who in sass}

    def count(who, prefix):
        return sum(1 for _, o, _ in sass[who] if o.split(".")[0] == prefix)

    rows = [["registers (ptxas -v)", regs["fa2"]["registers"], regs["ours"]["registers"]],
            ["stack frame / spill st / spill ld (bytes)",
             "%d / %d / %d" % (regs["fa2"]["stack"], regs["fa2"]["spill_stores"],
                               regs["fa2"]["spill_loads"]),
             "%d / %d / %d" % (regs["ours"]["stack"], regs["ours"]["spill_stores"],
                               regs["ours"]["spill_loads"])],
            ["shared memory per CTA (bytes)", shared["fa2"], shared["ours"]],
            ["SASS instructions (kernel)", len(sass["fa2"]), len(sass["ours"])]]
    for p in ("HMMA", "LDSM", "LDGSTS", "LDG", "STG", "LDS", "STS", "LDL", "STL", "MUFU"):
        rows.append([f"{p} (kernel)", count("fa2", p), count("ours", p)])
    lines.append(table(["static SASS (cuobjdump)", "FA2", "ours"], rows,
                       "Static SASS and resources:"))
    lines.append("")

    rows = []
    lf = {}
    for who in ("fa2", "ours"):
        c = Counter()
        for _, o in loops[who][3]:
            c[sass_family(o)] += 1
        lf[who] = c
    hm = {who: lf[who]["HMMA"] for who in lf}
    for f in SASS_FAMILY_ORDER:
        a, b = lf["fa2"][f], lf["ours"][f]
        if a == 0 and b == 0:
            continue
        rows.append([f, a, b, a / hm["fa2"], b / hm["ours"]])
    ta, tb = sum(lf["fa2"].values()), sum(lf["ours"].values())
    rows.append(["total", ta, tb, ta / hm["fa2"], tb / hm["ours"]])
    lines.append(table(
        ["main-loop SASS family", "FA2 body", "ours body", "FA2/HMMA", "ours/HMMA"],
        rows,
        "Main key loop, static SASS of one iteration (one 64-key tile per warp: FA2 "
        f"{bm // (nthreads // 32)} query rows, ours "
        f"{(sq // ok['grid'][0]) // (ok['block'][0] // 32)}; /HMMA normalizes):\n"
        f"  FA2 loop {loops['fa2'][1]:#x}-{loops['fa2'][2]:#x}, ours "
        f"{loops['ours'][1]:#x}-{loops['ours'][2]:#x}", [0, 0, 0, 3, 3]))
    lines.append("")
    lo = {who: Counter(sass_canonical(o) for _, o in loops[who][3]) for who in loops}
    allo = set(lo["fa2"]) | set(lo["ours"])
    per = {who: {o: lo[who][o] / hm[who] for o in allo} for who in lo}
    diff = sorted(allo, key=lambda o: (-abs(per["ours"][o] - per["fa2"][o]), o))
    rows = [[o, lo["fa2"][o], lo["ours"][o], per["fa2"][o], per["ours"][o]]
            for o in diff[:args.top]]
    lines.append(table(["SASS opcode", "FA2 body", "ours body", "FA2/HMMA", "ours/HMMA"],
                       rows, f"Largest per-HMMA SASS differences in the main loop "
                       f"(top {args.top}; .FTZ, .NAN and .LTC128B merged):", [0, 0, 0, 3, 3]))

    report = "\n".join(lines)
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"per_tile": per_tile, "whole_run": {"total": tot, "mma": mma_all},
                       "errors": {f"{a}_{b}": v for (a, b), v in errors.items()},
                       "sass_loop": {w: dict(lf[w]) for w in lf},
                       "resources": regs, "shared": shared}, f, indent=1)
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
