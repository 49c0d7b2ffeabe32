//===- AttnVariantOps.td - attention variants --------------*- tablegen -*-===//
//
// Attention variants that are not `attn.sdpa`: Linformer (low-rank sequence
// projection), the Attention-Free Transformer and top-k sparse attention.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNVARIANTOPS
#define ATTN_DIALECT_ATTN_IR_ATTNVARIANTOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

//===----------------------------------------------------------------------===//
// LinformerOp
//===----------------------------------------------------------------------===//

def Attn_LinformerOp : Attn_Op<"linformer"> {
  let summary = "Linformer attention with projected keys and values";
  let description = [{
    The `attn.linformer` op implements Linformer attention
    (https://arxiv.org/abs/2006.04768). The projections
    `e, f : [Kp, Sk]` shorten the key and value sequences per batch and
    KV head:

      K' = E · K : [B, Hkv, Kp, D],   V' = F · V : [B, Hkv, Kp, Dv]

    (accumulated in f32, f64 for f64 inputs, and rounded to the element
    type), then `softmax(scale * Q K'ᵀ) V'` with no mask. Shapes (`bhsd`):
    `query : [B, Hq, Sq, D]`, `key : [B, Hkv, Sk, D]`,
    `value : [B, Hkv, Sk, Dv]`, result `[B, Hq, Sq, Dv]`; GQA as in
    `attn.sdpa`. `scale` defaults to `1/sqrt(D)`.

    Example:

    ```mlir
    %o = attn.linformer %q, %k, %v, %e, %f {scale = 0.125 : f32}
        : tensor<2x8x512x64xf32>, tensor<2x8x512x64xf32>,
          tensor<2x8x512x64xf32>, tensor<128x512xf32>, tensor<128x512xf32>
          -> tensor<2x8x512x64xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    Attn_FloatTensor:$value,
    Attn_FloatTensor:$e,
    Attn_FloatTensor:$f,
    OptionalAttr<F32Attr>:$scale
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $e `,` $f attr-dict `:` type($query) `,`
    type($key) `,` type($value) `,` type($e) `,` type($f) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale in effect: the attribute, or 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// AftOp
//===----------------------------------------------------------------------===//

def Attn_AftOp : Attn_Op<"aft"> {
  let summary = "Attention-Free Transformer";
  let description = [{
    The `attn.aft` op implements the Attention-Free Transformer
    (https://arxiv.org/abs/2105.14103) on head-less tensors
    `query, key, value : [B, S, D]`:

      Y_t = sigmoid(Q_t) ⊙ (Σ_t' exp(K_t' + w(t, t')) ⊙ V_t')
                         / (Σ_t' exp(K_t' + w(t, t')))

    elementwise over `D`, with the learned pairwise position bias
    `pos_bias(%w) : [S, S]` (the query's element type) used by `mode`:
    - `full`: `w(t, t') = w[t, t']` (`pos_bias` required);
    - `local`: `w(t, t') = w[t, t']` where `|t - t'| < window` and 0
      elsewhere (`pos_bias` and `window >= 1` required);
    - `simple`: `w = 0` (no `pos_bias`): AFT-simple.
    The sums subtract the per-(t, d) maximum of `K_t' + w(t, t')` before
    `exp` and accumulate in f32 (f64 for f64 inputs). A local AFT whose
    window covers the whole sequence canonicalizes to the full one.

    Example:

    ```mlir
    %y = attn.aft %q, %k, %v pos_bias(%w : tensor<64x64xf32>)
        {mode = #attn<aft_mode local>, window = 8}
        : tensor<2x64x32xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
          -> tensor<2x64x32xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    Attn_FloatTensor:$value,
    Optional<Attn_FloatTensor>:$pos_bias,
    Attn_AftModeAttr:$mode,
    OptionalAttr<I64Attr>:$window
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`pos_bias` `(` $pos_bias^ `:` type($pos_bias) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// TopkAttentionOp
//===----------------------------------------------------------------------===//

def Attn_TopkAttentionOp : Attn_Op<"topk_attention"> {
  let summary = "attention over each query's k highest-scoring keys";
  let description = [{
    The `attn.topk_attention` op is `attn.sdpa` (`bhsd`, no optional
    operands) where each query row keeps only its best keys: after
    `s = scale * dot(q_i, k_j)` (`scale` defaults to `1/sqrt(D)`) and the
    `mask`, let `τ` be the `k`-th largest visible score of the row (counted
    with multiplicity). Keys with `s >= τ` stay (every key tied at `τ`
    stays, so more than `k` keys may remain), the others are hidden, and
    the row is `softmax · V`. A row with fewer than `k` visible keys keeps
    all of them; a row with none yields zeros. `1 <= k <= Sk`.

    Shapes: `query : [B, Hq, Sq, D]`, `key : [B, Hkv, Sk, D]`,
    `value : [B, Hkv, Sk, Dv]`, result `[B, Hq, Sq, Dv]`, GQA as in
    `attn.sdpa`.

    Example:

    ```mlir
    %o = attn.topk_attention %q, %k, %v {k = 32 : i64, mask = #attn.mask<causal = true>}
        : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>
          -> tensor<1x8x128x64xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    Attn_FloatTensor:$value,
    I64Attr:$k,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<Attn_MaskAttr>:$mask
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
    type($value) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale in effect: the attribute, or 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNVARIANTOPS
