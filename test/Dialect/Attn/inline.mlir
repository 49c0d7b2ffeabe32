// RUN: attn-opt %s --inline | FileCheck %s

// Calls to functions made of attn ops are inlined like any other; the callee,
// private and no longer called, is removed.

// CHECK-LABEL: func.func @step
// CHECK-NOT: call
// CHECK: %[[R:.*]] = attn.rope %{{.*}} offsets(%{{.*}} : tensor<2xi32>)
// CHECK: %[[KC:.*]], %[[VC:.*]] = attn.kv_cache_append %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}
// CHECK: %[[O:.*]] = attn.sdpa %[[R]], %[[R]], %{{.*}}
// CHECK: return %[[O]], %[[KC]], %[[VC]]
// CHECK-NOT: func.func private @layer
func.func private @layer(%x: tensor<2x4x1x64xf16>, %k: tensor<2x1x4x64xf16>,
                         %pos: tensor<2xi32>,
                         %kc: tensor<64x16x4x64xf16>, %vc: tensor<64x16x4x64xf16>,
                         %t: tensor<2x8xi32>, %l: tensor<2xi32>)
    -> (tensor<2x4x1x64xf16>, tensor<64x16x4x64xf16>, tensor<64x16x4x64xf16>) {
  %r = attn.rope %x offsets(%pos : tensor<2xi32>)
      : tensor<2x4x1x64xf16> -> tensor<2x4x1x64xf16>
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %k, %t, %l
      : tensor<64x16x4x64xf16>, tensor<64x16x4x64xf16>, tensor<2x1x4x64xf16>,
        tensor<2x1x4x64xf16>, tensor<2x8xi32>, tensor<2xi32>
  %o = attn.sdpa %r, %r, %x
      : tensor<2x4x1x64xf16>, tensor<2x4x1x64xf16>, tensor<2x4x1x64xf16>
      -> tensor<2x4x1x64xf16>
  return %o, %kc2, %vc2
      : tensor<2x4x1x64xf16>, tensor<64x16x4x64xf16>, tensor<64x16x4x64xf16>
}

func.func @step(%x: tensor<2x4x1x64xf16>, %k: tensor<2x1x4x64xf16>,
                %pos: tensor<2xi32>,
                %kc: tensor<64x16x4x64xf16>, %vc: tensor<64x16x4x64xf16>,
                %t: tensor<2x8xi32>, %l: tensor<2xi32>)
    -> (tensor<2x4x1x64xf16>, tensor<64x16x4x64xf16>, tensor<64x16x4x64xf16>) {
  %o, %kc2, %vc2 = call @layer(%x, %k, %pos, %kc, %vc, %t, %l)
      : (tensor<2x4x1x64xf16>, tensor<2x1x4x64xf16>, tensor<2xi32>, tensor<64x16x4x64xf16>,
         tensor<64x16x4x64xf16>, tensor<2x8xi32>, tensor<2xi32>)
      -> (tensor<2x4x1x64xf16>, tensor<64x16x4x64xf16>, tensor<64x16x4x64xf16>)
  return %o, %kc2, %vc2
      : tensor<2x4x1x64xf16>, tensor<64x16x4x64xf16>, tensor<64x16x4x64xf16>
}
