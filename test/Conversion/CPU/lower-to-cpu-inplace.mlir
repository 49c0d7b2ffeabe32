// RUN: attn-opt %s --attn-lower-to-cpu --mlir-print-ir-after=drop-equivalent-buffer-results 2>&1 >/dev/null | FileCheck %s

// The pools that attn.kv_cache_append updates are written where they live
// (the function's arguments); a function that returns them returns nothing
// more after bufferization, so neither it nor its caller copies a pool (the
// JIT's entry wrapper is such a caller; public functions keep their
// signature).
// CHECK-LABEL: func.func private @append
// CHECK-SAME:    (%[[KC:.*]]: memref<4x2x1x4xf32>, %[[VC:.*]]: memref<4x2x1x4xf32>, %{{.*}}: memref<1x1x1x4xf32>, %{{.*}}: memref<1x1x1x4xf32>, %{{.*}}: memref<1x2xi32>, %{{.*}}: memref<1xi32>) {
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy %[[KC]]
// CHECK:         return{{$}}
// CHECK-LABEL: func.func @step
// CHECK:         call @append({{.*}}) : ({{.*}}) -> ()
func.func private @append(%kc: tensor<4x2x1x4xf32>, %vc: tensor<4x2x1x4xf32>,
                          %k: tensor<1x1x1x4xf32>, %v: tensor<1x1x1x4xf32>,
                          %table: tensor<1x2xi32>, %lens: tensor<1xi32>)
    -> (tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>) {
  %a, %b = attn.kv_cache_append %kc, %vc, %k, %v, %table, %lens
      : tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>, tensor<1x1x1x4xf32>,
        tensor<1x1x1x4xf32>, tensor<1x2xi32>, tensor<1xi32>
  return %a, %b : tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>
}

func.func @step(%kc: tensor<4x2x1x4xf32>, %vc: tensor<4x2x1x4xf32>,
                %k: tensor<1x1x1x4xf32>, %v: tensor<1x1x1x4xf32>,
                %table: tensor<1x2xi32>, %lens: tensor<1xi32>) -> f32 {
  %a, %b = func.call @append(%kc, %vc, %k, %v, %table, %lens)
      : (tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>, tensor<1x1x1x4xf32>,
         tensor<1x1x1x4xf32>, tensor<1x2xi32>, tensor<1xi32>)
      -> (tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>)
  %c0 = arith.constant 0 : index
  %x = tensor.extract %a[%c0, %c0, %c0, %c0] : tensor<4x2x1x4xf32>
  return %x : f32
}
