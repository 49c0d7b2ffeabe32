#!/usr/bin/env python3
"""Regenerates test/Transforms/Inputs/*.mlir: PyTorch attention exported by
torch-mlir's fx importer, the input of the attn-fuse-attention lit tests.

Not run by CI. Needs a throwaway venv outside the repository (~5.7 GB):

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch==2.14.1 torch-mlir==20261001
    /tmp/venv-torch/bin/python scripts/export-torch-mlir.py [OUT_DIR]

OUT_DIR defaults to test/Transforms/Inputs next to this script's repository.
`export-torch-mlir.py --integration test/Integration/fuse-attention-torch.mlir`
writes the CPU execution test instead (SdpaCausal at 1x2x5x4 plus a @main
comparing with a float64 numpy reference).
Each module below is exported twice, with
`torch_mlir.fx.export_and_import(module, *args, output_type=...)` for
output_type "linalg-on-tensors" and "tosa", into
`torch-<name>.<linalg|tosa>.mlir`. Shapes are small on purpose: the files are
committed.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from torch_mlir import fx

B, HQ, HKV, S, D = 2, 4, 2, 8, 16


class ManualCausal(torch.nn.Module):
    """softmax(Q Kᵀ / sqrt(d) + causal) V, written out step by step."""

    def forward(self, q, k, v):
        s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
        n = q.shape[-2]
        causal = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
        s = s.masked_fill(causal, float("-inf"))
        p = torch.softmax(s, dim=-1)
        return torch.matmul(p, v)


class ManualGqa(torch.nn.Module):
    """Grouped-query attention: K/V heads repeated with repeat_interleave."""

    def forward(self, q, k, v):
        group = q.shape[1] // k.shape[1]
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        s = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        p = torch.softmax(s, dim=-1)
        return torch.matmul(p, v)


class SdpaCausal(torch.nn.Module):
    """F.scaled_dot_product_attention with is_causal=True."""

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def write_integration_test(path):
    """test/Integration/fuse-attention-torch.mlir: SdpaCausal at 1x2x5x4 with
    a float64 numpy reference."""
    import numpy as np
    B, H, S, D = 1, 2, 5, 4
    rng=np.random.default_rng(7)
    q,k,v=[np.round(rng.uniform(-1,1,(B,H,S,D)),2) for _ in range(3)]
    ir=str(fx.export_and_import(SdpaCausal().eval(), *[torch.tensor(x,dtype=torch.float32) for x in (q,k,v)], output_type="linalg-on-tensors", func_name="forward"))
    # reference in float64
    s=np.einsum("bhid,bhjd->bhij",q,k)/np.sqrt(D)
    s=np.where(np.tril(np.ones((S,S),bool)), s, -np.inf)
    p=np.exp(s-s.max(-1,keepdims=True)); p/=p.sum(-1,keepdims=True)
    o=np.einsum("bhij,bhjd->bhid",p,v)
    def dense(a): return "dense<" + np.array2string(a.astype(np.float64), separator=", ", threshold=10**9, floatmode="unique").replace("\n","") + ">"
    t=f"tensor<{B}x{H}x{S}x{D}xf32>"
    main=f'''
      func.func private @printMemrefF32(tensor<*xf32>)
      func.func @main() {{
        %q = arith.constant {dense(q)} : {t}
        %k = arith.constant {dense(k)} : {t}
        %v = arith.constant {dense(v)} : {t}
        %expected = arith.constant {dense(o)} : {t}
        %o = call @forward(%q, %k, %v) : ({t}, {t}, {t}) -> {t}
        %z = arith.constant dense<0.0> : tensor<f32>
        %bad = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}}
            ins(%o, %expected : {t}, {t}) outs(%z : tensor<f32>) {{
        ^bb0(%a: f32, %b: f32, %acc: f32):
          %d = arith.subf %a, %b : f32
          %ad = math.absf %d : f32
          %tol = arith.constant 1.000000e-05 : f32
          %near = arith.cmpf ole, %ad, %tol : f32
          %zero = arith.constant 0.0 : f32
          %one = arith.constant 1.0 : f32
          %inc = arith.select %near, %zero, %one : f32
          %s = arith.addf %acc, %inc : f32
          linalg.yield %s : f32
        }} -> tensor<f32>
        %ub = tensor.cast %bad : tensor<f32> to tensor<*xf32>
        call @printMemrefF32(%ub) : (tensor<*xf32>) -> ()
        %uo = tensor.cast %o : {t} to tensor<*xf32>
        call @printMemrefF32(%uo) : (tensor<*xf32>) -> ()
        return
      }}
    '''
    i=ir.rstrip().rindex("}")
    def unindent(text):
        # The templates above are indented with this function's body.
        return "\n".join(l[4:] if l.startswith("    ") else l
                         for l in text.split("\n"))

    main = unindent(main)
    body=ir[:i]+main+"}\n"
    hdr='''// attn-fuse-attention keeps the numbers: torch's F.scaled_dot_product_attention
    // (is_causal=True), exported by torch-mlir to linalg (scripts/export-torch-mlir.py,
    // shape 1x2x5x4), run on the CPU as exported and after fusion into attn.sdpa.
    // Both must match the float64 numpy reference in @main (|error| <= 1e-5):
    // the printed count of mismatching elements is 0.
    // RUN: attn-opt %s --attn-lower-to-cpu \\
    // RUN: | mlir-runner-22 -e main -entry-point-result=void \\
    // RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \\
    // RUN: | FileCheck %s
    // RUN: attn-opt %s --attn-fuse-attention | FileCheck %s --check-prefix=FUSED
    // RUN: attn-opt %s --attn-fuse-attention | attn-opt --attn-lower-to-cpu \\
    // RUN: | mlir-runner-22 -e main -entry-point-result=void \\
    // RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \\
    // RUN: | FileCheck %s

    // FUSED-LABEL: func.func @forward(
    // FUSED-NEXT:    attn.sdpa {{.*}} {mask = #attn.mask<causal = true>, scale = 5.000000e-01 : f32}
    // FUSED-NEXT:    return

    // CHECK: Unranked Memref
    // CHECK-NEXT: [0]
    '''
    with open(path, "w") as f:
        f.write(unindent(hdr) + body)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--integration":
        write_integration_test(sys.argv[2])
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "test", "Transforms", "Inputs")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    q = torch.randn(B, HQ, S, D)
    k = torch.randn(B, HQ, S, D)
    v = torch.randn(B, HQ, S, D)
    kg = torch.randn(B, HKV, S, D)
    vg = torch.randn(B, HKV, S, D)
    cases = [
        ("manual-causal", ManualCausal(), (q, k, v)),
        ("manual-gqa", ManualGqa(), (q, kg, vg)),
        ("sdpa-causal", SdpaCausal(), (q, k, v)),
    ]
    for name, module, args in cases:
        for output_type, suffix in (("linalg-on-tensors", "linalg"),
                                     ("tosa", "tosa")):
            ir = fx.export_and_import(module.eval(), *args,
                                      output_type=output_type,
                                      func_name="forward")
            path = os.path.join(out_dir, f"torch-{name}.{suffix}.mlir")
            with open(path, "w") as f:
                f.write(f"// Generated by scripts/export-torch-mlir.py "
                        f"({name}, {output_type}); do not edit.\n")
                f.write(str(ir))
            print("wrote", path)


if __name__ == "__main__":
    main()
