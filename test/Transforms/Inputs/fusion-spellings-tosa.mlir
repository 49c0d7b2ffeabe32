// Attention spelled in TOSA the ways torch-mlir's TOSA path spells masks and
// ALiBi (TOSA has no iota: torch.arange becomes a constant). Each function is
// one spelling; test/Transforms/fuse-attention-spellings.mlir checks what
// attn-fuse-attention makes of it and test/python/fusion/run_spellings.py
// runs every function on the CPU before and after fusion against a float64
// reference of its own.

// A sliding window from aranges (TOSA has no iota: torch.arange becomes a
// constant): keys shown where j <= i and j >= i - 2, both sides joined by
// tosa.logical_and before the select: causal with a left window of 2.
func.func @band_logical_and(%q: tensor<4x6x16xf32>, %k: tensor<4x6x16xf32>, %v: tensor<4x6x16xf32>) -> tensor<4x6x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ninf = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %i = "tosa.const"() <{values = dense<[[[0], [1], [2], [3], [4], [5]]]> : tensor<1x6x1xi32>}> : () -> tensor<1x6x1xi32>
  %j = "tosa.const"() <{values = dense<[[[0, 1, 2, 3, 4, 5]]]> : tensor<1x1x6xi32>}> : () -> tensor<1x1x6xi32>
  %two = "tosa.const"() <{values = dense<2> : tensor<1x1x1xi32>}> : () -> tensor<1x1x1xi32>
  %upper = tosa.greater_equal %i, %j : (tensor<1x6x1xi32>, tensor<1x1x6xi32>) -> tensor<1x6x6xi1>
  %edge = tosa.sub %i, %two : (tensor<1x6x1xi32>, tensor<1x1x1xi32>) -> tensor<1x6x1xi32>
  %lower = tosa.greater_equal %j, %edge : (tensor<1x1x6xi32>, tensor<1x6x1xi32>) -> tensor<1x6x6xi1>
  %keep = tosa.logical_and %upper, %lower : (tensor<1x6x6xi1>, tensor<1x6x6xi1>) -> tensor<1x6x6xi1>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x6x16xf32>) -> tensor<4x16x6xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x6x16xf32>, tensor<4x16x6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x6x6xf32>
  %sm = tosa.select %keep, %s, %ninf : (tensor<1x6x6xi1>, tensor<4x6x6xf32>, tensor<1x1x1xf32>) -> tensor<4x6x6xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<4x6x6xf32>) -> tensor<4x6x1xf32>
  %sub = tosa.sub %sm, %max : (tensor<4x6x6xf32>, tensor<4x6x1xf32>) -> tensor<4x6x6xf32>
  %e = tosa.exp %sub : (tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x6x6xf32>) -> tensor<4x6x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x6x1xf32>) -> tensor<4x6x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x6x6xf32>, tensor<4x6x1xf32>, tensor<1xi8>) -> tensor<4x6x6xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x6x6xf32>, tensor<4x6x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x6x16xf32>
  return %o : tensor<4x6x16xf32>
}

