#!/usr/bin/env python3
"""SASS gates of the tensor-core kernels: compiles attn.sdpa configurations
with attn-compile (ptxas -O3), disassembles the cubins with cuobjdump, and
checks what the design promises, without a GPU:

  * HMMA per key tile equals the analytical count: (Dqk/16)*(64/8) for
    S = Q·Kᵀ plus (64/16)*(Dv/8) for O += P·V (the key loop is not unrolled, so the
    static count is the per-tile count);
  * K and V staged through shared memory: LDGSTS (cp.async) =
    2 * Dqk/32 + Dv/32 (the first K tile before the loop, then V and the
    next K in each iteration; 64 keys x D/8 16-byte chunks over the 256
    threads of the 8 warps a 1024-query kernel gets) and LDSM (ldmatrix.x4)
    = Dqk/4 + Dv/4 per key tile (V transposed);
  * shared memory = the K and V tiles (64 * (Dqk + Dv) * 2 bytes), and
    registers and shared memory allow a CTA of 8 warps per SM;
  * head dimension 256 on sm_80 (Q in shared memory, 4 warps): tiles of 32
    keys, so the counts above with 32 for 64, plus Q's copy (LDGSTS) and
    its two ldmatrix per 32-wide slice each key tile; at 64 and 128 the Q
    tile passes through shared memory once: its copy (LDGSTS) and two
    ldmatrix per 32-wide slice, no LDG but for ALiBi slopes and kv_lens;
  * at Dv = 64 on sm_80, 32 query rows per warp (4 warps, 128 rows): twice
    the HMMA per key tile for the same K and V ldmatrix, Q's ldmatrix per
    m-tile (each key tile at Dqk = 128, where Q stays in shared memory);
  * no local memory (no LDL/STL), no spills, no stack frame;
  * sm_90a: HGMMA (wgmma) instead: Dqk/16 + 4 per key tile of 64 (with
    TMA, tiles of 128 keys up to head dimension 128: Dqk/16 + 8, and twice
    that statically, as its loop overlaps the softmax of tile j with P·V
    of tile j - 1 and peels S of the first tile and P·V of the last),
    no HMMA, no
    LDSM, and no C75xx line in ptxas' output (attn-compile fails on one:
    ptxas serialized the wgmma);
  * sm_90a with TMA (the default there): the output by UTMASTG (Dv/64
    boxes of a warp's 16 rows, no STG); Q, K and V by UTMALDG only
    (Dqk/64 boxes of Q once, Dqk/64 + Dv/64 boxes per key tile, times the
    unrolling of the producer's loop; no LDGSTS; no LDG but for ALiBi
    slopes and kv_lens), mbarrier waits
    (SYNCS), 3 warpgroups of which the producer gives its registers to the
    consumers (USETMAXREG), a ring of two K/V slots in dynamic shared
    memory; with --tma=false the cp.async form is checked as above.
And the decode form (GQA 32:8, one query, 4096 keys; dense and FP8 also at
head dimension 256; dense GQA 64:8 with 16 queries, CTAs of 8 warps) on both chips, dense,
paged (256 blocks of 16 tokens) and paged with FP8 e4m3 pools: two kernels (split-KV attention +
combine), K/V copied only by 16-byte LDGSTS, tensor-core instructions, no
local memory; on sm_80 with four query heads per KV head, the HMMA of the
warps' split key tiles (32 per key tile at d 128, 64 at d 256). FP8 e4m3 prefill (sm_90a TMA) at head dimensions 64, 128 and
256: e4m3 QGMMA only, the counts per key tile, V transposed by PRMT, P
rounded by F2FP, shared memory as modeled (within 227 KiB), no local memory.
The compile time is printed (a figure, not a gate: it depends on the load).

Prints one line per configuration with registers, HMMA, global loads,
shuffles and the compile time. Exit 77 (skipped) without ptxas or
cuobjdump/nvdisasm (PyPI nvidia-cuda-cuobjdump / nvidia-cuda-nvdisasm).

usage: sass_gates.py --attn-compile BIN
"""
import argparse
from collections import Counter
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time


def find_cuobjdump():
    """cuobjdump and the directory that holds nvdisasm (PATH or the wheels)."""
    site = sysconfig.get_paths()["purelib"]
    cands = glob.glob(os.path.join(site, "nvidia", "*", "bin", "cuobjdump"))
    cuobjdump = shutil.which("cuobjdump") or (cands[0] if cands else None)
    if not cuobjdump:
        return None, None
    nvdisasm = shutil.which("nvdisasm") or next(
        iter(glob.glob(os.path.join(site, "nvidia", "*", "bin", "nvdisasm"))), None)
    return cuobjdump, (os.path.dirname(nvdisasm) if nvdisasm else None)


CONFIGS = [
    # (dtype, Dqk, Dv, attributes, chip, score terms: ALiBi + kv_lens, TMA)
    ("f16", 64, 64, "", "sm_80", False, False),
    ("f16", 64, 64, "", "sm_90a", False, True),
    ("f16", 64, 64, "", "sm_90a", False, False),
    ("bf16", 128, 128, "mask = #attn.mask<causal = true>", "sm_80", False, False),
    ("f16", 128, 128, "mask = #attn.mask<causal = true, window_left = 255>",
     "sm_90a", False, True),
    ("f16", 128, 128, "mask = #attn.mask<causal = true, window_left = 255>",
     "sm_90a", False, False),
    ("bf16", 256, 256, "mask = #attn.mask<causal = true>", "sm_90a", False, True),
    ("bf16", 256, 256, "", "sm_80", False, False),
    ("bf16", 128, 64, "mask = #attn.mask<causal = true, align = bottom_right>, "
     "softcap = 30.0 : f32", "sm_80", True, False),
    ("bf16", 128, 64, "mask = #attn.mask<causal = true, align = bottom_right>, "
     "softcap = 30.0 : f32", "sm_90a", True, True),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--attn-compile", required=True)
    a = p.parse_args()
    cuobjdump, disasm_dir = find_cuobjdump()
    if not cuobjdump or not disasm_dir:
        print("SKIPPED: cuobjdump/nvdisasm not found (pip install "
              "nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm)")
        return 77
    env = dict(os.environ, PATH=disasm_dir + os.pathsep + os.environ.get("PATH", ""))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (dt, d, dv, attrs, chip, terms, tma) in enumerate(CONFIGS):
            t = f"tensor<2x8x1024x{d}x{dt}>"
            tv = f"tensor<2x8x1024x{dv}x{dt}>"
            args = f"%q: {t}, %k: {t}, %v: {tv}"
            operands = "%q, %k, %v"
            if terms:
                args += ", %s: tensor<8xf32>, %l: tensor<2xi32>"
                operands += " alibi(%s : tensor<8xf32>) kv_lens(%l : tensor<2xi32>)"
            src = os.path.join(tmp, f"c{i}.mlir")
            with open(src, "w") as f:
                f.write(f"func.func @attn({args}) -> {tv} {{\n"
                        f"  %o = attn.sdpa {operands} {{{attrs}}} : {t}, {t}, {tv} -> {tv}\n"
                        f"  return %o : {tv}\n}}\n")
            out = os.path.join(tmp, f"o{i}")
            t0 = time.time()
            r = subprocess.run([a.attn_compile, src, f"--chip={chip}", f"--out-dir={out}",
                                f"--tma={'true' if tma else 'false'}"],
                               capture_output=True, text=True)
            secs = time.time() - t0
            if r.returncode != 0:
                print(f"FAIL {dt} d{d} {chip}: attn-compile failed\n{r.stderr}")
                failures += 1
                continue
            if "cubin" not in r.stdout or "ptxas not found" in r.stderr:
                print("SKIPPED: ptxas not found, no cubins to inspect")
                return 77
            man = json.load(open(os.path.join(out, f"c{i}.json")))
            k = man["kernels"][0]
            ptxas = k["ptxas"]
            sass = subprocess.run([cuobjdump, "-sass", os.path.join(out, k["cubin"])],
                                  capture_output=True, text=True, env=env)
            if sass.returncode != 0:
                print(f"FAIL cuobjdump: {sass.stderr.strip()}")
                failures += 1
                continue
            ops = re.findall(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)", sass.stdout)
            count = lambda name: sum(1 for o in ops if o == name)
            wg = chip == "sm_90a"
            # mma.sync with head dimension 256: Q in shared memory, CTAs of 4
            # warps (64 rows), tiles of 32 keys.
            big = not wg and (d == 256 or dv == 256)
            # mma.sync at Dv = 64: 32 query rows per warp (two m16 tiles per
            # K and V fragment), CTAs of 4 warps (128 rows).
            mt = 2 if not wg and not big and dv <= 64 else 1
            # Q stays in shared memory, read per key tile (at Dqk = 128 with
            # two m-tiles).
            qsm = big or (mt == 2 and d == 128)
            q_rows = 64 if big else 128
            # Other dense mma.sync kernels pass the Q tile (128 rows) through
            # shared memory once.
            qvia = not wg and not qsm
            # The TMA kernel takes keys in tiles of 128 up to head dimension
            # 128.
            tk = 32 if big else 128 if tma and d <= 128 and dv <= 128 else 64
            threads = 128 if big or mt == 2 else 384 if tma else 256
            problems = []
            if wg:
                # Warpgroup MMA: one HGMMA.64x{tk}x16 per 16 of Dqk for S, one
                # HGMMA.64x{Dv}x16 per 16 keys for P·V; no mma.sync.
                mma_name = "HGMMA"
                hmma, want = count("HGMMA"), d // 16 + tk // 16
                # TMA: the loop issues S(j) and P·V(j-1) per tile; S of the
                # first tile and P·V of the last are peeled: twice the count.
                if tma:
                    want *= 2
                if count("HMMA"):
                    problems.append(f"{count('HMMA')} HMMA next to HGMMA")
            else:
                mma_name = "HMMA"
                hmma = count("HMMA")
                want = mt * ((d // 16) * (tk // 8) + (tk // 16) * (dv // 8))
            if hmma != want:
                problems.append(f"{hmma} {mma_name}, expected {want} per key tile")
            ldgsts, ldsm = count("LDGSTS"), count("LDSM")
            utmaldg = sum(1 for o in ops if o == "UTMALDG")
            # K twice (the first tile before the loop), V, and Q when it
            # stays in shared memory: 16-byte chunks per thread.
            per = lambda rows, cols: rows * cols // 8 // threads
            want_ldgsts = 0 if tma else (2 * per(tk, d) + per(tk, dv) +
                                         (per(q_rows, d) if qsm else 0) +
                                         (per(128, d) if qvia else 0))
            if ldgsts != want_ldgsts:
                problems.append(f"{ldgsts} LDGSTS, expected {want_ldgsts}")
            # The producer's loop is small enough that LLVM may unroll it:
            # a multiple of the boxes of one tile.
            # Q: one box per 64 columns, once.
            want_tma = d // 64 + dv // 64 if tma else 0
            kv_tma = utmaldg - d // 64
            if (kv_tma % want_tma or kv_tma <= 0) if tma else utmaldg:
                problems.append(f"{utmaldg} UTMALDG, expected {d // 64} for Q and a multiple "
                                f"of {want_tma} (boxes per key tile)" if tma
                                else f"{utmaldg} UTMALDG")
            # TMA: the output leaves by TMA too, one 16 x 64 box per 64 of Dv
            # per warp (UTMASTG), no STG.
            utmastg = count("UTMASTG")
            if tma and (utmastg != dv // 64 or count("STG")):
                problems.append(f"{utmastg} UTMASTG (expected {dv // 64}), "
                                f"{count('STG')} STG")
            # Q is loaded by TMA or cp.async: LDG only for ALiBi slopes and
            # kv_lens.
            if (tma or qvia or qsm) and count("LDG") != (2 if terms else 0):
                problems.append(f"{count('LDG')} LDG: Q is loaded by TMA or cp.async")
            # K: one x4 per 8 keys and 32 dims; V: per 16 keys and 16 dims;
            # Q from shared memory: two per 32-wide slice and m-tile.
            want_ldsm = 0 if wg else ((tk // 8) * (d // 32) + (tk // 16) * (dv // 16) +
                                      (2 * mt * (d // 32) if qsm or qvia else 0))
            if ldsm != want_ldsm:
                problems.append(f"{ldsm} LDSM, expected {want_ldsm} per key tile")
            smem = ptxas.get("shared_memory_bytes")
            if qsm:
                # Dynamic: the Q tile, then K and V.
                smem = k["shared_memory_bytes"]
                want_smem = (q_rows + tk) * d * 2 + tk * dv * 2
            elif tma:
                # Dynamic: the Q tile (128 rows), two K/V slots, 1 KiB to
                # align the swizzle atoms, 4 mbarriers per slot and one for Q.
                smem = k["shared_memory_bytes"]
                want_smem = 1024 + 128 * d * 2 + 2 * tk * (d + dv) * 2 + 9 * 8
                if count("SYNCS") == 0 or count("USETMAXREG") != 2:
                    problems.append(f"{count('SYNCS')} SYNCS (mbarrier), "
                                    f"{count('USETMAXREG')} USETMAXREG (expected 2)")
            else:
                # wgmma: one buffer with 1 KiB to align the swizzle atoms;
                # mma.sync: K and V, or the Q tile when larger.
                want_smem = 2 * 64 * (d + dv) + (1024 if wg else 0)
                if qvia:
                    want_smem = max(want_smem, 2 * 128 * d)
            if smem != want_smem:
                problems.append(f"{smem} bytes of shared memory, expected {want_smem}")
            if k["block"][0] != threads:
                problems.append(f"block of {k['block'][0]} threads, expected {threads}")
            if ptxas["registers"] * threads > 65536 or (smem or 0) > 227 * 1024:
                problems.append(f"a CTA of {threads // 32} warps does not fit an SM")
            if count("LDL") or count("STL"):
                problems.append(f"{count('LDL')} LDL / {count('STL')} STL")
            if ptxas["spill_load_bytes"] or ptxas["spill_store_bytes"] or ptxas["stack_frame_bytes"]:
                problems.append(f"spills/stack: {ptxas}")
            # attn-compile fails on any C75xx line; warnings are checked too.
            if any("C75" in w for w in ptxas.get("warnings", [])):
                problems.append(f"C75xx: {ptxas['warnings']}")
            what = ("causal" if "causal" in attrs else "nomask") + (
                " softcap+alibi+kv_lens" if terms else "")
            line = (f"{dt} d{d}/{dv} {what} {chip}{' TMA' if tma else ''}: "
                    f"{ptxas['registers']} registers, {smem} B smem, {hmma} {mma_name}, "
                    f"{ldsm} LDSM, {ldgsts} LDGSTS, {utmaldg} UTMALDG, {utmastg} UTMASTG, "
                    f"{count('LDG')} LDG, "
                    f"{count('SHFL')} SHFL, {count('MUFU')} MUFU, compile {secs:.2f} s")
            if problems:
                failures += 1
                print("FAIL " + line + ": " + "; ".join(problems))
            else:
                print("PASS " + line)
        failures += decode_gates(a.attn_compile, cuobjdump, env, tmp)
        failures += fp8_gates(a.attn_compile, cuobjdump, env, tmp)
        failures += varlen_gates(a.attn_compile, cuobjdump, env, tmp)
        failures += paged_prefill_gates(a.attn_compile, cuobjdump, env, tmp)
    return 1 if failures else 0


def compile_sass(attn_compile, cuobjdump, env, src, out, chip="sm_90a"):
    """attn-compile's first kernel of `src` and a counter of its SASS
    opcodes (name and optional suffix prefix), or None after printing why
    attn-compile failed; and the compile time."""
    t0 = time.time()
    r = subprocess.run([attn_compile, src, f"--chip={chip}", f"--out-dir={out}"],
                       capture_output=True, text=True)
    secs = time.time() - t0
    if r.returncode != 0:
        print(f"FAIL {os.path.basename(src)} {chip}: attn-compile failed\n{r.stderr}")
        return None, None, secs
    stem = os.path.splitext(os.path.basename(src))[0]
    k = json.load(open(os.path.join(out, stem + ".json")))["kernels"][0]
    sass = subprocess.run([cuobjdump, "-sass", os.path.join(out, k["cubin"])],
                          capture_output=True, text=True, env=env)
    ops = re.findall(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)"
                     r"(\.[A-Z0-9_.x]*)?", sass.stdout)
    count = lambda name, suffix="": sum(
        1 for o, sfx in ops if o == name and sfx.startswith(suffix))
    return k, count, secs


def report(line, problems):
    """Prints PASS or FAIL (with the problems) for `line`; 1 on failure."""
    print(("FAIL " + line + ": " + "; ".join(problems)) if problems
          else "PASS " + line)
    return 1 if problems else 0


def local_memory_or_c75(count, ptxas):
    """The problems of local memory, spills or a C75xx line."""
    problems = []
    if count("LDL") or count("STL") or ptxas["spill_load_bytes"] or \
            ptxas["spill_store_bytes"] or ptxas["stack_frame_bytes"]:
        problems.append(f"local memory: {count('LDL')} LDL / {count('STL')} "
                        f"STL, {ptxas}")
    if any("C75" in w for w in ptxas.get("warnings", [])):
        problems.append(f"C75xx: {ptxas['warnings']}")
    return problems


def compiles_without_c75(attn_compile, what, src_text, path):
    """Whether attn-compile (which fails on any C75xx line) compiles
    `src_text`; prints PASS or FAIL for `what`."""
    with open(path, "w") as f:
        f.write(src_text)
    r = subprocess.run([attn_compile, path, "--chip=sm_90a",
                        f"--out-dir={path}.out"], capture_output=True, text=True)
    print(f"FAIL {what}: {r.stderr.strip()}" if r.returncode
          else f"PASS {what}: no C75xx line")
    return 1 if r.returncode else 0


def varlen_gates(attn_compile, cuobjdump, env, tmp):
    """Varlen on the sm_90a TMA kernel (packed [T, H, D] tokens, d 128,
    bottom-right causal): Q, K and V by TMA only (no LDGSTS), the output by
    16-byte stores (STG.E.128, no UTMASTG: a box would cross into the next
    sequence), LDG only for the four cu_seqlens entries, the TMA kernel's
    HGMMA count, no local memory, no C75xx line."""
    t = "tensor<3000x16x128xbf16>"
    kt = "tensor<4000x4x128xbf16>"
    cu = "tensor<9xi32>"
    src = os.path.join(tmp, "varlen.mlir")
    with open(src, "w") as f:
        f.write(f"func.func @attn(%q: {t}, %k: {kt}, %v: {kt}, %cq: {cu}, "
                f"%ck: {cu}) -> {t} {{\n  %o = attn.sdpa %q, %k, %v "
                f"cu_seqlens(%cq, %ck : {cu}, {cu}) {{mask = #attn.mask<causal"
                f" = true, align = bottom_right>}} : {t}, {kt}, {kt} -> {t}\n"
                f"  return %o : {t}\n}}\n")
    k, count, _ = compile_sass(attn_compile, cuobjdump, env, src,
                               os.path.join(tmp, "ovarlen"))
    if k is None:
        return 1
    ptxas = k["ptxas"]
    problems = local_memory_or_c75(count, ptxas)
    # Tiles of 128 keys. S: Dqk/16 HGMMA 64x128x16, P·V: 128/16 HGMMA
    # 64x128x16, twice (peeled).
    if count("HGMMA") != 2 * (128 // 16 + 128 // 16) or count("HMMA"):
        problems.append(f"{count('HGMMA')} HGMMA (expected 32), "
                        f"{count('HMMA')} HMMA")
    if not count("UTMALDG") or count("LDGSTS") or count("UTMASTG"):
        problems.append(f"{count('UTMALDG')} UTMALDG, {count('LDGSTS')} "
                        f"LDGSTS, {count('UTMASTG')} UTMASTG")
    stg = count("STG", ".E.128")
    if not stg or count("STG") != stg:
        problems.append(f"{count('STG')} STG ({stg} STG.E.128)")
    if count("LDG") != 4:
        problems.append(f"{count('LDG')} LDG, expected 4 (cu_seqlens)")
    line = (f"varlen bf16 d128 causal_br sm_90a TMA: {ptxas['registers']} "
            f"registers, {k['shared_memory_bytes']} B smem, "
            f"{count('HGMMA')} HGMMA, {count('UTMALDG')} UTMALDG, {stg} "
            f"STG.E.128, {count('LDG')} LDG")
    return report(line, problems)


def paged_prefill_gates(attn_compile, cuobjdump, env, tmp):
    """Paged prefill on sm_80 (200 queries, 256 blocks of 16 tokens, d 128):
    the Q tile through shared memory by 16-byte cp.async like dense
    prefill (no 32-bit Q loads: LDG only for the context length and the
    block table), K and V by 16-byte cp.async, ldmatrix, no local memory."""
    q, pool = "tensor<1x32x200x128xf16>", "tensor<256x16x8x128xf16>"
    table = "tensor<1x256xi32>"
    src = os.path.join(tmp, "paged_prefill.mlir")
    with open(src, "w") as f:
        f.write(f"func.func @attn(%q: {q}, %k: {pool}, %v: {pool}, %t: {table}, "
                f"%l: tensor<1xi32>) -> {q} {{\n  %o = attn.paged_attention "
                f"%q, %k, %v, %t, %l : {q}, {pool}, {pool}, {table}, "
                f"tensor<1xi32> -> {q}\n  return %o : {q}\n}}\n")
    k, count, _ = compile_sass(attn_compile, cuobjdump, env, src,
                               os.path.join(tmp, "opaged"), chip="sm_80")
    if k is None:
        return 1
    problems = local_memory_or_c75(count, k["ptxas"])
    ldgsts = count("LDGSTS")
    if not ldgsts or count("LDGSTS", ".E.BYPASS.128") != ldgsts:
        problems.append(f"{ldgsts} LDGSTS, not all 16-byte")
    if count("LDG") > 3:
        problems.append(f"{count('LDG')} LDG: Q is not loaded by cp.async")
    if not count("LDSM") or not count("HMMA"):
        problems.append(f"{count('LDSM')} LDSM, {count('HMMA')} HMMA")
    return report(f"paged prefill d128 200 queries sm_80: "
                  f"{k['ptxas']['registers']} registers, {ldgsts} LDGSTS.128, "
                  f"{count('LDG')} LDG, {count('LDSM')} LDSM", problems)


def fp8_gates(attn_compile, cuobjdump, env, tmp):
    """FP8 prefill (e4m3 codes through attn.dequantize, sm_90a TMA, head
    dimensions 64, 128 and 256, keys in tiles of 128): both GEMMs on e4m3
    wgmma (QGMMA: Dqk/32 of 64x128x32 for S and 128/32 of 64xDvx32 for
    P·V per key tile, twice statically: the overlapped loop peels S of the
    first tile and P·V of the last), no f16 HGMMA or HMMA; V transposed by
    the producer (PRMT); P rounded to e4m3 in registers
    (F2FP.SATFINITE.E4M3, a pair per instruction: 32 per tile and thread);
    Q, K and V by TMA only (boxes of 128-byte rows: one per row at d 64,
    half past the tensor), the output by TMA; the ring holds K, V and the
    raw V tile per slot; LDG only for the three scales; no local memory,
    no C75xx line."""
    failures = 0
    for d in (128, 64, 256):
        src = os.path.join(tmp, f"fp8_d{d}.mlir")
        with open(src, "w") as f:
            f.write(fp8_source(1024, "f16", "causal = true", d))
        k, count, secs = compile_sass(attn_compile, cuobjdump, env, src,
                                      os.path.join(tmp, f"ofp8_d{d}"))
        if k is None:
            failures += 1
            continue
        ptxas = k["ptxas"]
        problems = local_memory_or_c75(count, ptxas)
        # Per shape (S: 64x128x32, P·V: 64x{Dv}x32; the same at d 128).
        want = Counter({".64x128x32.F32.E4M3.E4M3": 2 * (d // 32)})
        want[f".64x{d}x32.F32.E4M3.E4M3"] += 2 * (128 // 32)
        got = {shape: count("QGMMA", shape) for shape in want}
        if got != dict(want) or count("QGMMA") != sum(want.values()):
            problems.append(f"{count('QGMMA')} QGMMA {got}, expected "
                            f"{dict(want)}")
        if count("HGMMA") or count("HMMA"):
            problems.append(f"{count('HGMMA')} HGMMA / {count('HMMA')} HMMA")
        cvt = count("F2FP", ".SATFINITE.E4M3")
        if cvt != 2 * 32:
            problems.append(f"{cvt} F2FP.SATFINITE.E4M3, expected 64")
        if not count("PRMT"):
            problems.append("no PRMT: V is not transposed by byte permutes")
        # Q: one box per 128 bytes of a row; K and V as many each per tile
        # (times the unrolling).
        boxes = (d + 127) // 128
        utmaldg = count("UTMALDG")
        if utmaldg < 3 * boxes or (utmaldg - boxes) % (2 * boxes):
            problems.append(f"{utmaldg} UTMALDG")
        # The three per-tensor scales are the only global loads.
        if not count("UTMASTG") or count("STG") or count("LDG") != 3 or \
                count("LDGSTS"):
            problems.append(f"{count('UTMASTG')} UTMASTG, "
                            f"{count('STG')} STG, {count('LDG')} LDG, "
                            f"{count('LDGSTS')} LDGSTS")
        smem = k["shared_memory_bytes"]
        # Q, two slots of K, V (transposed: Dv rows of 128 keys) and raw V,
        # 5 mbarriers per slot and one for Q; rows of 128 bytes at least.
        row = max(d, 128)
        want_smem = 1024 + 128 * row + 2 * (128 * row + d * 128 +
                                            128 * row) + 11 * 8
        if smem != want_smem:
            problems.append(f"{smem} bytes of shared memory, expected "
                            f"{want_smem}")
        if smem > 227 * 1024:
            problems.append(f"{smem} bytes of shared memory, above 227 KiB")
        if count("USETMAXREG") != 2:
            problems.append(f"{count('USETMAXREG')} USETMAXREG (expected 2)")
        line = (f"fp8 e4m3 d{d} causal sm_90a TMA: {ptxas['registers']} "
                f"registers, {smem} B smem, {count('QGMMA')} QGMMA, {cvt} "
                f"F2FP.E4M3, {count('PRMT')} PRMT, {utmaldg} UTMALDG, "
                f"{count('UTMASTG')} UTMASTG, {count('MUFU')} MUFU, "
                f"compile {secs:.2f} s")
        failures += report(line, problems)
    # Shapes whose key loop LLVM straightens (at most one iteration per
    # CTA) or bounds differently: attn-compile fails on any C75xx line.
    for length, dtype, mask in [(256, "bf16", "causal = true"),
                                (200, "f16", "causal = true, align = "
                                             "bottom_right"),
                                (130, "bf16", "window_left = 20, "
                                              "window_right = 5"),
                                (1, "f16", "")]:
        failures += compiles_without_c75(
            attn_compile,
            f"fp8 e4m3 d128 S {length} {dtype} mask <{mask}> sm_90a TMA",
            fp8_source(length, dtype, mask),
            os.path.join(tmp, f"fp8_{length}.mlir"))
    # The same for f16/bf16 (tiles of 128 keys: two key tiles at most).
    for length, dtype, d, mask in [(200, "f16", 128, "causal = true"),
                                   (256, "bf16", 64, "causal = true, "
                                                     "window_left = 100")]:
        t = f"tensor<2x8x{length}x{d}x{dtype}>"
        failures += compiles_without_c75(
            attn_compile, f"{dtype} d{d} S {length} mask <{mask}> sm_90a TMA",
            f"func.func @attn(%q: {t}, %k: {t}, %v: {t}) -> {t} {{\n"
            f"  %o = attn.sdpa %q, %k, %v {{mask = #attn.mask<{mask}>}}"
            f" : {t}, {t}, {t} -> {t}\n  return %o : {t}\n}}\n",
            os.path.join(tmp, f"s{length}.mlir"))
    return failures


def fp8_source(length, dtype, mask, d=128):
    """An attention of 2 x 8 heads over `length` tokens at head dimension
    `d` whose Q, K and V are e4m3 codes with per-tensor scales."""
    t8 = f"tensor<2x8x{length}x{d}xf8E4M3FN>"
    t16 = f"tensor<2x8x{length}x{d}x{dtype}>"
    deq = [f"  %{x} = attn.dequantize %{x}8, %{x}s {{quant = #attn.quant<"
           f"fp8_e4m3, per_tensor>}} : {t8}, tensor<f32> -> {t16}\n"
           for x in "qkv"]
    args = ", ".join(f"%{x}8: {t8}, %{x}s: tensor<f32>" for x in "qkv")
    attr = f" {{mask = #attn.mask<{mask}>}}" if mask else ""
    return (f"func.func @attn({args}) -> {t16} {{\n" + "".join(deq) +
            f"  %o = attn.sdpa %q, %k, %v{attr} : {t16}, {t16}, {t16} -> "
            f"{t16}\n  return %o : {t16}\n}}\n")


# The decode sources whose sm_80 kernel splits each key tile over its warps
# (at most 16 (query head, query) pairs), with their head dimension.
SPLIT_KEYS = {"decode": 128, "decode_d256": 256, "paged": 128, "paged_fp8": 128}


def decode_gates(attn_compile, cuobjdump, env, tmp):
    """The decode form (split-KV, GQA packing): two kernels; the first copies
    K and V with 16-byte cp.async only (LDGSTS .128) -- by TMA only
    (UTMALDG, no LDGSTS) in the dense sm_90a kernels, f16 and FP8 --, uses
    the tensor cores (FP8: e4m3 QGMMA only), no local memory; the combine
    kernel no local memory either."""
    failures = 0
    q, kv = "tensor<1x32x1x128xf16>", "tensor<1x8x4096x128xf16>"
    # Paged: 256 blocks of 16 tokens, NHD pools, a 4096-token table.
    pool, table = "tensor<256x16x8x128xf16>", "tensor<1x256xi32>"
    pool8 = "tensor<256x16x8x128xf8E4M3FN>"

    def dense(d, hq=32, sq=1):
        q, kv = f"tensor<1x{hq}x{sq}x{d}xf16>", f"tensor<1x8x4096x{d}xf16>"
        return (f"func.func @attn(%q: {q}, %k: {kv}, %v: {kv}) -> {q} {{\n"
                f"  %o = attn.sdpa %q, %k, %v : {q}, {kv}, {kv} -> {q}\n"
                f"  return %o : {q}\n}}\n")

    # FP8 e4m3 Q, K and V through attn.dequantize (sm_90a only): the
    # decode form of the FP8 TMA kernel, per-head Q and V scales.
    def fp8(d):
        q, kv = f"tensor<1x32x1x{d}xf16>", f"tensor<1x8x4096x{d}xf16>"
        q8, kv8 = (f"tensor<1x32x1x{d}xf8E4M3FN>",
                   f"tensor<1x8x4096x{d}xf8E4M3FN>")
        return (f"func.func @attn(%q8: {q8}, %qs: tensor<32xf32>, %k8: {kv8}, "
                f"%ks: tensor<f32>, %v8: {kv8}, %vs: tensor<8xf32>) -> {q} {{\n"
                f"  %q = attn.dequantize %q8, %qs {{quant = #attn.quant<fp8_e4m3, "
                f"per_head, axis = 1>}} : {q8}, tensor<32xf32> -> {q}\n"
                f"  %k = attn.dequantize %k8, %ks {{quant = #attn.quant<fp8_e4m3, "
                f"per_tensor>}} : {kv8}, tensor<f32> -> {kv}\n"
                f"  %v = attn.dequantize %v8, %vs {{quant = #attn.quant<fp8_e4m3, "
                f"per_head, axis = 1>}} : {kv8}, tensor<8xf32> -> {kv}\n"
                f"  %o = attn.sdpa %q, %k, %v : {q}, {kv}, {kv} -> {q}\n"
                f"  return %o : {q}\n}}\n")

    paged = (f"func.func @attn(%q: {q}, %k: {pool}, %v: {pool}, %t: {table}, "
             f"%l: tensor<1xi32>) -> {q} {{\n"
             f"  %o = attn.paged_attention %q, %k, %v, %t, %l : {q}, {pool}, {pool}, "
             f"{table}, tensor<1xi32> -> {q}\n"
             f"  return %o : {q}\n}}\n")
    # FP8 e4m3 pools with per-head scales: codes staged, dequantized.
    paged_fp8 = (f"func.func @attn(%q: {q}, %k: {pool8}, %v: {pool8}, %t: {table}, "
                 f"%l: tensor<1xi32>, %ks: tensor<8xf32>, %vs: tensor<8xf32>) -> {q} {{\n"
                 f"  %o = attn.paged_attention %q, %k, %v, %t, %l k_scale(%ks : "
                 f"tensor<8xf32>) v_scale(%vs : tensor<8xf32>) {{kv_quant = "
                 f"#attn.quant<fp8_e4m3, per_head, axis = 2>}} : {q}, {pool8}, "
                 f"{pool8}, {table}, tensor<1xi32> -> {q}\n"
                 f"  return %o : {q}\n}}\n")
    # name: (the line's label, the source, whether sm_80 has a kernel for it)
    sources = {
        "decode": ("decode GQA 32:8 d128", dense(128), True),
        # Head dimension 256: Q in shared memory on sm_80, the TMA kernel
        # on sm_90a.
        "decode_d256": ("decode GQA 32:8 d256", dense(256), True),
        # 8 query heads per KV head x 16 queries: CTAs of 8 warps.
        "decode_spec": ("decode GQA 64:8 Sq 16 d128", dense(128, hq=64, sq=16),
                        True),
        "paged": ("paged decode GQA 32:8 d128", paged, True),
        "paged_fp8": ("paged FP8 decode GQA 32:8 d128", paged_fp8, True),
        "decode_fp8": ("FP8 decode GQA 32:8 d128", fp8(128), False),
        "decode_fp8_d256": ("FP8 decode GQA 32:8 d256", fp8(256), False),
    }
    for (what, (label, text, _)), chip in [
            (w, c) for w in sources.items() for c in ("sm_80", "sm_90a")
            if c == "sm_90a" or w[1][2]]:
        src = os.path.join(tmp, what + ".mlir")
        with open(src, "w") as f:
            f.write(text)
        out = os.path.join(tmp, what + "_" + chip)
        r = subprocess.run([attn_compile, src, f"--chip={chip}", f"--out-dir={out}"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {what} {chip}: attn-compile failed\n{r.stderr}")
            failures += 1
            continue
        man = json.load(open(os.path.join(out, what + ".json")))
        problems, parts = [], []
        if len(man["kernels"]) != 2:
            problems.append(f"{len(man['kernels'])} kernels, expected attention + combine")
        for i, k in enumerate(man["kernels"]):
            sass = subprocess.run([cuobjdump, "-sass", os.path.join(out, k["cubin"])],
                                  capture_output=True, text=True, env=env).stdout
            ops = re.findall(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)", sass)
            base = [o.split(".")[0] for o in ops]
            if "LDL" in base or "STL" in base or k["ptxas"]["spill_store_bytes"]:
                problems.append(f"{k['name']}: local memory or spills")
            if i == 0:
                ldgsts = [o for o in ops if o.startswith("LDGSTS")]
                utmaldg = base.count("UTMALDG")
                mma = sum(1 for o in base if o in ("HMMA", "HGMMA", "QGMMA"))
                if what.startswith("decode") and chip == "sm_90a":
                    if ldgsts or not utmaldg:
                        problems.append(f"{len(ldgsts)} LDGSTS, {utmaldg} UTMALDG: "
                                        "expected K and V by TMA only")
                elif not ldgsts or any(not o.endswith(".128") for o in ldgsts):
                    problems.append(f"K/V copies not all 16-byte: {sorted(set(ldgsts))}")
                if not mma:
                    problems.append("no HMMA/HGMMA/QGMMA")
                # Four query heads per KV head on mma.sync: the warps split
                # each 64-key tile, 16 keys each (S: Dqk/16 k-steps x 2
                # n-tiles; P.V: one k-step x Dv/8 n-tiles).
                if chip == "sm_80" and what in SPLIT_KEYS:
                    d = SPLIT_KEYS[what]
                    want = d // 16 * 2 + d // 8
                    if base.count("HMMA") != want:
                        problems.append(f"{base.count('HMMA')} HMMA, expected "
                                        f"{want} per key tile (split keys)")
                if what.startswith("decode_fp8") and (base.count("HGMMA") or
                                             not base.count("QGMMA")):
                    problems.append("expected e4m3 QGMMA only")
                parts.append(f"grid {k['grid']}, {k['ptxas']['registers']} registers, "
                             f"{len(ldgsts)} LDGSTS.128, {utmaldg} UTMALDG, {mma} MMA")
            else:
                parts.append(f"combine {k['ptxas']['registers']} registers")
        line = f"{label} Sk 4096 {chip}: " + "; ".join(parts)
        if problems:
            failures += 1
            print("FAIL " + line + ": " + "; ".join(problems))
        else:
            print("PASS " + line)
    return failures


if __name__ == "__main__":
    sys.exit(main())
