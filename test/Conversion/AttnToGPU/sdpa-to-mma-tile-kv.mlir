// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="tile-kv=32" | FileCheck %s --check-prefix=MMA32
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1 tile-kv=64" | FileCheck %s --check-prefix=TMA64
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1 tma=0 tile-kv=128" 2>&1 | FileCheck %s --check-prefix=CP128

// tile-kv sets the kernel's key tile where its form supports it: mma.sync
// takes 32 (its head-dimension-256 tile) at head dimension 64, the TMA
// kernel 64 instead of its 128. The config records it, and the key loop
// steps by it.
// MMA32-LABEL: gpu.func @tile_kernel
// MMA32-SAME:    config = {{{.*}}form = "mma.sync"{{.*}}tile_kv = 32 : i64
// MMA32:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// TMA64-LABEL: gpu.func @tile_kernel
// TMA64-SAME:    config = {{{.*}}form = "wgmma.tma"{{.*}}tile_kv = 64 : i64
// A form that does not support the tile says which it does, at the op
// (also sdpa-to-mma-tile-kv-error.mlir).
// CP128: error: 'attn.sdpa' op attn-sdpa-to-mma: tile-kv = 128 is not supported by its wgmma (cp.async) kernel (supported here: 64; 0: the kernel's own)
func.func @tile(%q: tensor<1x2x200x64xf16>, %k: tensor<1x2x200x64xf16>, %v: tensor<1x2x200x64xf16>) -> tensor<1x2x200x64xf16> {
  %0 = attn.sdpa %q, %k, %v : tensor<1x2x200x64xf16>, tensor<1x2x200x64xf16>, tensor<1x2x200x64xf16> -> tensor<1x2x200x64xf16>
  return %0 : tensor<1x2x200x64xf16>
}
