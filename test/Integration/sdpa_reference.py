#!/usr/bin/env python3
"""Generates the attn.sdpa / attn.combine integration tests of this folder.

The expected values are computed here in float64 with plain loops that follow
the op descriptions in AttnFusedOps.td, independently of the compiler. Each
generated test embeds its inputs and the expected results as constants; the
test's @main calls the op, compares with a relative tolerance (rows with an
expected lse of -inf must give exactly -inf) and prints one `ok` flag per
result. Regenerate with

  python3 test/Integration/sdpa_reference.py test/Integration

(numpy==2.4.6; the seed is fixed, so the output is reproducible).
"""
import os
import sys

import numpy as np

# ---------------------------------------------------------------------------
# Reference semantics (float64)
# ---------------------------------------------------------------------------


def diag(i, sq, sk, align):
    return i + sk - sq if align == "bottom_right" else i


def visible(i, j, sq, sk, causal, align, wl, wr):
    d = diag(i, sq, sk, align)
    if causal and j > d:
        return False
    if wl >= 0 and j < d - wl:
        return False
    if wr >= 0 and j > d + wr:
        return False
    return True


def attend(q, k, v, scale, softcap, biasfn, maskfn, slopes, causal, align, wl,
           wr, sq, klen):
    """One sequence: q [Hq,Sq,D], k [Hkv,Sk,D], v [Hkv,Sk,Dv]."""
    hq, nq, _ = q.shape
    group = hq // k.shape[0]
    out = np.zeros((hq, nq, v.shape[2]))
    lse = np.full((hq, nq), -np.inf)
    for h in range(hq):
        kh = h // group
        for i in range(nq):
            s = np.full(k.shape[1], -np.inf)
            for j in range(k.shape[1]):
                x = scale * np.dot(q[h, i], k[kh, j])
                if softcap is not None:
                    x = softcap * np.tanh(x / softcap)
                x += biasfn(h, i, j)
                if slopes is not None:
                    x += slopes[h] * (j - diag(i, sq, klen, align))
                vis = j < klen and visible(i, j, sq, klen, causal, align, wl,
                                           wr)
                m = maskfn(h, i, j)
                if m is False:
                    vis = False
                elif m is not True:
                    x += m
                if vis:
                    s[j] = x
            mx = s.max()
            if mx == -np.inf:
                continue
            p = np.exp(s - mx)
            out[h, i] = p @ v[kh] / p.sum()
            lse[h, i] = mx + np.log(p.sum())
    return out, lse


def bget(t, idx):
    return t[tuple(0 if t.shape[a] == 1 else idx[a] for a in range(4))]


def sdpa(q, k, v, layout="bhsd", bias=None, attn_mask=None, slopes=None,
         kv_lens=None, cu_q=None, cu_k=None, scale=None, softcap=None,
         causal=False, align="top_left", wl=-1, wr=-1):
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    if slopes is not None:
        slopes = slopes.astype(np.float64)
    if cu_q is not None:
        out = np.zeros((q.shape[0], q.shape[1], v.shape[2]))
        lse = np.full((q.shape[0], q.shape[1]), -np.inf)
        for s in range(len(cu_q) - 1):
            a, b, c, d = cu_q[s], cu_q[s + 1], cu_k[s], cu_k[s + 1]
            o, l = attend(q[a:b].transpose(1, 0, 2), k[c:d].transpose(1, 0, 2),
                          v[c:d].transpose(1, 0, 2), scale, softcap,
                          lambda h, i, j: 0.0, lambda h, i, j: True, slopes,
                          causal, align, wl, wr, b - a, d - c)
            out[a:b] = o.transpose(1, 0, 2)
            lse[a:b] = l.T
        return out, lse
    if layout == "bshd":
        q, k, v = (x.transpose(0, 2, 1, 3) for x in (q, k, v))
    nb, hq, sq, _ = q.shape
    out = np.zeros((nb, hq, sq, v.shape[3]))
    lse = np.zeros((nb, hq, sq))
    for b in range(nb):
        biasfn = lambda h, i, j: 0.0
        if bias is not None:
            biasfn = lambda h, i, j, b=b: float(bget(bias, (b, h, i, j)))
        maskfn = lambda h, i, j: True
        if attn_mask is not None and attn_mask.dtype == np.bool_:
            maskfn = lambda h, i, j, b=b: bool(bget(attn_mask, (b, h, i, j)))
        elif attn_mask is not None:
            maskfn = lambda h, i, j, b=b: float(bget(attn_mask, (b, h, i, j)))
        klen = k.shape[2] if kv_lens is None else int(kv_lens[b])
        out[b], lse[b] = attend(q[b], k[b], v[b], scale, softcap, biasfn,
                                maskfn, slopes, causal, align, wl, wr, sq, klen)
    if layout == "bshd":
        out = out.transpose(0, 2, 1, 3)
    return out, lse


def combine(parts, lses):
    parts = parts.astype(np.float64)
    lses = lses.astype(np.float64)
    n = parts.shape[0]
    rows = lses.shape[1:]
    out = np.zeros(parts.shape[1:])
    lse = np.full(rows, -np.inf)
    for r in np.ndindex(*rows):
        ls = [lses[(c,) + r] for c in range(n)]
        m = max(ls)
        if m == -np.inf:
            continue
        w = [np.exp(l - m) for l in ls]
        out[r] = sum(w[c] * parts[(c,) + r] for c in range(n)) / sum(w)
        lse[r] = m + np.log(sum(w))
    return out, lse


# ---------------------------------------------------------------------------
# MLIR emission
# ---------------------------------------------------------------------------

ELT = {"f32": np.float32, "f64": np.float64, "f16": np.float16,
       "bf16": np.float32, "i1": np.bool_, "i32": np.int32}


def ttype(shape, elt):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elt + ">"


def bf16_round(x):
    """float32 -> nearest-even bfloat16 value, as float32."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32)


def literal(a, elt):
    if elt == "i1":
        flat = ["true" if x else "false" for x in a.reshape(-1)]
    elif elt in ("i32",):
        flat = [str(int(x)) for x in a.reshape(-1)]
    else:
        flat = []
        for x in a.astype(np.float64).reshape(-1):
            if np.isneginf(x):
                flat.append("0xFF800000" if elt == "f32" else
                            "0xFFF0000000000000" if elt == "f64" else
                            "0xFC00" if elt == "f16" else "0xFF80")
            elif elt == "f64":
                flat.append(repr(float(x)))
            else:
                # 9 significant digits round-trip every float32 value.
                flat.append("%.8e" % x)
    if a.ndim == 0:
        return f"dense<{flat[0]}>"
    return f"dense<{nest(flat, a.shape)}>"


def nest(flat, shape):
    if len(shape) == 1:
        return "[" + ", ".join(flat) + "]"
    step = len(flat) // shape[0]
    return "[" + ", ".join(nest(flat[i * step:(i + 1) * step], shape[1:])
                           for i in range(shape[0])) + "]"


CLOSE = """
// Whether every element is within tol * max(1, |want|) of want; -inf must
// match exactly. NaN fails.
func.func @close_{elt}(%got: tensor<?x{elt}>, %want: tensor<?x{elt}>, %tol: f64) -> i1 {{
  %true = arith.constant true
  %one = arith.constant 1.0 : f64
  %init = tensor.empty() : tensor<i1>
  %fill = linalg.fill ins(%true : i1) outs(%init : tensor<i1>) -> tensor<i1>
  %r = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>,
                                        affine_map<(d0) -> (d0)>,
                                        affine_map<(d0) -> ()>],
                       iterator_types = ["reduction"]}}
      ins(%got, %want : tensor<?x{elt}>, tensor<?x{elt}>) outs(%fill : tensor<i1>) {{
  ^bb0(%g0: {elt}, %w0: {elt}, %acc: i1):
    {ext}
    %d = arith.subf %g, %w : f64
    %a = math.absf %d : f64
    %aw = math.absf %w : f64
    %s = arith.maximumf %aw, %one : f64
    %t = arith.mulf %tol, %s : f64
    %near = arith.cmpf ole, %a, %t : f64
    %same = arith.cmpf oeq, %g, %w : f64
    %c = arith.ori %near, %same : i1
    %n = arith.andi %acc, %c : i1
    linalg.yield %n : i1
  }} -> tensor<i1>
  %ok = tensor.extract %r[] : tensor<i1>
  return %ok : i1
}}
"""


class TestFile:
    def __init__(self, title):
        self.title = title
        self.funcs = []
        self.main = []
        self.checks = []
        self.elts = set()
        self.n = 0

    def value(self, a, elt):
        self.n += 1
        name = f"%c{self.n}"
        self.main.append(f"  {name} = arith.constant {literal(a, elt)} : "
                         f"{ttype(a.shape, elt)}")
        return name

    def check(self, label, got, want, elt, tol):
        self.elts.add(elt)
        size = int(np.prod(want.shape))
        t = ttype(want.shape, elt)
        self.n += 1
        i = self.n
        if want.ndim == 0:
            self.main.append(
                f"  %flat{i} = tensor.expand_shape {got} [] output_shape [1] : {t} into {ttype((1,), elt)}")
            got, want = f"%flat{i}", want.reshape(1)
        w = self.value(want, elt)
        if want.ndim > 1:
            self.main.append(
                f"  %flat{i} = tensor.collapse_shape {got} [{list(range(want.ndim))}] : {t} into {ttype((size,), elt)}")
            self.main.append(
                f"  %wflat{i} = tensor.collapse_shape {w} [{list(range(want.ndim))}] : {t} into {ttype((size,), elt)}")
            got, w = f"%flat{i}", f"%wflat{i}"
        self.main.append(
            f"  %dyn{i} = tensor.cast {got} : {ttype((size,), elt)} to tensor<?x{elt}>")
        self.main.append(
            f"  %wdyn{i} = tensor.cast {w} : {ttype((size,), elt)} to tensor<?x{elt}>")
        self.main.append(f"  %tol{i} = arith.constant {tol:e} : f64")
        self.main.append(
            f"  %ok{i} = call @close_{elt}(%dyn{i}, %wdyn{i}, %tol{i}) : (tensor<?x{elt}>, tensor<?x{elt}>, f64) -> i1")
        self.main.append(f'  vector.print str "{label}: "')
        self.main.append(f"  vector.print %ok{i} : i1")
        self.checks.append(f"// CHECK: {label}: 1")

    def render(self):
        out = [f"// {self.title}",
               "// Generated by sdpa_reference.py (expected values: numpy float64).",
               "// RUN: attn-opt %s --convert-attn-to-linalg --attn-linalg-to-llvm \\",
               "// RUN: | mlir-runner-22 -e main -entry-point-result=void \\",
               "// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \\",
               "// RUN: | FileCheck %s", ""]
        out += self.checks + [""]
        out += self.funcs
        for elt in sorted(self.elts):
            if elt == "f64":
                e = ("%g = arith.mulf %g0, %one : f64\n"
                     "    %w = arith.mulf %w0, %one : f64")
            else:
                e = (f"%g = arith.extf %g0 : {elt} to f64\n"
                     f"    %w = arith.extf %w0 : {elt} to f64")
            out.append(CLOSE.format(elt=elt, ext=e))
        out.append("func.func @main() {")
        out += self.main
        out.append("  return")
        out.append("}")
        return "\n".join(out) + "\n"


def dyn_type(shape, elt, keep):
    """The type of `shape` with every dim except `keep` dynamic."""
    return "tensor<" + "".join(
        f"{d}x" if i == keep else "?x" for i, d in enumerate(shape)) + elt + ">"


def sdpa_case(tf, name, q, k, v, elt="f32", attrs="", lse=True, tol=1e-5,
              lse_tol=1e-5, dynamic=False, **kw):
    """Adds @name running attn.sdpa and its checks to `tf`. With `dynamic`,
    the op sees every dimension but the heads as dynamic."""
    args = [("q", q, elt), ("k", k, elt), ("v", v, elt)]
    clauses = []
    for key, kwname in (("bias", "bias"), ("attn_mask", "attn_mask"),
                        ("alibi", "slopes"), ("kv_lens", "kv_lens")):
        a = kw.get(kwname)
        if a is None:
            continue
        e = elt if kwname == "bias" else {
            np.bool_: "i1", np.int32: "i32", np.float32: "f32",
            np.float64: "f64", np.float16: "f16"}[a.dtype.type]
        args.append((kwname, a, e))
        clauses.append(f"{key}(%{kwname} : {ttype(a.shape, e)})")
    if kw.get("cu_q") is not None:
        cq, ck = kw["cu_q"], kw["cu_k"]
        args += [("cq", cq, "i32"), ("ck", ck, "i32")]
        clauses.append(f"cu_seqlens(%cq, %ck : {ttype(cq.shape, 'i32')}, "
                       f"{ttype(ck.shape, 'i32')})")
    if elt == "bf16":
        args = [(n, bf16_round(a) if e == "bf16" else a, e)
                for n, a, e in args]
    ref_inputs = {n: a for n, a, _ in args}
    kw2 = dict(kw)
    for n in ("bias", "attn_mask", "slopes", "kv_lens"):
        if n in ref_inputs:
            kw2[n] = ref_inputs[n]
    o, l = sdpa(ref_inputs["q"], ref_inputs["k"], ref_inputs["v"], **kw2)
    ot, lt = ttype(o.shape, elt), ttype(l.shape, "f32")
    res = f"{ot}, {lt}" if lse else ot
    sig = ", ".join(f"%{n}: {ttype(a.shape, e)}" for n, a, e in args)
    types = ", ".join(ttype(a.shape, e) for n, a, e in args[:3])
    results = "%o, %l" if lse else "%o"
    if dynamic:
        heads = 2 if kw.get("layout") == "bshd" else 1
        dq, dk, dv = (dyn_type(a.shape, elt, heads) for _, a, _ in args[:3])
        do = dyn_type(o.shape, elt, heads)
        dl = dyn_type(l.shape, "f32", 1)
        tf.funcs.append(
            f"func.func @{name}({sig}) -> ({res}) {{\n"
            f"  %dq = tensor.cast %q : {ttype(q.shape, elt)} to {dq}\n"
            f"  %dk = tensor.cast %k : {ttype(k.shape, elt)} to {dk}\n"
            f"  %dv = tensor.cast %v : {ttype(v.shape, elt)} to {dv}\n"
            f"  %o0, %l0 = attn.sdpa %dq, %dk, %dv {' '.join(clauses)} {attrs}\n"
            f"      : {dq}, {dk}, {dv} -> {do}, {dl}\n"
            f"  %o = tensor.cast %o0 : {do} to {ot}\n"
            f"  %l = tensor.cast %l0 : {dl} to {lt}\n"
            f"  return %o, %l : {res}\n}}\n")
    else:
        tf.funcs.append(
            f"func.func @{name}({sig}) -> ({res}) {{\n"
            f"  {results} = attn.sdpa %q, %k, %v {' '.join(clauses)} {attrs}\n"
            f"      : {types} -> {res}\n"
            f"  return {results} : {res}\n}}\n")
    names = [tf.value(a, e) for n, a, e in args]
    argtypes = ", ".join(ttype(a.shape, e) for n, a, e in args)
    tf.n += 1
    r = f"%r{tf.n}"
    tf.main.append(f"  {r}:{2 if lse else 1} = call @{name}({', '.join(names)}) : ({argtypes}) -> ({res})")
    tf.check(f"{name} out", f"{r}#0", o, elt, tol)
    if lse:
        tf.check(f"{name} lse", f"{r}#1", l, "f32", lse_tol)


def combine_case(tf, name, parts, lses, elt="f32", tol=1e-5):
    o, l = combine(parts, lses)
    pt, lt = ttype(parts.shape, elt), ttype(lses.shape, "f32")
    ot, olt = ttype(o.shape, elt), ttype(l.shape, "f32")
    tf.funcs.append(
        f"func.func @{name}(%p: {pt}, %l: {lt}) -> ({ot}, {olt}) {{\n"
        f"  %o, %lse = attn.combine %p, %l : {pt}, {lt} -> {ot}, {olt}\n"
        f"  return %o, %lse : {ot}, {olt}\n}}\n")
    p, ls = tf.value(parts, elt), tf.value(lses, "f32")
    tf.n += 1
    r = f"%r{tf.n}"
    tf.main.append(f"  {r}:2 = call @{name}({p}, {ls}) : ({pt}, {lt}) -> ({ot}, {olt})")
    tf.check(f"{name} out", f"{r}#0", o, elt, tol)
    tf.check(f"{name} lse", f"{r}#1", l, "f32", 1e-5)


def main(outdir):
    rng = np.random.default_rng(20240611)

    def rnd(*s, dt=np.float32):
        return rng.uniform(-1, 1, s).astype(dt)

    slopes4 = np.array([0.5, 0.25, 0.125, 0.0625], np.float32)
    br = "align = bottom_right"

    tf = TestFile("attn.sdpa on the CPU: layouts, GQA/MQA, Sq != Sk, Dqk != Dv, causal masks and windows.")
    sdpa_case(tf, "mha", rnd(2, 2, 3, 8), rnd(2, 2, 5, 8), rnd(2, 2, 5, 4))
    sdpa_case(tf, "gqa_causal_top_left", rnd(1, 4, 5, 8), rnd(1, 2, 7, 8),
              rnd(1, 2, 7, 6), attrs="{mask = #attn.mask<causal = true>}",
              causal=True)
    sdpa_case(tf, "mqa_causal_bottom_right", rnd(1, 4, 3, 8), rnd(1, 1, 6, 8),
              rnd(1, 1, 6, 6),
              attrs=f"{{mask = #attn.mask<causal = true, {br}>}}",
              causal=True, align="bottom_right")
    # Sq > Sk bottom-right: the first rows see no key.
    sdpa_case(tf, "causal_bottom_right_sq_gt_sk", rnd(1, 2, 6, 4),
              rnd(1, 2, 3, 4), rnd(1, 2, 3, 4),
              attrs=f"{{mask = #attn.mask<causal = true, {br}>}}",
              causal=True, align="bottom_right")
    sdpa_case(tf, "window_two_sided", rnd(1, 2, 7, 8), rnd(1, 2, 7, 8),
              rnd(1, 2, 7, 8),
              attrs="{mask = #attn.mask<window_left = 2, window_right = 1>}",
              wl=2, wr=1)
    sdpa_case(tf, "causal_window_bottom_right", rnd(1, 1, 3, 8),
              rnd(1, 1, 8, 8), rnd(1, 1, 8, 8),
              attrs=f"{{mask = #attn.mask<causal = true, {br}, window_left = 3>}}",
              causal=True, align="bottom_right", wl=3)
    sdpa_case(tf, "bshd_gqa", rnd(2, 3, 4, 8), rnd(2, 5, 2, 8),
              rnd(2, 5, 2, 3), attrs="{layout = #attn<layout bshd>}",
              layout="bshd")
    # Dynamic batch, sequence and head dims (the default scale is computed
    # at run time from the query's head dim).
    sdpa_case(tf, "dynamic_shapes", rnd(2, 4, 3, 8), rnd(2, 2, 5, 8),
              rnd(2, 2, 5, 4), kv_lens=np.array([4, 2], np.int32),
              attrs=f"{{mask = #attn.mask<causal = true, {br}>}}",
              causal=True, align="bottom_right", dynamic=True)
    sdpa_case(tf, "no_lse", rnd(1, 2, 3, 4), rnd(1, 2, 3, 4), rnd(1, 2, 3, 4),
              lse=False)
    open(os.path.join(outdir, "sdpa-basic.mlir"), "w").write(tf.render())

    tf = TestFile("attn.sdpa on the CPU: bias, boolean and additive masks, ALiBi, kv_lens, fully masked rows.")
    sdpa_case(tf, "bias_broadcast", rnd(2, 4, 3, 8), rnd(2, 2, 5, 8),
              rnd(2, 2, 5, 8), bias=rnd(1, 4, 1, 5))
    sdpa_case(tf, "bias_full", rnd(2, 2, 3, 8), rnd(2, 1, 4, 8),
              rnd(2, 1, 4, 8), bias=rnd(2, 2, 3, 4))
    m = rng.uniform(size=(2, 1, 4, 5)) > 0.4
    m[1, 0, 2, :] = False  # a fully masked row
    sdpa_case(tf, "bool_mask", rnd(2, 2, 4, 8), rnd(2, 2, 5, 8),
              rnd(2, 2, 5, 8), attn_mask=m)
    fm = rnd(1, 1, 4, 5)
    fm[0, 0, 1, :3] = -np.inf
    fm[0, 0, 3, :] = -np.inf  # a fully masked row
    sdpa_case(tf, "additive_mask", rnd(1, 2, 4, 8), rnd(1, 2, 5, 8),
              rnd(1, 2, 5, 8), attn_mask=fm)
    sdpa_case(tf, "alibi", rnd(1, 4, 4, 8), rnd(1, 2, 6, 8), rnd(1, 2, 6, 8),
              slopes=slopes4)
    sdpa_case(tf, "alibi_causal_bottom_right", rnd(1, 4, 2, 8),
              rnd(1, 2, 6, 8), rnd(1, 2, 6, 8), slopes=slopes4,
              attrs=f"{{mask = #attn.mask<causal = true, {br}>}}",
              causal=True, align="bottom_right")
    # kv_lens 0 gives a batch of fully masked rows.
    sdpa_case(tf, "kv_lens", rnd(3, 2, 3, 8), rnd(3, 2, 6, 8),
              rnd(3, 2, 6, 8), kv_lens=np.array([6, 2, 0], np.int32))
    # bottom-right alignment uses Sk = kv_lens[b].
    sdpa_case(tf, "kv_lens_causal_bottom_right_bshd", rnd(2, 2, 4, 8),
              rnd(2, 6, 2, 8), rnd(2, 6, 2, 8),
              kv_lens=np.array([5, 3], np.int32), slopes=slopes4,
              attrs=f"{{layout = #attn<layout bshd>, mask = #attn.mask<causal = true, {br}>}}",
              layout="bshd", causal=True, align="bottom_right")
    open(os.path.join(outdir, "sdpa-masks.mlir"), "w").write(tf.render())

    tf = TestFile("attn.sdpa on the CPU: varlen (cu_seqlens) with per-sequence mask alignment.")
    sdpa_case(tf, "varlen_causal", rnd(9, 4, 8), rnd(11, 2, 8),
              rnd(11, 2, 6), cu_q=np.array([0, 3, 3, 9], np.int32),
              cu_k=np.array([0, 4, 6, 11], np.int32),
              attrs="{mask = #attn.mask<causal = true>}", causal=True)
    sdpa_case(tf, "varlen_bottom_right_window_alibi", rnd(8, 4, 8),
              rnd(11, 2, 8), rnd(11, 2, 6),
              cu_q=np.array([0, 3, 4, 8], np.int32),
              cu_k=np.array([0, 5, 7, 11], np.int32), slopes=slopes4,
              attrs=f"{{mask = #attn.mask<causal = true, {br}, window_left = 1>}}",
              causal=True, align="bottom_right", wl=1)
    # Tokens past cu_seqlens_q[B] belong to no sequence: zeros, lse -inf.
    sdpa_case(tf, "varlen_softcap_padding", rnd(7, 2, 8), rnd(6, 1, 8),
              rnd(6, 1, 8), cu_q=np.array([0, 2, 5], np.int32),
              cu_k=np.array([0, 4, 6], np.int32),
              attrs="{softcap = 0.5 : f32}", softcap=0.5)
    open(os.path.join(outdir, "sdpa-varlen.mlir"), "w").write(tf.render())

    tf = TestFile("attn.sdpa on the CPU: f16/bf16 (f32 accumulation), f64, softcap, scale, large logits.")
    sdpa_case(tf, "f16", rnd(1, 2, 3, 16, dt=np.float16),
              rnd(1, 2, 5, 16, dt=np.float16), rnd(1, 2, 5, 8, dt=np.float16),
              elt="f16", tol=1e-3, bias=rnd(1, 2, 3, 5, dt=np.float16),
              attrs="{mask = #attn.mask<causal = true>}", causal=True)
    sdpa_case(tf, "bf16", rnd(1, 2, 3, 16), rnd(1, 2, 5, 16),
              rnd(1, 2, 5, 8), elt="bf16", tol=8e-3)
    sdpa_case(tf, "f64", rnd(1, 2, 3, 8, dt=np.float64),
              rnd(1, 2, 5, 8, dt=np.float64), rnd(1, 2, 5, 8, dt=np.float64),
              elt="f64", tol=1e-12, attrs="{mask = #attn.mask<causal = true>}",
              causal=True)
    sdpa_case(tf, "scale_softcap", 4 * rnd(1, 2, 3, 8), 4 * rnd(1, 2, 4, 8),
              rnd(1, 2, 4, 8), attrs="{scale = 0.5 : f32, softcap = 2.0 : f32}",
              scale=0.5, softcap=2.0)
    # Logits of order 1e4 must not overflow exp.
    sdpa_case(tf, "large_logits", 100 * rnd(1, 1, 3, 8),
              100 * rnd(1, 1, 4, 8), rnd(1, 1, 4, 8),
              attrs="{scale = 1.0 : f32}", scale=1.0, tol=1e-4)
    open(os.path.join(outdir, "sdpa-dtypes.mlir"), "w").write(tf.render())

    tf = TestFile("attn.combine on the CPU: log-sum-exp merge, -inf partials and rows.")
    lses = 3 * rnd(4, 1, 3, 2)
    lses[:, 0, 1, 1] = -np.inf  # a row without any visible key
    lses[2, 0, 0, 0] = -np.inf  # one empty partial
    parts = rnd(4, 1, 3, 2, 8)
    combine_case(tf, "combine", parts, lses.astype(np.float32))
    combine_case(tf, "combine_f64_rank2", rnd(3, 8, dt=np.float64),
                 np.array([1.0, -np.inf, 2.0], np.float32), elt="f64",
                 tol=1e-12)
    combine_case(tf, "combine_large_lse", rnd(2, 3, 4, dt=np.float16),
                 (1e4 * rnd(2, 3)).astype(np.float32), elt="f16", tol=1e-3)
    # Cross-check: combining two halves equals attention over all keys.
    q, k, v = rnd(1, 2, 3, 8), rnd(1, 2, 6, 8), rnd(1, 2, 6, 8)
    o1, l1 = sdpa(q, k[:, :, :3], v[:, :, :3], scale=0.35)
    o2, l2 = sdpa(q, k[:, :, 3:], v[:, :, 3:], scale=0.35)
    full, _ = sdpa(q, k, v, scale=0.35)
    merged, _ = combine(np.stack([o1, o2]), np.stack([l1, l2]))
    assert np.allclose(merged, full)
    combine_case(tf, "combine_halves",
                 np.stack([o1, o2]).astype(np.float32),
                 np.stack([l1, l2]).astype(np.float32))
    open(os.path.join(outdir, "combine.mlir"), "w").write(tf.render())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
