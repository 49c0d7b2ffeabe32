#!/usr/bin/env python3
"""From shapes to a running attention function and to GPU kernels, from Python.

Uses only ctypes and NumPy: the attn C API (libattn_c.so, headers
attn-c/Build.h and attn-c/Run.h) builds an attn.sdpa from its shapes, JIT-runs
it on the CPU on NumPy arrays (checked against a NumPy fp64 reference), then
compiles the same problem in f16 to GPU kernels (PTX, a cubin when ptxas is
installed, the launch header and the JSON manifest) and reads the manifest
with the runtime's kernel loader (libattn_runtime.so). With a CUDA driver, the
kernels are loaded into the GPU as well.

    .venv/bin/python examples/python/attention_ctypes.py --out-dir /tmp/attn-kernels
"""

import argparse
import ctypes as C
import os
import pathlib
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]


# ---- MLIR C API handles and the attn structs (attn-c/Build.h, Run.h) -------

class Handle(C.Structure):
    _fields_ = [("ptr", C.c_void_p)]


class StringRef(C.Structure):
    _fields_ = [("data", C.c_char_p), ("length", C.c_size_t)]

    @classmethod
    def of(cls, text):
        data = text.encode()
        return cls(data, len(data))


class LogicalResult(C.Structure):
    _fields_ = [("value", C.c_int8)]


class SdpaDesc(C.Structure):
    _fields_ = [("batch", C.c_int64), ("queryHeads", C.c_int64),
                ("kvHeads", C.c_int64), ("queryLen", C.c_int64),
                ("kvLen", C.c_int64), ("headDim", C.c_int64),
                ("valueDim", C.c_int64), ("elementType", C.c_char_p),
                ("layout", C.c_int), ("causal", C.c_bool),
                ("bottomRight", C.c_bool), ("windowLeft", C.c_int64),
                ("windowRight", C.c_int64), ("scale", C.c_float),
                ("softcap", C.c_float), ("alibi", C.c_bool),
                ("kvLens", C.c_bool), ("lse", C.c_bool)]


class CompileOptions(C.Structure):
    _fields_ = [("chip", C.c_char_p), ("kernel", C.c_char_p),
                ("tma", C.c_bool), ("tileKV", C.c_int64),
                ("blockSize", C.c_int64), ("ptxas", C.c_char_p),
                ("toolkit", C.c_char_p), ("cubin", C.c_bool),
                ("moduleName", C.c_char_p)]


PRINT_CALLBACK = C.CFUNCTYPE(None, StringRef, C.c_void_p)


