// RUN: attn-opt %s --attn-lower-to-cpu | mlir-runner-22 -e main -entry-point-result=void -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so | FileCheck %s

// QKV projection (GQA: 2 query heads over 1 KV head, D = 2, Dv = 3), fused
// projection + split (padded and varlen) and output projection on the CPU.
// Small-integer inputs make every result exact; the expected values come from
// numpy (x @ W + b, heads split head-major).

func.func private @printMemrefF32(tensor<*xf32>)

func.func @print24(%t: tensor<24xf32>) {
  %u = tensor.cast %t : tensor<24xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  %x = arith.constant dense<[[[ 3.0,  1.0,  1.0,  3.0],  [ 1.0,  2.0,  2.0, -2.0],  [-3.0, -1.0, -2.0,  3.0]], [[ 3.0, -3.0,  0.0,  2.0],  [-3.0,  2.0, -3.0,  0.0],  [ 2.0, -1.0, -1.0, -2.0]]]> : tensor<2x3x4xf32>
  %wq = arith.constant dense<[[ 1.0, -1.0,  2.0,  0.0], [ 0.0,  0.0,  0.0,  0.0], [ 0.0,  2.0,  2.0,  1.0], [ 1.0,  1.0, -1.0,  2.0]]> : tensor<4x4xf32>
  %wk = arith.constant dense<[[ 0.0, -1.0], [ 2.0, -2.0], [ 2.0,  1.0], [-2.0, -2.0]]> : tensor<4x2xf32>
  %wv = arith.constant dense<[[ 0.0, -2.0, -2.0], [ 0.0,  2.0,  0.0], [ 2.0,  2.0,  2.0], [ 1.0,  0.0,  0.0]]> : tensor<4x3xf32>
  %bq = arith.constant dense<[-1.0,  0.0, -1.0, -1.0]> : tensor<4xf32>
  %bk = arith.constant dense<[ 2.0, -2.0]> : tensor<2xf32>
  %bv = arith.constant dense<[-2.0, -2.0,  2.0]> : tensor<3xf32>
  %wo = arith.constant dense<[[ 1.0,  2.0, -1.0,  1.0, -1.0], [ 0.0, -2.0,  1.0,  2.0,  1.0], [-2.0,  0.0, -1.0,  2.0,  2.0], [-2.0,  0.0,  2.0,  2.0,  1.0]]> : tensor<4x5xf32>
  %bo = arith.constant dense<[ 1.0, -2.0,  1.0,  0.0, -2.0]> : tensor<5xf32>
  %wf = arith.constant dense<[[ 1.0, -1.0,  2.0,  0.0,  0.0, -1.0, -1.0,  0.0], [ 0.0,  0.0,  0.0,  0.0,  2.0, -2.0,  1.0,  0.0], [ 0.0,  2.0,  2.0,  1.0,  2.0,  1.0,  1.0,  2.0], [ 1.0,  1.0, -1.0,  2.0, -2.0, -2.0,  1.0, -1.0]]> : tensor<4x8xf32>
  %bf = arith.constant dense<[-1.0,  0.0, -1.0, -1.0,  2.0, -2.0,  2.0, -2.0]> : tensor<8xf32>

  %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wv bias(%bq, %bk, %bv : tensor<4xf32>, tensor<2xf32>, tensor<3xf32>)
      {num_q_heads = 2 : i64, num_kv_heads = 1 : i64}
      : tensor<2x3x4xf32>, tensor<4x4xf32>, tensor<4x2xf32>, tensor<4x3xf32>
      -> tensor<2x2x3x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x3xf32>
  // CHECK: data =
  // CHECK-NEXT: [5, 2, -2, 1, -1, 2, 4, 6, 7, -3, -14, 3, 4, -1, -4, -3, -1, -6, 3, 3, -13, -4, 3, -6]
  %qf = tensor.collapse_shape %q [[0, 1, 2, 3]] : tensor<2x2x3x2xf32> into tensor<24xf32>
  call @print24(%qf) : (tensor<24xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [0, -12, 14, -1, -10, -5, -8, -3, 0, -6, 2, 1]
  %kf = tensor.collapse_shape %k [[0, 1, 2, 3]] : tensor<2x1x3x2xf32> into tensor<12xf32>
  %ku = tensor.cast %kf : tensor<12xf32> to tensor<*xf32>
  call @printMemrefF32(%ku) : (tensor<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [3, -4, -2, 0, 4, 4, -3, -2, 4, 0, -14, -4, -8, 2, 2, -6, -10, -4]
  %vf = tensor.collapse_shape %v [[0, 1, 2, 3]] : tensor<2x1x3x3xf32> into tensor<18xf32>
  %vu = tensor.cast %vf : tensor<18xf32> to tensor<*xf32>
  call @printMemrefF32(%vu) : (tensor<*xf32>) -> ()

  // The same query heads in the bshd layout.
  %qb, %kb, %vb = attn.qkv_projection %x, %wq, %wk, %wv bias(%bq, %bk, %bv : tensor<4xf32>, tensor<2xf32>, tensor<3xf32>)
      {num_q_heads = 2 : i64, num_kv_heads = 1 : i64, layout = #attn<layout bshd>}
      : tensor<2x3x4xf32>, tensor<4x4xf32>, tensor<4x2xf32>, tensor<4x3xf32>
      -> tensor<2x3x2x2xf32>, tensor<2x3x1x2xf32>, tensor<2x3x1x3xf32>
  // CHECK: data =
  // CHECK-NEXT: [5, 2, 4, 6, -2, 1, 7, -3, -1, 2, -14, 3, 4, -1, 3, 3, -4, -3, -13, -4, -1, -6, 3, -6]
  %qbf = tensor.collapse_shape %qb [[0, 1, 2, 3]] : tensor<2x3x2x2xf32> into tensor<24xf32>
  call @print24(%qbf) : (tensor<24xf32>) -> ()

  // Output projection of the query heads, from bhsd and from bshd.
  // CHECK: data =
  // CHECK-NEXT: [-14, 4, 6, 29, 9, -9, -8, -9, 8, 12, 22, -8, 24, -19, -24, -7, 8, -1, 14, 2, 31, -4, 7, -44, -31, 6, 8, -19, -19, -7]
  %y = attn.output_projection %q, %wo bias(%bo : tensor<5xf32>)
      : tensor<2x2x3x2xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %yf = tensor.collapse_shape %y [[0, 1, 2]] : tensor<2x3x5xf32> into tensor<30xf32>
  %yu = tensor.cast %yf : tensor<30xf32> to tensor<*xf32>
  call @printMemrefF32(%yu) : (tensor<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [-14, 4, 6, 29, 9, -9, -8, -9, 8, 12, 22, -8, 24, -19, -24, -7, 8, -1, 14, 2, 31, -4, 7, -44, -31, 6, 8, -19, -19, -7]
  %yb = attn.output_projection %qb, %wo bias(%bo : tensor<5xf32>) {layout = #attn<layout bshd>}
      : tensor<2x3x2x2xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %ybf = tensor.collapse_shape %yb [[0, 1, 2]] : tensor<2x3x5xf32> into tensor<30xf32>
  %ybu = tensor.cast %ybf : tensor<30xf32> to tensor<*xf32>
  call @printMemrefF32(%ybu) : (tensor<*xf32>) -> ()

  // Fused projection, then split: the query part equals %q above.
  %p = attn.fused_qkv_projection %x, %wf bias(%bf : tensor<8xf32>)
      : tensor<2x3x4xf32>, tensor<4x8xf32> -> tensor<2x3x8xf32>
  // CHECK: data =
  // CHECK-NEXT: [5, 2, 4, 6, 0, -12, 4, -3, -2, 1, 7, -3, 14, -1, 3, 4, -1, 2, -14, 3, -10, -5, 5, -9, 4, -1, 3, 3, -8, -3, -2, -4, -4, -3, -13, -4, 0, -6, 4, -8, -1, -6, 3, -6, 2, 1, -4, -2]
  %pf = tensor.collapse_shape %p [[0, 1, 2]] : tensor<2x3x8xf32> into tensor<48xf32>
  %pu = tensor.cast %pf : tensor<48xf32> to tensor<*xf32>
  call @printMemrefF32(%pu) : (tensor<*xf32>) -> ()
  %sq, %sk, %sv = attn.split_qkv %p {num_q_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 2 : i64}
      : tensor<2x3x8xf32> -> tensor<2x2x3x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x2xf32>
  // CHECK: data =
  // CHECK-NEXT: [5, 2, -2, 1, -1, 2, 4, 6, 7, -3, -14, 3, 4, -1, -4, -3, -1, -6, 3, 3, -13, -4, 3, -6]
  %sqf = tensor.collapse_shape %sq [[0, 1, 2, 3]] : tensor<2x2x3x2xf32> into tensor<24xf32>
  call @print24(%sqf) : (tensor<24xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [4, -3, 3, 4, 5, -9, -2, -4, 4, -8, -4, -2]
  %svf = tensor.collapse_shape %sv [[0, 1, 2, 3]] : tensor<2x1x3x2xf32> into tensor<12xf32>
  %svu = tensor.cast %svf : tensor<12xf32> to tensor<*xf32>
  call @printMemrefF32(%svu) : (tensor<*xf32>) -> ()

  // Varlen: the 6 tokens packed, fused projection to [1, T, N], split to
  // [T, H, D] and the output projection of the query heads to [T, E].
  %xt = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %cu = arith.constant dense<[0, 3, 6]> : tensor<3xi32>
  %pt = attn.fused_qkv_projection %xt, %wf bias(%bf : tensor<8xf32>)
      : tensor<6x4xf32>, tensor<4x8xf32> -> tensor<1x6x8xf32>
  %tq, %tk, %tv = attn.split_qkv %pt cu_seqlens(%cu : tensor<3xi32>)
      {num_q_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 2 : i64}
      : tensor<1x6x8xf32> -> tensor<6x2x2xf32>, tensor<6x1x2xf32>, tensor<6x1x2xf32>
  // CHECK: data =
  // CHECK-NEXT: [5, 2, 4, 6, -2, 1, 7, -3, -1, 2, -14, 3, 4, -1, 3, 3, -4, -3, -13, -4, -1, -6, 3, -6]
  %tqf = tensor.collapse_shape %tq [[0, 1, 2]] : tensor<6x2x2xf32> into tensor<24xf32>
  call @print24(%tqf) : (tensor<24xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [4, -3, 3, 4, 5, -9, -2, -4, 4, -8, -4, -2]
  %tvf = tensor.collapse_shape %tv [[0, 1, 2]] : tensor<6x1x2xf32> into tensor<12xf32>
  %tvu = tensor.cast %tvf : tensor<12xf32> to tensor<*xf32>
  call @printMemrefF32(%tvu) : (tensor<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [-14, 4, 6, 29, 9, -9, -8, -9, 8, 12, 22, -8, 24, -19, -24, -7, 8, -1, 14, 2, 31, -4, 7, -44, -31, 6, 8, -19, -19, -7]
  %yt = attn.output_projection %tq, %wo bias(%bo : tensor<5xf32>)
      : tensor<6x2x2xf32>, tensor<4x5xf32> -> tensor<6x5xf32>
  %ytf = tensor.collapse_shape %yt [[0, 1]] : tensor<6x5xf32> into tensor<30xf32>
  %ytu = tensor.cast %ytf : tensor<30xf32> to tensor<*xf32>
  call @printMemrefF32(%ytu) : (tensor<*xf32>) -> ()
  // The same varlen query heads from a dynamic token count.
  %xd = tensor.cast %xt : tensor<6x4xf32> to tensor<?x4xf32>
  %dq, %dk, %dv = attn.qkv_projection %xd, %wq, %wk, %wv bias(%bq, %bk, %bv : tensor<4xf32>, tensor<2xf32>, tensor<3xf32>)
      {num_q_heads = 2 : i64, num_kv_heads = 1 : i64}
      : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x2xf32>, tensor<4x3xf32>
      -> tensor<?x2x2xf32>, tensor<?x1x2xf32>, tensor<?x1x3xf32>
  %dqs = tensor.cast %dq : tensor<?x2x2xf32> to tensor<6x2x2xf32>
  // CHECK: data =
  // CHECK-NEXT: [5, 2, 4, 6, -2, 1, 7, -3, -1, 2, -14, 3, 4, -1, 3, 3, -4, -3, -13, -4, -1, -6, 3, -6]
  %dqf = tensor.collapse_shape %dqs [[0, 1, 2]] : tensor<6x2x2xf32> into tensor<24xf32>
  call @print24(%dqf) : (tensor<24xf32>) -> ()
  return
}
