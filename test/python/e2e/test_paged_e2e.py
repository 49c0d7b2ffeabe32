"""End to end: a KV cache filled by the runtime, read (and written) by kernels
compiled by attn.

For each configuration the runtime (C API through ctypes) builds a paged
cache with several sequences: chunked appends, a beam fork whose two beams
then append different tokens (copy-on-write of the shared partial block), and
a freed sequence whose blocks are reused. The block table, context lengths,
raw pools and scales are exported through the C API exactly as
docs/runtime/kv-cache-layout.md says and saved as .npy; a generated .mlir
with `attn.paged_attention` of the matching types, layout and quantization
runs on them under attn-runner. Its output is compared with an fp64 numpy
reference computed from the K/V values the test appended (independent of the
runtime and of the compiler):

* against the stored values (f32 as is; f16 rounded by numpy; INT8/FP8
  quantized and dequantized by numpy following the layout doc, which must
  equal the runtime's `attn_kv_read` bit for bit): tolerance TIGHT_TOL;
* against the original f32 values: within the storage format's error bound
  (e2e_reference.output_error_bound) plus the same tolerance.

test_compiled_append_matches_runtime runs `attn.kv_cache_append` compiled by
attn on pools exported from the runtime and checks that it writes the same
bytes into the same slots as the runtime's own append (same block table).

Environment: ATTN_RUNTIME_LIB (libattn_runtime.so) and ATTN_RUNNER
(attn-runner); tests skip, saying why, when either is missing. Optional
ATTN_E2E_PIPELINE: the --pipeline attn-runner lowers with.
"""

import math
import os
import subprocess

import ml_dtypes
import numpy as np
import pytest

import e2e_reference as ref
import e2e_runtime as rt

LIB_PATH = os.environ.get("ATTN_RUNTIME_LIB", "")
RUNNER = os.environ.get("ATTN_RUNNER", "")
# Optional --pipeline for attn-runner (default: its own, attn-lower-to-cpu).
PIPELINE = os.environ.get("ATTN_E2E_PIPELINE", "")

# |got - ref| <= atol + rtol * |ref| against the fp64 reference on the stored
# values. The compiled kernel computes scores, softmax and the weighted sum
# in f32 (|ref| <= ~3 here, <= 64 keys): errors are ~1e-6. f16 results add
# the final rounding to binary16 (half an ulp, 2^-11 relative) and f16 P·V
# operands.
TIGHT_TOL = {  # storage -> (atol, rtol)
    "f32": (2e-5, 2e-5),
    "f16": (2e-4, 2.0**-9),
    "int8": (2e-5, 2e-5),
    "fp8_e4m3": (2e-5, 2e-5),
}

STORAGE = {  # name -> (runtime dtype, granularity, MLIR element type)
    "f32": (rt.F32, rt.QUANT_NONE, "f32"),
    "f16": (rt.F16, rt.QUANT_NONE, "f16"),
    "int8": (rt.INT8, rt.QUANT_PER_HEAD, "i8"),
    "fp8_e4m3": (rt.FP8_E4M3FN, rt.QUANT_PER_TENSOR, "f8E4M3FN"),
}

HEADS = {"gqa": (8, 2), "mha": (4, 4)}  # (Hq, Hkv)
LAYOUT = {"nhd": rt.NHD, "hnd": rt.HND}
NUM_LAYERS = 2
HEAD_DIM = 16

# (storage, layout, block size, heads, Sq): each storage type meets block
# sizes 1, 4, 16, 64, both layouts, GQA and MHA, decode and chunked prefill.
CONFIGS = [
    ("f32", "nhd", 1, "gqa", 1),
    ("f32", "hnd", 4, "mha", 4),
    ("f32", "nhd", 16, "mha", 1),
    ("f32", "hnd", 64, "gqa", 4),
    ("f16", "nhd", 4, "gqa", 4),
    ("f16", "hnd", 16, "mha", 1),
    ("f16", "nhd", 64, "mha", 4),
    ("f16", "hnd", 1, "gqa", 1),
    ("int8", "nhd", 16, "gqa", 1),
    ("int8", "hnd", 64, "mha", 4),
    ("int8", "nhd", 1, "mha", 4),
    ("int8", "hnd", 4, "gqa", 1),
    ("fp8_e4m3", "nhd", 64, "gqa", 4),
    ("fp8_e4m3", "hnd", 1, "mha", 1),
    ("fp8_e4m3", "nhd", 4, "mha", 1),
    ("fp8_e4m3", "hnd", 16, "gqa", 4),
    # The largest block size: every sequence fits in its first block.
    ("f32", "nhd", 256, "gqa", 4),
]


