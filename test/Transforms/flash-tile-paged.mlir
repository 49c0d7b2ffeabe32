// RUN: attn-opt %s -attn-flash-tile="tile-kv=8 peel widen parallel-heads" -split-input-file | FileCheck %s --implicit-check-not=memref.prefetch
// RUN: attn-opt %s -attn-flash-tile="tile-kv=6 peel widen parallel-heads" -split-input-file | FileCheck %s --check-prefix=SIX
// RUN: attn-opt %s -attn-flash-tile="tile-kv=8 peel widen parallel-heads prefetch-pages" -split-input-file | FileCheck %s --check-prefix=PREFETCH

// Keys and values gathered from NHD pools with blocks of 4 keys: each tile
// of 8 keys is read in 2 pieces, each from one block: the block id from the
// table (one per piece), block 0 in place of an invalid id, the piece's
// [4, 8] rows of the pool (strided over the heads), widened to f32 and
// zeroed for an invalid id, into the tile. The gathers are erased.
// CHECK-LABEL: func.func @nhd_pieces
// CHECK-SAME: (%{{.*}}: tensor<1x2x1x8xf16>, %[[KC:.*]]: tensor<5x4x2x8xf16>, %[[VC:.*]]: tensor<5x4x2x8xf16>, %[[T:.*]]: tensor<1x4xi32>
// CHECK-NOT: attn.paged_gather
// CHECK: scf.forall (%[[B:.*]], %[[H:.*]]) in (1, 2)
// CHECK: %[[KVH:.*]] = arith.divsi %[[H]]
// CHECK: %{{.*}}:3 = scf.for %[[KT:[^ ]*]] =
// CHECK: %[[K0:.*]] = arith.muli %[[KT]], %{{.*}} : index
// CHECK: %[[KE:.*]] = tensor.empty() : tensor<8x8xf32>
// CHECK: %[[KTILE:.*]] = scf.for %[[P:.*]] = %{{.*}} to %[[C2:.*]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[KE]]) -> (tensor<8x8xf32>)
// CHECK: %[[ROW0:.*]] = arith.muli %[[P]], %[[C4:.*]] : index
// CHECK: %[[START:.*]] = arith.addi %[[K0]], %[[ROW0]] : index
// CHECK: %[[N:.*]] = arith.divui %[[START]], %{{.*}} : index
// CHECK: %[[SLOT:.*]] = arith.remui %[[START]], %{{.*}} : index
// CHECK: %[[BLKI:.*]] = tensor.extract %[[T]][%[[B]], %[[N]]] : tensor<1x4xi32>
// CHECK: %[[BLK:.*]] = arith.index_cast %[[BLKI]] : i32 to index
// CHECK: %[[LT:.*]] = arith.cmpi slt, %[[BLK]], %{{.*}} : index
// CHECK: %[[GE:.*]] = arith.cmpi sge, %[[BLK]], %{{.*}} : index
// CHECK: %[[VALID:.*]] = arith.andi %[[GE]], %[[LT]] : i1
// CHECK: %[[SAFE:.*]] = arith.select %[[VALID]], %[[BLK]], %{{.*}} : index
// CHECK: %[[PIECE:.*]] = tensor.extract_slice %[[KC]][%[[SAFE]], %[[SLOT]], %[[KVH]], 0] [1, 4, 1, 8] [1, 1, 1, 1] : tensor<5x4x2x8xf16> to tensor<4x8xf16>
// CHECK: %[[DEST:.*]] = tensor.extract_slice %[[ACC]][%[[ROW0]], 0] [4, 8] [1, 1] : tensor<8x8xf32> to tensor<4x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[PIECE]] : tensor<4x8xf16>) outs(%[[DEST]] : tensor<4x8xf32>)
// CHECK: %[[X:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: arith.select %[[VALID]], %[[X]], %{{.*}} : f32
// CHECK: tensor.insert_slice %{{.*}} into %[[ACC]][%[[ROW0]], 0] [4, 8] [1, 1] : tensor<4x8xf32> into tensor<8x8xf32>
// CHECK: tensor.extract_slice %[[VC]][%{{.*}}, %{{.*}}, %[[KVH]], 0] [1, 4, 1, 8]
// With prefetch-pages, each piece also prefetches the pool rows of the next
// piece (4 keys on): the block id from the table (its last entry past the
// table, block 0 for an invalid id), then one memref.prefetch per 64 bytes
// of each of its 4 rows (a row of 8 f16 is 16 bytes: one each), on the pool
// as a read-only buffer.
// PREFETCH-LABEL: func.func @nhd_pieces
// PREFETCH-SAME: %[[KC:[^:]*]]: tensor<5x4x2x8xf16>, %[[VC:[^:]*]]: tensor<5x4x2x8xf16>, %[[T:[^:]*]]: tensor<1x4xi32>
// PREFETCH: scf.forall (%[[B:.*]], %[[H:.*]]) in (1, 2)
// PREFETCH: %[[KVH:.*]] = arith.divsi %[[H]]
// PREFETCH: %[[START:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// PREFETCH: tensor.extract_slice %[[KC]]
// PREFETCH: %[[NEXT:.*]] = arith.addi %[[START]], %[[C4:.*]] : index
// PREFETCH: %[[W:.*]] = tensor.dim %[[T]], %{{.*}} : tensor<1x4xi32>
// PREFETCH: %[[LAST:.*]] = arith.subi %[[W]], %{{.*}} : index
// PREFETCH: %[[N:.*]] = arith.divui %[[NEXT]], %{{.*}} : index
// PREFETCH: %[[NC:.*]] = arith.minui %[[N]], %[[LAST]] : index
// PREFETCH: %[[SLOT:.*]] = arith.remui %[[NEXT]], %{{.*}} : index
// PREFETCH: tensor.extract %[[T]][%[[B]], %[[NC]]] : tensor<1x4xi32>
// PREFETCH: %[[SAFE:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : index
// PREFETCH: %[[KBUF:.*]] = bufferization.to_buffer %[[KC]] read_only : tensor<5x4x2x8xf16> to memref<5x4x2x8xf16>
// PREFETCH: %[[R0:.*]] = arith.addi %[[SLOT]], %{{.*}} : index
// PREFETCH: memref.prefetch %[[KBUF]][%[[SAFE]], %[[R0]], %[[KVH]], %{{.*}}], read, locality<3>, data : memref<5x4x2x8xf16>
// PREFETCH-COUNT-3: memref.prefetch %[[KBUF]][%[[SAFE]], %{{.*}}, %[[KVH]], %{{.*}}], read, locality<3>, data
// PREFETCH-NOT: memref.prefetch
// PREFETCH: linalg.generic
// PREFETCH: bufferization.to_buffer %[[VC]] read_only
func.func @nhd_pieces(%q: tensor<1x2x1x8xf16>, %kc: tensor<5x4x2x8xf16>,
                      %vc: tensor<5x4x2x8xf16>, %t: tensor<1x4xi32>,
                      %l: tensor<1xi32>, %m: tensor<1x1x1x16xi1>)
    -> tensor<1x2x1x8xf16> {
  %k = attn.paged_gather %kc, %t, %l
      : tensor<5x4x2x8xf16>, tensor<1x4xi32>, tensor<1xi32>
        -> tensor<1x2x16x8xf16>
  %v = attn.paged_gather %vc, %t, %l
      : tensor<5x4x2x8xf16>, tensor<1x4xi32>, tensor<1xi32>
        -> tensor<1x2x16x8xf16>
  %o = attn.sdpa %q, %k, %v attn_mask(%m : tensor<1x1x1x16xi1>)
      kv_lens(%l : tensor<1xi32>) {mask = #attn.mask<align = bottom_right>}
      : tensor<1x2x1x8xf16>, tensor<1x2x16x8xf16>, tensor<1x2x16x8xf16>
        -> tensor<1x2x1x8xf16>
  return %o : tensor<1x2x1x8xf16>
}

// -----

// HND pools with blocks of 16 keys: a tile of 8 keys is one piece inside a
// block, [8, 8] rows at [blk, head, slot]; f32 needs no widening (the copy
// only zeroes invalid blocks).
// CHECK-LABEL: func.func @hnd_one_piece
// CHECK-SAME: %[[KC:[^:]*]]: tensor<3x2x16x8xf32>
// CHECK-NOT: attn.paged_gather
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[ONE:.*]] step
// CHECK: %[[SLOT:.*]] = arith.remui
// CHECK: tensor.extract_slice %[[KC]][%{{.*}}, %{{.*}}, %[[SLOT]], 0] [1, 1, 8, 8] [1, 1, 1, 1] : tensor<3x2x16x8xf32> to tensor<8x8xf32>
// CHECK: linalg.generic
// CHECK-NOT: arith.extf
// CHECK: arith.select
// The next piece of an HND pool: rows [blk, head, slot + r], 32 bytes each.
// PREFETCH-LABEL: func.func @hnd_one_piece
// PREFETCH-SAME: %[[KC:[^:]*]]: tensor<3x2x16x8xf32>
// PREFETCH: %[[KVH:.*]] = arith.divsi
// PREFETCH: %[[KBUF:.*]] = bufferization.to_buffer %[[KC]] read_only
// PREFETCH-COUNT-8: memref.prefetch %[[KBUF]][%{{.*}}, %[[KVH]], %{{.*}}, %{{.*}}], read, locality<3>, data : memref<3x2x16x8xf32>
// PREFETCH-NOT: memref.prefetch
// PREFETCH: linalg.generic
func.func @hnd_one_piece(%q: tensor<1x2x1x8xf32>, %kc: tensor<3x2x16x8xf32>,
                         %vc: tensor<3x2x16x8xf32>, %t: tensor<1x2xi32>,
                         %l: tensor<1xi32>) -> tensor<1x2x1x8xf32> {
  %k = attn.paged_gather %kc, %t, %l {cache_layout = #attn<cache_layout hnd>}
      : tensor<3x2x16x8xf32>, tensor<1x2xi32>, tensor<1xi32>
        -> tensor<1x2x32x8xf32>
  %v = attn.paged_gather %vc, %t, %l {cache_layout = #attn<cache_layout hnd>}
      : tensor<3x2x16x8xf32>, tensor<1x2xi32>, tensor<1xi32>
        -> tensor<1x2x32x8xf32>
  %o = attn.sdpa %q, %k, %v kv_lens(%l : tensor<1xi32>)
      {mask = #attn.mask<align = bottom_right>}
      : tensor<1x2x1x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>
        -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

// Quantized pools: each piece is dequantized on its own (a per-head scale
// taken at the KV head, as the piece's per-tensor scale; per-token scales
// and zero points sliced from their pools like the codes); the gathers and
// the dense dequantizes are erased.
// CHECK-LABEL: func.func @dequantized
// CHECK-SAME: %[[KS:[^:]*]]: tensor<2xf32>, %[[VS:[^:]*]]: tensor<5x4x2xf32>, %[[VZ:[^:]*]]: tensor<5x4x2xi8>
// CHECK-NOT: attn.paged_gather
// CHECK: scf.forall (%{{.*}}, %[[H:.*]]) in
// CHECK: %[[KVH:.*]] = arith.divsi %[[H]]
// CHECK: %[[KP:.*]] = tensor.extract_slice %{{.*}} : tensor<5x4x2x8xi8> to tensor<4x8xi8>
// CHECK: %[[KSP:.*]] = tensor.extract_slice %[[KS]][%[[KVH]]] [1] [1] : tensor<2xf32> to tensor<1xf32>
// CHECK: attn.dequantize %[[KP]], %[[KSP]] {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xi8>, tensor<1xf32> -> tensor<4x8xf32>
// CHECK: %[[VP:.*]] = tensor.extract_slice %{{.*}} : tensor<5x4x2x8xi8> to tensor<4x8xi8>
// CHECK: %[[VSP:.*]] = tensor.extract_slice %[[VS]][%[[BLK:.*]], %[[SLOT:.*]], %[[KVH]]] [1, 4, 1] [1, 1, 1] : tensor<5x4x2xf32> to tensor<4xf32>
// CHECK: %[[VZP:.*]] = tensor.extract_slice %[[VZ]][%[[BLK]], %[[SLOT]], %[[KVH]]] [1, 4, 1] [1, 1, 1] : tensor<5x4x2xi8> to tensor<4xi8>
// CHECK: attn.dequantize %[[VP]], %[[VSP]] zero_point(%[[VZP]] : tensor<4xi8>) {quant = #attn.quant<int8_asym, per_token>} : tensor<4x8xi8>, tensor<4xf32> -> tensor<4x8xf32>
func.func @dequantized(%q: tensor<1x2x1x8xf32>, %kc: tensor<5x4x2x8xi8>,
                       %vc: tensor<5x4x2x8xi8>, %t: tensor<1x2xi32>,
                       %l: tensor<1xi32>, %ks: tensor<2xf32>,
                       %vs: tensor<5x4x2xf32>, %vz: tensor<5x4x2xi8>)
    -> tensor<1x2x1x8xf32> {
  %kq = attn.paged_gather %kc, %t, %l
      : tensor<5x4x2x8xi8>, tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x8x8xi8>
  %k = attn.dequantize %kq, %ks {quant = #attn.quant<int8_sym, per_head, axis = 1>}
      : tensor<1x2x8x8xi8>, tensor<2xf32> -> tensor<1x2x8x8xf32>
  %vq = attn.paged_gather %vc, %t, %l
      : tensor<5x4x2x8xi8>, tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x8x8xi8>
  %vsd = attn.paged_gather %vs, %t, %l
      : tensor<5x4x2xf32>, tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x8xf32>
  %vzd = attn.paged_gather %vz, %t, %l
      : tensor<5x4x2xi8>, tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x8xi8>
  %v = attn.dequantize %vq, %vsd zero_point(%vzd : tensor<1x2x8xi8>)
      {quant = #attn.quant<int8_asym, per_token>}
      : tensor<1x2x8x8xi8>, tensor<1x2x8xf32> -> tensor<1x2x8x8xf32>
  %o = attn.sdpa %q, %k, %v kv_lens(%l : tensor<1xi32>)
      {mask = #attn.mask<align = bottom_right>}
      : tensor<1x2x1x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>
        -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

// Blocks of 4 keys and tiles of 6 (neither divides the other): tiles of
// the gathers, which stay.
// SIX-LABEL: func.func @not_dividing
// SIX: %[[K:.*]] = attn.paged_gather
// SIX: scf.forall
// SIX: tensor.extract_slice %[[K]]
func.func @not_dividing(%q: tensor<1x2x1x8xf32>, %kc: tensor<5x4x2x8xf32>,
                        %t: tensor<1x3xi32>, %l: tensor<1xi32>)
    -> tensor<1x2x1x8xf32> {
  %k = attn.paged_gather %kc, %t, %l
      : tensor<5x4x2x8xf32>, tensor<1x3xi32>, tensor<1xi32>
        -> tensor<1x2x12x8xf32>
  %o = attn.sdpa %q, %k, %k kv_lens(%l : tensor<1xi32>)
      {mask = #attn.mask<align = bottom_right>}
      : tensor<1x2x1x8xf32>, tensor<1x2x12x8xf32>, tensor<1x2x12x8xf32>
        -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}