def load_attn(path):
    lib = C.CDLL(str(path))
    sig = {
        "attnGetLastError": (C.c_char_p, []),
        "attnGetVersion": (C.c_char_p, []),
        "attnContextCreate": (Handle, []),
        "mlirContextDestroy": (None, [Handle]),
        "attnSdpaDescInit": (None, [C.POINTER(SdpaDesc)]),
        "attnSdpaModuleCreate": (Handle, [Handle, StringRef,
                                          C.POINTER(SdpaDesc)]),
        "mlirModuleDestroy": (None, [Handle]),
        "mlirModuleGetOperation": (Handle, [Handle]),
        "mlirOperationPrint": (None, [Handle, PRINT_CALLBACK, C.c_void_p]),
        "attnCpuFunctionCreate": (C.c_void_p, [Handle, StringRef, C.c_uint]),
        "attnCpuFunctionGetNumArguments": (C.c_ssize_t, [C.c_void_p]),
        "attnCpuFunctionGetNumResults": (C.c_ssize_t, [C.c_void_p]),
        "attnCpuFunctionGetShape": (C.c_ssize_t, [C.c_void_p, C.c_ssize_t,
                                                  C.POINTER(C.c_int64)]),
        "attnCpuFunctionGetElementType": (C.c_char_p, [C.c_void_p,
                                                       C.c_ssize_t]),
        "attnCpuFunctionCall": (LogicalResult, [C.c_void_p,
                                                C.POINTER(C.c_void_p),
                                                C.c_ssize_t]),
        "attnCpuFunctionDestroy": (None, [C.c_void_p]),
        "attnCompileOptionsInit": (None, [C.POINTER(CompileOptions)]),
        "attnCompileKernels": (C.c_ssize_t, [Handle,
                                             C.POINTER(CompileOptions),
                                             StringRef]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def check(lib, ok, what):
    if not ok:
        sys.exit(f"error: {what}: {lib.attnGetLastError().decode()}")


def module_text(lib, module):
    chunks = []
    callback = PRINT_CALLBACK(
        lambda s, _: chunks.append(C.string_at(s.data, s.length).decode()))
    lib.mlirOperationPrint(lib.mlirModuleGetOperation(module), callback, None)
    return "".join(chunks)


def sdpa_reference(q, k, v, causal):
    """softmax(q kᵀ / sqrt(d), causal top-left) v in fp64, GQA by repeat."""
    group = q.shape[1] // k.shape[1]
    k = np.repeat(k.astype(np.float64), group, axis=1)
    v = np.repeat(v.astype(np.float64), group, axis=1)
    s = q.astype(np.float64) @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if causal:
        sq, sk = s.shape[-2:]
        s = np.where(np.tril(np.ones((sq, sk), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def run_on_cpu(lib, ctx, desc, threads):
    module = lib.attnSdpaModuleCreate(ctx, StringRef.of("attention"),
                                      C.byref(desc))
    check(lib, module.ptr, "building the module")
    print(module_text(lib, module))
    start = time.perf_counter()
    fn = lib.attnCpuFunctionCreate(module, StringRef.of("attention"), threads)
    check(lib, fn, "JIT-compiling for the CPU")
    print(f"CPU: JIT-compiled in {time.perf_counter() - start:.2f} s")
    lib.mlirModuleDestroy(module)

    # Buffers in the function's order: arguments, then results.
    n = lib.attnCpuFunctionGetNumArguments(fn) + \
        lib.attnCpuFunctionGetNumResults(fn)
    rng = np.random.default_rng(0)
    arrays = []
    for i in range(n):
        sizes = (C.c_int64 * 8)()
        rank = lib.attnCpuFunctionGetShape(fn, i, sizes)
        dtype = np.dtype({"f32": np.float32, "f64": np.float64,
                          "f16": np.float16}[
                              lib.attnCpuFunctionGetElementType(fn, i)
                              .decode()])
        shape = tuple(sizes[:rank])
        arrays.append(np.ascontiguousarray(
            rng.standard_normal(shape).astype(dtype)))
    pointers = (C.c_void_p * n)(*[a.ctypes.data for a in arrays])
    start = time.perf_counter()
    check(lib, lib.attnCpuFunctionCall(fn, pointers, n).value,
          "calling the function")
    elapsed = time.perf_counter() - start
    lib.attnCpuFunctionDestroy(fn)

    q, k, v, out = arrays[:4]
    ref = sdpa_reference(q, k, v, desc.causal)
    err = float(np.abs(out - ref).max())
    print(f"CPU: {elapsed * 1e3:.2f} ms, max |out - fp64 reference| = "
          f"{err:.2e}")
    if err > 1e-4:
        sys.exit("error: the CPU result differs from the reference")


def compile_for_gpu(lib, ctx, desc, chip, out_dir, runtime_path):
    desc.elementType = b"f16"
    module = lib.attnSdpaModuleCreate(ctx, StringRef.of("attention"),
                                      C.byref(desc))
    check(lib, module.ptr, "building the f16 module")
    options = CompileOptions()
    lib.attnCompileOptionsInit(C.byref(options))
    options.chip = chip.encode()
    options.moduleName = b"attention_kernels"
    start = time.perf_counter()
    count = lib.attnCompileKernels(module, C.byref(options),
                                   StringRef.of(str(out_dir)))
    check(lib, count >= 0, "compiling GPU kernels")
    lib.mlirModuleDestroy(module)
    print(f"GPU: {count} kernel(s) for {chip} in "
          f"{time.perf_counter() - start:.2f} s, written to {out_dir}: "
          + ", ".join(sorted(os.listdir(out_dir))))

    if not runtime_path.exists():
        print(f"GPU: {runtime_path} not found: the manifest is not loaded")
        return
    rt = C.CDLL(str(runtime_path))

    class KernelInfo(C.Structure):
        _fields_ = [("name", C.c_char_p), ("cubin", C.c_char_p),
                    ("ptx", C.c_char_p), ("grid", C.c_uint32 * 3),
                    ("block", C.c_uint32 * 3),
                    ("shared_memory_bytes", C.c_uint32),
                    ("num_params", C.c_int), ("max_splits", C.c_uint32)]

    rt.attn_kernel_last_error.restype = C.c_char_p
    manifest = C.c_void_p()
    path = str(out_dir / "attention_kernels.json").encode()
    if rt.attn_kernel_manifest_load(path, C.byref(manifest)) != 0:
        sys.exit("error: " + rt.attn_kernel_last_error().decode())
    for i in range(rt.attn_kernel_manifest_num_kernels(manifest)):
        info = KernelInfo()
        rt.attn_kernel_manifest_kernel(manifest, i, C.byref(info))
        print(f"GPU: kernel {info.name.decode()}: grid {list(info.grid)}, "
              f"block {list(info.block)}, {info.shared_memory_bytes} bytes of dynamic "
              f"shared memory, {info.num_params} parameters, "
              f"{(info.cubin or info.ptx).decode()}")
    rt.attn_kernel_manifest_free(manifest)

    loaded = C.c_void_p()
    status = rt.attn_kernel_module_load(path, C.byref(loaded))
    if status == 0:
        print("GPU: kernels loaded into the current CUDA context")
        rt.attn_kernel_module_free(loaded)
    else:
        print("GPU: not loaded: " + rt.attn_kernel_last_error().decode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", default=REPO / "build/lib/libattn_c.so",
                        type=pathlib.Path, help="libattn_c.so")
    parser.add_argument("--runtime", type=pathlib.Path,
                        default=REPO / "build/runtime/libattn_runtime.so",
                        help="libattn_runtime.so (reads the manifest)")
    parser.add_argument("--out-dir", type=pathlib.Path,
                        default=pathlib.Path("attention-kernels"),
                        help="where the GPU kernels are written")
    parser.add_argument("--chip", default="sm_80", help="sm_80 or sm_90a")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads (0: all)")
    args = parser.parse_args()

    lib = load_attn(args.lib)
    print(f"attn {lib.attnGetVersion().decode()}")
    ctx = lib.attnContextCreate()
    # GQA 8:2, causal, 100 queries and keys, head dimension 64.
    desc = SdpaDesc()
    lib.attnSdpaDescInit(C.byref(desc))
    desc.batch, desc.queryHeads, desc.kvHeads = 2, 8, 2
    desc.queryLen = desc.kvLen = 100
    desc.headDim = 64
    desc.causal = True
    run_on_cpu(lib, ctx, desc, args.threads)
    compile_for_gpu(lib, ctx, desc, args.chip, args.out_dir, args.runtime)
    lib.mlirContextDestroy(ctx)


if __name__ == "__main__":
    main()