def config_id(c):
    return f"{c[0]}-{c[1]}-bs{c[2]}-{c[3]}-sq{c[4]}"


# Scenario (token counts). A gets 37 tokens in two chunks, B 23, D 19; D is
# freed and E (13 tokens) takes its blocks; C forks A, then A appends 6 and
# C appends 9 different tokens.
A0_CHUNKS, A1_CHUNKS = (20, 17), (4, 2)
B_CHUNKS, D_CHUNKS, E_CHUNKS, C_CHUNKS = (23,), (19,), (5, 8), (9,)
A0 = sum(A0_CHUNKS)


def blocks(n, bs):
    return -(-n // bs)


def final_lengths():
    a = A0 + sum(A1_CHUNKS)
    return {"A": a, "B": sum(B_CHUNKS), "C": A0 + sum(C_CHUNKS),
            "E": sum(E_CHUNKS)}


def pool_blocks(bs):
    """Blocks in use at the end (the pool is sized to exactly that, so every
    block, the freed ones included, ends up in use) and at the peak before."""
    n = final_lengths()
    final = (blocks(n["A"], bs) + blocks(n["C"], bs) - A0 // bs +
             blocks(n["B"], bs) + blocks(n["E"], bs))
    peak = blocks(A0, bs) + blocks(n["B"], bs) + blocks(sum(D_CHUNKS), bs)
    return final, peak


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lib():
    if not LIB_PATH or not os.path.isfile(LIB_PATH):
        pytest.skip("ATTN_RUNTIME_LIB is not set to the runtime shared "
                    f"library (got {LIB_PATH!r}); build attn_runtime_shared "
                    "(-DATTN_BUILD_RUNTIME=ON)")
    return rt.load(LIB_PATH)


@pytest.fixture(scope="module")
def runner():
    if not RUNNER or not os.access(RUNNER, os.X_OK):
        pytest.skip(f"ATTN_RUNNER is not set to attn-runner (got {RUNNER!r});"
                    " build the attn-runner target")
    return RUNNER


def run_mlir(runner, tmp_path, mlir, inputs, num_outputs):
    """Saves `inputs` as .npy, runs attn-runner on `mlir` (entry @main) and
    returns its outputs."""
    src = tmp_path / "kernel.mlir"
    src.write_text(mlir)
    cmd = [runner, str(src), "--entry=main", f"--out-dir={tmp_path}"]
    if PIPELINE:
        cmd.append(f"--pipeline={PIPELINE}")
    for i, a in enumerate(inputs):
        path = tmp_path / f"arg{i}.npy"
        np.save(path, np.ascontiguousarray(a))
        cmd.append(f"--input={path}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        f"attn-runner failed ({proc.returncode}):\n{proc.stderr}\n{mlir}")
    return [np.load(tmp_path / f"out{i}.npy") for i in range(num_outputs)]


# --------------------------------------------------------------------------
# MLIR generation
# --------------------------------------------------------------------------

def ttype(shape, elt):
    return "tensor<" + "x".join(str(s) for s in shape) + f"x{elt}>"


def bitcast(name, src, shape, src_elt, dst_elt):
    """A linalg.generic reinterpreting the bits of an i8 tensor (attn-runner
    exchanges FP8 pools as i8) as FP8, or back."""
    rank = len(shape)
    dims = ", ".join(f"d{i}" for i in range(rank))
    amap = f"affine_map<({dims}) -> ({dims})>"
    its = ", ".join(['"parallel"'] * rank)
    st, dt = ttype(shape, src_elt), ttype(shape, dst_elt)
    return (
        f"  %{name}_init = tensor.empty() : {dt}\n"
        f"  %{name} = linalg.generic {{indexing_maps = [{amap}, {amap}], "
        f"iterator_types = [{its}]}} ins(%{src} : {st}) "
        f"outs(%{name}_init : {dt}) {{\n"
        f"  ^bb0(%a: {src_elt}, %o: {dst_elt}):\n"
        f"    %c = arith.bitcast %a : {src_elt} to {dst_elt}\n"
        f"    linalg.yield %c : {dst_elt}\n"
        f"  }} -> {dt}\n")


def attr_dict(attrs):
    return f" {{{', '.join(attrs)}}}" if attrs else ""


def io_elt(elt):
    """Element type attn-runner exchanges for a pool element type."""
    return "i8" if elt.startswith("f8") else elt


def paged_attention_mlir(storage, layout, pool_shape, q_shape, table_shape,
                         causal, num_layers):
    """@main(q_0, ..., table, ctx, (k_pool, v_pool[, k_scale, v_scale])
    per layer) -> one result per layer."""
    _, gran, elt = STORAGE[storage]
    q_elt = "f16" if storage == "f16" else "f32"
    hkv = pool_shape[2] if layout == "nhd" else pool_shape[1]
    scale_shape = {rt.QUANT_PER_HEAD: (hkv,),
                   rt.QUANT_PER_TENSOR: (1,)}.get(gran)
    args = [f"%q{l}: {ttype(q_shape, q_elt)}" for l in range(num_layers)]
    args += [f"%table: {ttype(table_shape, 'i32')}",
             f"%ctx: {ttype(table_shape[:1], 'i32')}"]
    body = ""
    results, rtypes = [], []
    pool_t = ttype(pool_shape, elt)
    for l in range(num_layers):
        if io_elt(elt) != elt:
            pool_io = ttype(pool_shape, io_elt(elt))
            args += [f"%kraw{l}: {pool_io}", f"%vraw{l}: {pool_io}"]
            body += bitcast(f"kc{l}", f"kraw{l}", pool_shape, "i8", elt)
            body += bitcast(f"vc{l}", f"vraw{l}", pool_shape, "i8", elt)
        else:
            args += [f"%kc{l}: {pool_t}", f"%vc{l}: {pool_t}"]
        attrs = []
        if layout == "hnd":
            attrs.append("cache_layout = #attn<cache_layout hnd>")
        quant = ""
        if scale_shape:
            st = ttype(scale_shape, "f32")
            args += [f"%ks{l}: {st}", f"%vs{l}: {st}"]
            quant = f" k_scale(%ks{l} : {st}) v_scale(%vs{l} : {st})"
            if gran == rt.QUANT_PER_HEAD:
                axis = 2 if layout == "nhd" else 1
                attrs.append("kv_quant = #attn.quant<int8_sym, per_head, "
                             f"axis = {axis}>")
            else:
                attrs.append("kv_quant = #attn.quant<fp8_e4m3, per_tensor>")
        if causal:
            attrs.append(
                "mask = #attn.mask<causal = true, align = bottom_right>")
        out_t = ttype(q_shape, q_elt)
        body += (
            f"  %o{l} = attn.paged_attention %q{l}, %kc{l}, %vc{l}, %table, "
            f"%ctx{quant}{attr_dict(attrs)} : {ttype(q_shape, q_elt)}, "
            f"{pool_t}, {pool_t}, {ttype(table_shape, 'i32')}, "
            f"{ttype(table_shape[:1], 'i32')} -> {out_t}\n")
        results.append(f"%o{l}")
        rtypes.append(out_t)
    return (f"func.func @main({', '.join(args)}) -> ({', '.join(rtypes)}) {{\n"
            f"{body}  return {', '.join(results)} : {', '.join(rtypes)}\n}}\n")


def kv_append_mlir(storage, layout, pool_shape, new_shape, batch, max_blocks,
                   num_layers):
    """@main((k_pool, v_pool, k_new, v_new) per layer, table, cache_lens,
    new_lens) -> updated pools per layer."""
    _, _, elt = STORAGE[storage]
    io = io_elt(elt)
    table_t, lens_t = ttype((batch, max_blocks), "i32"), ttype((batch,), "i32")
    pool_t, new_t = ttype(pool_shape, elt), ttype(new_shape, elt)
    pool_io = ttype(pool_shape, io)
    args, body, results, rtypes = [], "", [], []
    bitcasts = io != elt
    for l in range(num_layers):
        names = (f"kc{l}", f"vc{l}", f"kn{l}", f"vn{l}")
        shapes = (pool_shape, pool_shape, new_shape, new_shape)
        for name, shape in zip(names, shapes):
            if bitcasts:
                args.append(f"%{name}_io: {ttype(shape, io)}")
                body += bitcast(name, f"{name}_io", shape, io, elt)
            else:
                args.append(f"%{name}: {ttype(shape, elt)}")
    args += [f"%table: {table_t}", f"%lens: {lens_t}", f"%n: {lens_t}"]
    for l in range(num_layers):
        attr = (" {cache_layout = #attn<cache_layout hnd>}"
                if layout == "hnd" else "")
        body += (
            f"  %ko{l}, %vo{l} = attn.kv_cache_append %kc{l}, %vc{l}, %kn{l}, "
            f"%vn{l}, %table, %lens new_lens(%n : {lens_t}){attr} : "
            f"{pool_t}, {pool_t}, {new_t}, {new_t}, {table_t}, {lens_t}\n")
        for which in ("ko", "vo"):
            if bitcasts:
                body += bitcast(f"{which}{l}_io", f"{which}{l}", pool_shape,
                                elt, io)
                results.append(f"%{which}{l}_io")
            else:
                results.append(f"%{which}{l}")
            rtypes.append(pool_io)
    return (f"func.func @main({', '.join(args)}) -> ({', '.join(rtypes)}) {{\n"
            f"{body}  return {', '.join(results)} : {', '.join(rtypes)}\n}}\n")


# --------------------------------------------------------------------------
# Storage semantics, computed by numpy from the appended values
# --------------------------------------------------------------------------

def make_scales(storage, k_all, v_all):
    """Static scales from the data to be appended (f32 [L][T][Hkv][D]):
    INT8 per head [L][Hkv], FP8 per tensor [L]; with headroom, so that no
    value saturates."""
    if storage == "int8":
        return (np.abs(k_all).max(axis=(1, 3)) / 120.0,
                np.abs(v_all).max(axis=(1, 3)) / 120.0)
    if storage == "fp8_e4m3":
        return (np.abs(k_all).max(axis=(1, 2, 3)) / 400.0,
                np.abs(v_all).max(axis=(1, 2, 3)) / 400.0)
    return None, None


def layer_scale(scales, layer, hkv):
    """Scale of layer `layer` broadcastable against [T][Hkv][D] (None for
    unquantized storage)."""
    if scales is None:
        return None
    s = np.asarray(scales[layer], np.float32)
    return s.reshape(hkv, 1) if s.ndim == 1 else s.reshape(())


def encode(storage, x, scale):
    """Codes the cache stores for f32 x (numpy's own conversions)."""
    if storage == "f32":
        return np.asarray(x, np.float32)
    if storage == "f16":
        return np.asarray(x, np.float32).astype(np.float16)
    if storage == "int8":
        return ref.quantize_int8(x, scale)
    return ref.quantize_fp8_e4m3(x, scale)


def decode(storage, codes, scale):
    if storage in ("f32", "f16"):
        return codes.astype(np.float32)
    if storage == "int8":
        return ref.dequantize_int8(codes, scale)
    return ref.dequantize_fp8_e4m3(codes, scale)


def raw_codes(storage, pool):
    """Pool codes as a comparable numpy dtype (FP8 as ml_dtypes)."""
    if storage == "fp8_e4m3":
        return pool.view(ml_dtypes.float8_e4m3fn)
    return pool


def gather(pool, layout, table_row, length, bs):
    """Tokens [0, length) of one sequence from a pool, by the layout doc's
    offset formula: [length][Hkv][D]."""
    out = []
    for p in range(length):
        b, t = table_row[p // bs], p % bs
        out.append(pool[b, t] if layout == rt.NHD else pool[b, :, t])
    return np.stack(out)


# --------------------------------------------------------------------------
# Paged attention end to end
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_paged_attention_e2e(cfg, lib, runner, tmp_path):
    storage, layout_name, bs, heads, sq = cfg
    hq, hkv = HEADS[heads]
    layout = LAYOUT[layout_name]
    L, D = NUM_LAYERS, HEAD_DIM
    rng = np.random.default_rng(1000 + CONFIGS.index(cfg))
    # Per (layer, KV head) magnitudes, so that per-head scales differ.
    mag = rng.uniform(0.5, 3.0, size=(L, 1, hkv, 1)).astype(np.float32)

    def tokens(n):
        k = (rng.uniform(-1, 1, (L, n, hkv, D)) * mag).astype(np.float32)
        v = (rng.uniform(-1, 1, (L, n, hkv, D)) * mag).astype(np.float32)
        return k, v

    chunks = {name: [tokens(n) for n in ns] for name, ns in
              (("A0", A0_CHUNKS), ("B", B_CHUNKS), ("D", D_CHUNKS),
               ("E", E_CHUNKS), ("A1", A1_CHUNKS), ("C", C_CHUNKS))}
    k_all = np.concatenate([k for cs in chunks.values() for k, _ in cs], 1)
    v_all = np.concatenate([v for cs in chunks.values() for _, v in cs], 1)
    k_scales, v_scales = make_scales(storage, k_all, v_all)

    num_blocks, peak = pool_blocks(bs)
    assert peak <= num_blocks
    dtype, gran, _ = STORAGE[storage]
    orig = {}  # sequence -> original (K, V) f32 [L][len][Hkv][D]

    def append(cache, seq, name, chunk_list):
        for k, v in chunk_list:
            cache.append(seq, k, v)
            pk, pv = orig.get(name, (k[:, :0], v[:, :0]))
            orig[name] = (np.concatenate([pk, k], 1),
                          np.concatenate([pv, v], 1))

    with rt.KVCache(lib, num_layers=L, num_kv_heads=hkv, head_dim=D,
                    block_size=bs, num_blocks=num_blocks, layout=layout,
                    dtype=dtype, granularity=gran, k_scales=k_scales,
                    v_scales=v_scales) as cache:
        ids = {"A": cache.seq_create(), "B": cache.seq_create(),
               "D": cache.seq_create()}
        append(cache, ids["A"], "A", chunks["A0"])
        append(cache, ids["B"], "B", chunks["B"])
        append(cache, ids["D"], "D", chunks["D"])
        max_blocks = blocks(max(final_lengths().values()), bs) + 1
        d_blocks, _ = cache.block_table([ids["D"]], max_blocks)
        d_blocks = set(d_blocks[0][d_blocks[0] >= 0].tolist())
        cache.free(ids["D"])
        ids["E"] = cache.seq_create()
        append(cache, ids["E"], "E", chunks["E"])
        # Beam search: fork A, then both beams append different tokens.
        ids["C"] = cache.fork(ids["A"])
        orig["C"] = orig["A"]
        append(cache, ids["A"], "A", chunks["A1"])
        append(cache, ids["C"], "C", chunks["C"])

        order = ["C", "A", "E", "B"]  # batch order of the kernel
        seqs = [ids[n] for n in order]
        table, ctx = cache.block_table(seqs, max_blocks)
        views = [cache.layer_view(l) for l in range(L)]
        stats = cache.stats()
        readback = {n: [cache.read(ids[n], l, 0, orig[n][0].shape[1])
                        for l in range(L)] for n in order}

    # The runtime's bookkeeping, as the layout doc describes it.
    lens = final_lengths()
    assert ctx.tolist() == [lens[n] for n in order]
    for i, n in enumerate(order):
        nb = blocks(lens[n], bs)
        assert (table[i, :nb] >= 0).all() and (table[i, nb:] == -1).all()
    shared = A0 // bs
    row_c, row_a = table[0], table[1]
    assert (row_c[:shared] == row_a[:shared]).all()
    if A0 % bs:  # copy-on-write of the shared partial block
        assert row_c[shared] != row_a[shared]
    assert stats.shared_blocks == shared
    assert stats.free_blocks == 0 and stats.used_blocks == num_blocks
    used = set(table[table >= 0].tolist())
    assert d_blocks <= used, "the freed sequence's blocks were not reused"
    assert len(used) == num_blocks

    # Stored values: the pools (read by the layout doc's offsets) hold the
    # codes numpy computes from the appended values, and attn_kv_read
    # returns their dequantization.
    stored = {}  # name -> per layer (K, V) f32 as the cache holds them
    for n in order:
        stored[n] = []
        for l in range(L):
            ks = layer_scale(k_scales, l, hkv)
            vs = layer_scale(v_scales, l, hkv)
            kc = encode(storage, orig[n][0][l], ks)
            vc = encode(storage, orig[n][1][l], vs)
            i = order.index(n)
            for pool, codes in (("k_pool", kc), ("v_pool", vc)):
                got = gather(raw_codes(storage, views[l][pool]), layout,
                             table[i], lens[n], bs)
                assert got.tobytes() == codes.tobytes(), (
                    f"{pool} of layer {l}, sequence {n}: wrong codes")
            kd, vd = decode(storage, kc, ks), decode(storage, vc, vs)
            rk, rv = readback[n][l]
            same = (rk.tobytes() == kd.tobytes() and
                    rv.tobytes() == vd.tobytes())
            assert same, (f"attn_kv_read of layer {l}, sequence {n} differs "
                          "from numpy's dequantization")
            stored[n].append((kd, vd))
    for l in range(L):
        if k_scales is not None:
            assert (views[l]["k_scale"] == np.atleast_1d(k_scales[l])).all()
            assert (views[l]["v_scale"] == np.atleast_1d(v_scales[l])).all()

    # Compiled paged attention over the exported cache.
    B = len(order)
    q_shape = (B, hq, sq, D)
    q_dtype = np.float16 if storage == "f16" else np.float32
    qs = [rng.uniform(-1, 1, q_shape).astype(q_dtype) for _ in range(L)]
    causal = sq > 1
    pool_shape = views[0]["k_pool"].shape
    mlir = paged_attention_mlir(storage, layout_name, pool_shape, q_shape,
                                table.shape, causal, L)
    inputs = list(qs) + [table, ctx]
    for l in range(L):
        inputs += [views[l]["k_pool"].view(np.int8)
                   if storage == "fp8_e4m3" else views[l]["k_pool"],
                   views[l]["v_pool"].view(np.int8)
                   if storage == "fp8_e4m3" else views[l]["v_pool"]]
        if k_scales is not None:
            inputs += [views[l]["k_scale"], views[l]["v_scale"]]
    outs = run_mlir(runner, tmp_path, mlir, inputs, L)

    scale = 1.0 / math.sqrt(D)
    atol, rtol = TIGHT_TOL[storage]
    for l in range(L):
        got = outs[l].astype(np.float64)
        assert outs[l].shape == q_shape and outs[l].dtype == q_dtype
        # 1. fp64 reference on the stored (dequantized) values.
        want, _ = ref.attention(qs[l], [stored[n][l][0] for n in order],
                                [stored[n][l][1] for n in order], causal,
                                scale)
        err = np.abs(got - want)
        tol = atol + rtol * np.abs(want)
        assert (err <= tol).all(), (
            f"layer {l}: vs stored-value reference, max err {err.max():.3g}, "
            f"worst excess {(err - tol).max():.3g}")
        # 2. fp64 reference on the original values, within the format's
        # error bound.
        keys = [orig[n][0][l] for n in order]
        vals = [orig[n][1][l] for n in order]
        want0, probs0 = ref.attention(qs[l], keys, vals, causal, scale)
        k_err = [ref.storage_error_bound(k, storage,
                                         layer_scale(k_scales, l, hkv))
                 for k in keys]
        v_err = [ref.storage_error_bound(v, storage,
                                         layer_scale(v_scales, l, hkv))
                 for v in vals]
        bound = ref.output_error_bound(qs[l], vals, want0, probs0, k_err,
                                       v_err, causal, scale)
        err0 = np.abs(got - want0)
        tol0 = bound + atol + rtol * np.abs(want0)
        assert (err0 <= tol0).all(), (
            f"layer {l}: vs original-value reference, max err "
            f"{err0.max():.3g}, bound {bound.max():.3g}")
        print(f"{config_id(cfg)} layer {l}: max err vs stored {err.max():.2e}"
              f", vs original {err0.max():.2e} (at most "
              f"{(err0 / tol0).max():.0%} of the bound)")


# --------------------------------------------------------------------------
# Compiled kv_cache_append vs the runtime's append
# --------------------------------------------------------------------------

APPEND_CONFIGS = [
    ("f32", "hnd", 4),
    ("f16", "nhd", 16),
    ("int8", "hnd", 1),
    ("fp8_e4m3", "nhd", 8),
]


@pytest.mark.parametrize("cfg", APPEND_CONFIGS,
                         ids=lambda c: f"{c[0]}-{c[1]}-bs{c[2]}")
def test_compiled_append_matches_runtime(cfg, lib, runner, tmp_path):
    storage, layout_name, bs = cfg
    layout = LAYOUT[layout_name]
    L, hkv, D = NUM_LAYERS, 2, HEAD_DIM
    rng = np.random.default_rng(2000 + APPEND_CONFIGS.index(cfg))
    mag = rng.uniform(0.5, 3.0, size=(L, 1, hkv, 1)).astype(np.float32)

    def tokens(n):
        return tuple((rng.uniform(-1, 1, (L, n, hkv, D)) * mag).astype(
            np.float32) for _ in range(2))

    # Before: A 10 tokens, B 7, E 3 (in the blocks of D, 5 tokens, freed).
    before = {"A": tokens(10), "B": tokens(7), "D": tokens(5), "E": tokens(3)}
    new_lens = {"A": 5, "B": 0, "E": 6}  # B's row is padding
    new = {n: tokens(c) for n, c in new_lens.items()}
    k_all = np.concatenate([t[0] for t in list(before.values()) +
                            list(new.values())], 1)
    v_all = np.concatenate([t[1] for t in list(before.values()) +
                            list(new.values())], 1)
    k_scales, v_scales = make_scales(storage, k_all, v_all)
    dtype, gran, _ = STORAGE[storage]
    order = ["A", "B", "E"]
    s_new = max(new_lens.values())
    max_blocks = blocks(16, bs) + 1

    with rt.KVCache(lib, num_layers=L, num_kv_heads=hkv, head_dim=D,
                    block_size=bs, num_blocks=blocks(16, bs) * 3 + 2,
                    layout=layout, dtype=dtype, granularity=gran,
                    k_scales=k_scales, v_scales=v_scales) as cache:
        ids = {n: cache.seq_create() for n in ("A", "B", "D")}
        for n in ("A", "B", "D"):
            cache.append(ids[n], *before[n])
        cache.free(ids["D"])
        ids["E"] = cache.seq_create()
        cache.append(ids["E"], *before["E"])
        seqs = [ids[n] for n in order]
        _, lens0 = cache.block_table(seqs, max_blocks)
        pools0 = [cache.layer_view(l) for l in range(L)]
        # The runtime's own append.
        for n in order:
            if new_lens[n]:
                cache.append(ids[n], *new[n])
        table1, lens1 = cache.block_table(seqs, max_blocks)
        pools1 = [cache.layer_view(l) for l in range(L)]
    assert (lens1 - lens0).tolist() == [new_lens[n] for n in order]

    # The same tokens in the pools' element type, [B][S_new][Hkv][D] per
    # layer, converted by numpy (padding rows are zeros).
    def new_codes(l, which, scales):
        s = layer_scale(scales, l, hkv)
        rows = []
        for n in order:
            x = np.zeros((s_new, hkv, D), np.float32)
            x[:new_lens[n]] = new[n][which][l]
            rows.append(encode(storage, x, s))
        codes = np.stack(rows)
        return codes.view(np.int8) if storage == "fp8_e4m3" else codes

    pool_shape = pools0[0]["k_pool"].shape
    new_shape = (len(order), s_new, hkv, D)
    mlir = kv_append_mlir(storage, layout_name, pool_shape, new_shape,
                          len(order), max_blocks, L)
    io = (lambda a: a.view(np.int8)) if storage == "fp8_e4m3" else (
        lambda a: a)
    inputs = []
    for l in range(L):
        inputs += [io(pools0[l]["k_pool"]), io(pools0[l]["v_pool"]),
                   new_codes(l, 0, k_scales), new_codes(l, 1, v_scales)]
    inputs += [table1, lens0, np.array([new_lens[n] for n in order],
                                       np.int32)]
    outs = run_mlir(runner, tmp_path, mlir, inputs, 2 * L)

    for l in range(L):
        for j, pool in enumerate(("k_pool", "v_pool")):
            got = outs[2 * l + j]
            want = pools1[l][pool]
            assert got.shape == want.shape
            changed = np.any(io(want) != io(pools0[l][pool]), axis=-1).sum()
            # Every appended (token, head) vector changed in the runtime's
            # pool (random values), nothing else.
            assert changed == sum(new_lens.values()) * hkv
            assert got.tobytes() == want.tobytes(), (
                f"layer {l} {pool}: compiled append wrote "
                f"{np.count_nonzero(io(got) != io(want))} elements "
                "differently from the runtime")
