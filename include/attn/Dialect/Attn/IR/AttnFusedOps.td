//===- AttnFusedOps.td - fused attention ops ---------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNFUSEDOPS
#define ATTN_DIALECT_ATTN_IR_ATTNFUSEDOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

//===----------------------------------------------------------------------===//
// SdpaOp
//===----------------------------------------------------------------------===//

def Attn_SdpaOp : Attn_Op<"sdpa", [AttrSizedOperandSegments]> {
  let summary = "fused scaled-dot-product attention";
  let description = [{
    The `attn.sdpa` op computes `softmax(mask(scale * Q Kᵀ)) V` for every
    batch and query head without materializing the score matrix.

    Shapes (`layout = bhsd`, the default; `bshd` swaps heads and sequence):
    - `query : [B, Hq, Sq, Dqk]`, `key : [B, Hkv, Sk, Dqk]`,
      `value : [B, Hkv, Sk, Dv]`, result `[B, Hq, Sq, Dv]`.
      `Hq` must be a multiple of `Hkv` (MHA: equal, MQA: `Hkv = 1`, GQA
      otherwise); `Sq != Sk` is cross attention.
    - Varlen: with `cu_seqlens(%cq, %ck)` the tensors are packed as
      `query : [Tq, Hq, Dqk]`, `key : [Tk, Hkv, Dqk]`, `value : [Tk, Hkv, Dv]`
      and `%cq, %ck : tensor<(B+1)xi32>` hold the cumulative lengths.

    Score of query `i` and key `j`, in this order:
    1. `s = scale * dot(q_i, k_j)`; `scale` defaults to `1/sqrt(Dqk)`;
    2. `s = softcap * tanh(s / softcap)` when `softcap` is set;
    3. `s += bias[b, h, i, j]` (optional operand, broadcast over size-1 dims
       of `[B, Hq, Sq, Sk]`);
    4. `s += slopes[h] * (j - d(i))` with ALiBi slopes (`alibi(%slopes)`,
       `tensor<Hqxf32>`), `d(i)` the diagonal of the mask attribute;
    5. keys hidden by `mask` (`#attn.mask`), by `kv_lens(%l)`
       (`tensor<Bxi32>`, key padding: `j >= l[b]` is hidden) or by an explicit
       `attn_mask(%m)` (`i1`: false hides; float: added) are excluded.
    A query row with no visible key yields zeros, and an `lse` of `-inf`.

    The optional second result is the log-sum-exp of each row's scores
    (natural log), `[B, Hq, Sq]` (`[Tq, Hq]` varlen), used to combine
    partial results (see `attn.combine`).

    Example:

    ```mlir
    %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>, scale = 0.125 : f32}
        : tensor<2x32x128x128xf16>, tensor<2x8x128x128xf16>,
          tensor<2x8x128x128xf16> -> tensor<2x32x128x128xf16>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    Attn_FloatTensor:$value,
    Optional<Attn_FloatTensor>:$bias,
    Optional<RankedTensorOf<[I1, F16, BF16, F32, F64]>>:$attn_mask,
    Optional<RankedTensorOf<[F32]>>:$alibi_slopes,
    Optional<Attn_IndexTensor>:$kv_lens,
    Optional<Attn_IndexTensor>:$cu_seqlens_q,
    Optional<Attn_IndexTensor>:$cu_seqlens_k,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<Attn_MaskAttr>:$mask,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$result,
                      Optional<RankedTensorOf<[F32]>>:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`attn_mask` `(` $attn_mask^ `:` type($attn_mask) `)`)?
    (`alibi` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
    (`kv_lens` `(` $kv_lens^ `:` type($kv_lens) `)`)?
    (`cu_seqlens` `(` $cu_seqlens_q^ `,` $cu_seqlens_k `:` type($cu_seqlens_q)
       `,` type($cu_seqlens_k) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type(results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    bool isVarlen() { return getCuSeqlensQ() != nullptr; }
    /// The scale in effect: the attribute, or 1/sqrt(head_dim).
    double getEffectiveScale();
    /// The mask attribute, or a full (no-op) mask.
    ::mlir::attn::MaskAttr getEffectiveMask();
  }];
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

def Attn_CombineOp : Attn_Op<"combine"> {
  let summary = "merge partial attention results by their log-sum-exp";
  let description = [{
    The `attn.combine` op merges `N` partial attention outputs computed over
    disjoint key chunks (split-KV decode). With partials `o_n : [N, ...rows,
    Dv]` and their log-sum-exps `lse_n : [N, ...rows]` (natural log):

      m     = max_n lse_n
      w_n   = exp(lse_n - m)
      out   = sum_n w_n * o_n / sum_n w_n
      lse   = m + log(sum_n w_n)

    Rows whose every partial has `lse = -inf` (no visible key) produce zeros
    and `lse = -inf`. The optional second result is the combined `lse`.

    Example:

    ```mlir
    %o = attn.combine %parts, %lses
        : tensor<4x1x32x1x128xf32>, tensor<4x1x32x1xf32> -> tensor<1x32x1x128xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$partials,
                       RankedTensorOf<[F32]>:$partial_lse);
  let results = (outs Attn_FloatTensor:$result,
                      Optional<RankedTensorOf<[F32]>>:$lse);
  let assemblyFormat = [{
    $partials `,` $partial_lse attr-dict `:` type($partials) `,`
    type($partial_lse) `->` type(results)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNFUSEDOPS
