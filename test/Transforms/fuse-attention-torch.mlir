// Attention exported from PyTorch by torch-mlir (scripts/export-torch-mlir.py
// regenerates Inputs/torch-*.mlir) fuses into one attn.sdpa, in both the
// linalg-on-tensors and the TOSA output, and nothing of the chain is left
// (no linalg, tosa, tensor, math or arith op remains).

// Manual QKᵀ * 0.25, triu(ones) masked_fill(-inf), softmax, ·V.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/torch-manual-causal.linalg.mlir | FileCheck %s --check-prefix=CAUSAL --implicit-check-not=linalg. --implicit-check-not=tosa. --implicit-check-not=tensor. --implicit-check-not=math. --implicit-check-not=arith.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/torch-manual-causal.tosa.mlir | FileCheck %s --check-prefix=CAUSAL --implicit-check-not=linalg. --implicit-check-not=tosa. --implicit-check-not=tensor. --implicit-check-not=math. --implicit-check-not=arith.
// CAUSAL-LABEL: func.func @forward(
// CAUSAL-SAME:      %[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x4x8x16xf32>, %[[V:.*]]: tensor<2x4x8x16xf32>)
// CAUSAL-NEXT:    %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] {mask = #attn.mask<causal = true>, scale = 2.500000e-01 : f32}
// CAUSAL-SAME:      -> tensor<2x4x8x16xf32>
// CAUSAL-NEXT:    return %[[O]]

// F.scaled_dot_product_attention(is_causal=True): d^-1/4 on Q and Kᵀ, an
// added 0/-inf tril mask and the fully-masked-row guard.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/torch-sdpa-causal.linalg.mlir | FileCheck %s --check-prefix=CAUSAL --implicit-check-not=linalg. --implicit-check-not=tosa. --implicit-check-not=tensor. --implicit-check-not=math. --implicit-check-not=arith.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/torch-sdpa-causal.tosa.mlir | FileCheck %s --check-prefix=CAUSAL --implicit-check-not=linalg. --implicit-check-not=tosa. --implicit-check-not=tensor. --implicit-check-not=math. --implicit-check-not=arith.

// Grouped-query attention, repeat_interleave of 2 KV heads to 4 query heads, scores / 4.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/torch-manual-gqa.linalg.mlir | FileCheck %s --check-prefix=GQA --implicit-check-not=linalg. --implicit-check-not=tosa. --implicit-check-not=tensor. --implicit-check-not=math. --implicit-check-not=arith.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/torch-manual-gqa.tosa.mlir | FileCheck %s --check-prefix=GQA --implicit-check-not=linalg. --implicit-check-not=tosa. --implicit-check-not=tensor. --implicit-check-not=math. --implicit-check-not=arith.
// GQA-LABEL: func.func @forward(
// GQA-SAME:      %[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x2x8x16xf32>, %[[V:.*]]: tensor<2x2x8x16xf32>)
// GQA-NEXT:    %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
// GQA-SAME:      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
// GQA-NEXT:    return %[[O]]

// After upstream elementwise fusion (linalg-fuse-elementwise-ops folds the
// reshapes into the generics, the scales into the Q·Kᵀ contraction, the scale
// and mask into one generic, the subtraction into the exponential, and the
// softmax's division and SDPA's fully-masked-row guard into P·V) every
// export still fuses, with nothing left and no miss reported.
// RUN: mlir-opt --linalg-fuse-elementwise-ops %S/Inputs/torch-manual-causal.linalg.mlir | attn-opt --attn-fuse-attention="report-misses=1" --verify-diagnostics | FileCheck %s --check-prefix=CAUSAL --implicit-check-not=linalg. --implicit-check-not=tensor. --implicit-check-not=math.
// RUN: mlir-opt --linalg-fuse-elementwise-ops %S/Inputs/torch-sdpa-causal.linalg.mlir | attn-opt --attn-fuse-attention="report-misses=1" --verify-diagnostics | FileCheck %s --check-prefix=CAUSAL --implicit-check-not=linalg. --implicit-check-not=tensor. --implicit-check-not=math.
// RUN: mlir-opt --linalg-fuse-elementwise-ops %S/Inputs/torch-manual-gqa.linalg.mlir | attn-opt --attn-fuse-attention="report-misses=1" --verify-diagnostics | FileCheck %s --check-prefix=GQA --implicit-check-not=linalg. --implicit-check-not=tensor. --implicit-check-not=math.