// The complement: hidden where j > i or j < i - 2 (tosa.logical_or), the
// scores on the select's false side.
func.func @band_logical_or(%q: tensor<4x6x16xf32>, %k: tensor<4x6x16xf32>, %v: tensor<4x6x16xf32>) -> tensor<4x6x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ninf = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %i = "tosa.const"() <{values = dense<[[[0], [1], [2], [3], [4], [5]]]> : tensor<1x6x1xi32>}> : () -> tensor<1x6x1xi32>
  %j = "tosa.const"() <{values = dense<[[[0, 1, 2, 3, 4, 5]]]> : tensor<1x1x6xi32>}> : () -> tensor<1x1x6xi32>
  %two = "tosa.const"() <{values = dense<2> : tensor<1x1x1xi32>}> : () -> tensor<1x1x1xi32>
  %future = tosa.greater %j, %i : (tensor<1x1x6xi32>, tensor<1x6x1xi32>) -> tensor<1x6x6xi1>
  %edge = tosa.sub %i, %two : (tensor<1x6x1xi32>, tensor<1x1x1xi32>) -> tensor<1x6x1xi32>
  %past = tosa.greater %edge, %j : (tensor<1x6x1xi32>, tensor<1x1x6xi32>) -> tensor<1x6x6xi1>
  %hide = tosa.logical_or %future, %past : (tensor<1x6x6xi1>, tensor<1x6x6xi1>) -> tensor<1x6x6xi1>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x6x16xf32>) -> tensor<4x16x6xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x6x16xf32>, tensor<4x16x6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x6x6xf32>
  %sm = tosa.select %hide, %ninf, %s : (tensor<1x6x6xi1>, tensor<1x1x1xf32>, tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<4x6x6xf32>) -> tensor<4x6x1xf32>
  %sub = tosa.sub %sm, %max : (tensor<4x6x6xf32>, tensor<4x6x1xf32>) -> tensor<4x6x6xf32>
  %e = tosa.exp %sub : (tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x6x6xf32>) -> tensor<4x6x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x6x1xf32>) -> tensor<4x6x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x6x6xf32>, tensor<4x6x1xf32>, tensor<1xi8>) -> tensor<4x6x6xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x6x6xf32>, tensor<4x6x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x6x16xf32>
  return %o : tensor<4x6x16xf32>
}

// ALiBi in TOSA, slopes[h] · (j - i) from a 1-D argument reshaped to
// [H, 1, 1] and aranges (the distance cast to f32), added after the scale
// of [B·H, S, S] scores (B = 1): attn.sdpa's alibi operand.
func.func @alibi_from_aranges(%q: tensor<2x6x16xf32>, %k: tensor<2x6x16xf32>, %v: tensor<2x6x16xf32>, %slopes: tensor<2xf32>) -> tensor<2x6x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %scale = "tosa.const"() <{values = dense<0.25> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %i = "tosa.const"() <{values = dense<[[[0], [1], [2], [3], [4], [5]]]> : tensor<1x6x1xi32>}> : () -> tensor<1x6x1xi32>
  %j = "tosa.const"() <{values = dense<[[[0, 1, 2, 3, 4, 5]]]> : tensor<1x1x6xi32>}> : () -> tensor<1x1x6xi32>
  %shape = tosa.const_shape {values = dense<[2, 1, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sl3 = tosa.reshape %slopes, %shape : (tensor<2xf32>, !tosa.shape<3>) -> tensor<2x1x1xf32>
  %dist = tosa.sub %j, %i : (tensor<1x1x6xi32>, tensor<1x6x1xi32>) -> tensor<1x6x6xi32>
  %distf = tosa.cast %dist : (tensor<1x6x6xi32>) -> tensor<1x6x6xf32>
  %bias = tosa.mul %sl3, %distf, %shift : (tensor<2x1x1xf32>, tensor<1x6x6xf32>, tensor<1xi8>) -> tensor<2x6x6xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<2x6x16xf32>) -> tensor<2x16x6xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<2x6x16xf32>, tensor<2x16x6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x6x6xf32>
  %ss = tosa.mul %s, %scale, %shift : (tensor<2x6x6xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x6x6xf32>
  %sb = tosa.add %ss, %bias : (tensor<2x6x6xf32>, tensor<2x6x6xf32>) -> tensor<2x6x6xf32>
  %max = tosa.reduce_max %sb {axis = 2 : i32} : (tensor<2x6x6xf32>) -> tensor<2x6x1xf32>
  %sub = tosa.sub %sb, %max : (tensor<2x6x6xf32>, tensor<2x6x1xf32>) -> tensor<2x6x6xf32>
  %e = tosa.exp %sub : (tensor<2x6x6xf32>) -> tensor<2x6x6xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<2x6x6xf32>) -> tensor<2x6x1xf32>
  %r = tosa.reciprocal %sum : (tensor<2x6x1xf32>) -> tensor<2x6x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<2x6x6xf32>, tensor<2x6x1xf32>, tensor<1xi8>) -> tensor<2x6x6xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<2x6x6xf32>, tensor<2x6x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x6x16xf32>
  return %o : tensor<2x6x16xf32>
}
