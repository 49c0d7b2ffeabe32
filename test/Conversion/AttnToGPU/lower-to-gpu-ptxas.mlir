// REQUIRES: ptxas
// RUN: attn-opt %s --split-input-file --attn-lower-to-gpu="chip=sm_80 format=bin" | FileCheck %s --check-prefix=SM80
// RUN: attn-opt %s --split-input-file --attn-lower-to-gpu="chip=sm_90a format=bin" | FileCheck %s --check-prefix=SM90

// The kernels assemble with ptxas (gpu-module-to-binary runs it) for both
// chips: f16/bf16, d = 64/128, causal, sliding window, no mask, GQA/MQA,
// the log-sum-exp, and softcap (libdevice tanh linked from the toolkit).
// SM80: gpu.binary @mha_causal_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
// SM90: gpu.binary @mha_causal_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
func.func @mha_causal(%q: tensor<2x8x113x64xf16>, %k: tensor<2x8x113x64xf16>, %v: tensor<2x8x113x64xf16>) -> tensor<2x8x113x64xf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<2x8x113x64xf16>, tensor<2x8x113x64xf16>, tensor<2x8x113x64xf16> -> tensor<2x8x113x64xf16>
  return %o : tensor<2x8x113x64xf16>
}

// -----

// SM80: gpu.binary @gqa_window_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
// SM90: gpu.binary @gqa_window_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
func.func @gqa_window(%q: tensor<1x8x1000x128xbf16>, %k: tensor<1x2x1000x128xbf16>, %v: tensor<1x2x1000x128xbf16>) -> tensor<1x8x1000x128xbf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, window_left = 127>} : tensor<1x8x1000x128xbf16>, tensor<1x2x1000x128xbf16>, tensor<1x2x1000x128xbf16> -> tensor<1x8x1000x128xbf16>
  return %o : tensor<1x8x1000x128xbf16>
}

// -----

// SM80: gpu.binary @mqa_decode_lse_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
// SM90: gpu.binary @mqa_decode_lse_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
func.func @mqa_decode_lse(%q: tensor<4x32x1x128xf16>, %k: tensor<4x1x4097x128xf16>, %v: tensor<4x1x4097x128xf16>) -> (tensor<4x32x1x128xf16>, tensor<4x32x1xf32>) {
  %o:2 = attn.sdpa %q, %k, %v : tensor<4x32x1x128xf16>, tensor<4x1x4097x128xf16>, tensor<4x1x4097x128xf16> -> tensor<4x32x1x128xf16>, tensor<4x32x1xf32>
  return %o#0, %o#1 : tensor<4x32x1x128xf16>, tensor<4x32x1xf32>
}

// -----

// SM80: gpu.binary @softcap_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
// SM90: gpu.binary @softcap_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {{.*}}, bin = "{{.}}7FELF
func.func @softcap(%q: tensor<1x2x17x64xf16>, %k: tensor<1x2x17x64xf16>, %v: tensor<1x2x17x64xf16>) -> tensor<1x2x17x64xf16> {
  %o = attn.sdpa %q, %k, %v {softcap = 30.0 : f32} : tensor<1x2x17x64xf16>, tensor<1x2x17x64xf16>, tensor<1x2x17x64xf16> -> tensor<1x2x17x64xf16>
  return %o : tensor<1x2x17x64xf16>
}
