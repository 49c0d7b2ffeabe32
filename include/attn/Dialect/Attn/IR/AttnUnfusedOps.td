//===- AttnUnfusedOps.td - the unfused attention steps -----*- tablegen -*-===//
//
// The four steps of `attn.sdpa` as separate ops: `attn.scores`, `attn.mask`,
// `attn.softmax` and `attn.weighted_sum`. Chained as
//
//   weighted_sum(softmax(mask(scores(q, k))), v)
//
// they compute exactly what `attn.sdpa` computes (the fusion pass relies on
// it), with the score matrix materialized.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNUNFUSEDOPS
#define ATTN_DIALECT_ATTN_IR_ATTNUNFUSEDOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

//===----------------------------------------------------------------------===//
// ScoresOp
//===----------------------------------------------------------------------===//

def Attn_ScoresOp : Attn_Op<"scores"> {
  let summary = "scaled and soft-capped query-key dot products";
  let description = [{
    The `attn.scores` op computes steps 1 and 2 of the `attn.sdpa` score
    order for every batch, query head, query `i` and key `j`:

      s = scale * dot(q_i, k_j)             (scale defaults to 1/sqrt(D))
      s = softcap * tanh(s / softcap)       (when `softcap` is set)

    `query : [B, Hq, Sq, D]` and `key : [B, Hkv, Sk, D]` are in `layout`
    (`bshd` swaps heads and sequence); the result is always
    `[B, Hq, Sq, Sk]`, whatever the layout. GQA/MQA: query head `h` reads
    key head `h / (Hq / Hkv)`. The dot product accumulates in f32 (f64 for
    f64 inputs); the result element type is the query's or f32.

    Example:

    ```mlir
    %s = attn.scores %q, %k {scale = 0.125 : f32, softcap = 30.0 : f32}
        : tensor<2x8x16x64xf16>, tensor<2x2x32x64xf16> -> tensor<2x8x16x32xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<F32Attr>:$softcap,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key attr-dict `:` type($query) `,` type($key) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale in effect: the attribute, or 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// MaskOp
//===----------------------------------------------------------------------===//

def Attn_MaskOp : Attn_Op<"mask", [AttrSizedOperandSegments,
                                   AllTypesMatch<["scores", "result"]>]> {
  let summary = "add biases to attention scores and hide masked keys";
  let description = [{
    The `attn.mask` op applies steps 3 to 5 of the `attn.sdpa` score order to
    a score tensor `scores : [B, H, Sq, Sk]` (query `i`, key `j`):

    3. `s += bias[b, h, i, j]` (optional, broadcast over size-1 dims);
    4. `s += slopes[h] * (j - d(i))` with ALiBi slopes `alibi(%slopes)`
       (`tensor<Hxf32>`), `d(i)` the diagonal of `mask`;
    5. keys hidden by `mask` (`#attn.mask`), by `kv_lens(%l)` (`[B]`, key
       padding: `j >= l[b]` is hidden) or by `attn_mask(%m)` (`i1`: false
       hides; float: added, broadcast like the bias) become `-inf`.

    `Sq` and `Sk` come from the score shape; with `kv_lens` the key count of
    batch `b` is `Sk = l[b]`, which places the `bottom_right` diagonal at
    `d(i) = i + l[b] - Sq`, as `attn.sdpa` does. The result has the type of
    `scores`. Without bias, mask operands, slopes, key lengths and with a
    mask that hides nothing, the op is the identity and folds away.

    Example:

    ```mlir
    %m = attn.mask %s alibi(%slopes : tensor<8xf32>) kv_lens(%l : tensor<2xi32>)
        {mask = #attn.mask<causal = true, align = bottom_right>}
        : tensor<2x8x16x32xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$scores,
    Optional<Attn_FloatTensor>:$bias,
    Optional<RankedTensorOf<[I1, F16, BF16, F32, F64]>>:$attn_mask,
    Optional<RankedTensorOf<[F32]>>:$alibi_slopes,
    Optional<Attn_IndexTensor>:$kv_lens,
    OptionalAttr<Attn_MaskAttr>:$mask
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $scores
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`attn_mask` `(` $attn_mask^ `:` type($attn_mask) `)`)?
    (`alibi` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
    (`kv_lens` `(` $kv_lens^ `:` type($kv_lens) `)`)?
    attr-dict `:` type($scores)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The mask attribute, or a full (no-op) mask.
    ::mlir::attn::MaskAttr getEffectiveMask();
  }];
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

def Attn_SoftmaxOp : Attn_Op<"softmax"> {
  let summary = "numerically safe softmax over the last dimension";
  let description = [{
    The `attn.softmax` op normalizes each row (the last dimension) of its
    input:

      m = max_j s_j,  p_j = exp(s_j - m) / sum_j' exp(s_j' - m)

    computed in f32 (f64 for f64 inputs) and rounded to the input element
    type. A row whose entries are all `-inf` (no visible key) gives zeros.
    The optional second result is the row's log-sum-exp `m + log(sum)`
    (natural log, `-inf` for such rows), in f32 with the input shape minus
    its last dimension.

    Example:

    ```mlir
    %p, %lse = attn.softmax %s : tensor<2x8x16x32xf32>
        -> tensor<2x8x16x32xf32>, tensor<2x8x16xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input);
  let results = (outs Attn_FloatTensor:$result,
                      Optional<RankedTensorOf<[F32]>>:$lse);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type(results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// WeightedSumOp
//===----------------------------------------------------------------------===//

def Attn_WeightedSumOp : Attn_Op<"weighted_sum"> {
  let summary = "attention probabilities times values";
  let description = [{
    The `attn.weighted_sum` op computes `O = P · V` per batch and query head:

      o[b, h, i, n] = sum_j p[b, h, i, j] * v[b, h / (Hq / Hkv), j, n]

    `probs : [B, Hq, Sq, Sk]` is always in `bhsd` order (as `attn.scores`
    produces it); `value : [B, Hkv, Sk, Dv]` and the result
    `[B, Hq, Sq, Dv]` are in `layout`. The sum accumulates in f32 (f64 for
    f64 inputs) and is rounded to the value's element type, which the
    result has; `probs` has the value's element type or f32.

    Example:

    ```mlir
    %o = attn.weighted_sum %p, %v {layout = #attn<layout bshd>}
        : tensor<2x8x16x32xf32>, tensor<2x32x2x64xf16> -> tensor<2x16x8x64xf16>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$probs,
    Attn_FloatTensor:$value,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $probs `,` $value attr-dict `:` type($probs) `,` type($value) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNUNFUSEDOPS
