//===- AttnProjectionOps.td - projection and RoPE ops ------*- tablegen -*-===//
//
// The ops around the attention core: the QKV projection (separate or fused
// weights), the split of a packed QKV tensor into heads, rotary position
// embedding and the output projection.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNPROJECTIONOPS
#define ATTN_DIALECT_ATTN_IR_ATTNPROJECTIONOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

//===----------------------------------------------------------------------===//
// QkvProjectionOp
//===----------------------------------------------------------------------===//

def Attn_QkvProjectionOp : Attn_Op<"qkv_projection",
    [AttrSizedOperandSegments]> {
  let summary = "project hidden states to query, key and value heads";
  let description = [{
    The `attn.qkv_projection` op computes `Q = x Wq + bq`, `K = x Wk + bk`
    and `V = x Wv + bv` (the `x @ W` convention: weights are
    `[embed, features]`) and splits the features of each into heads,
    head-major (feature `h * D + d` is dimension `d` of head `h`).

    Shapes, with `E` the embedding size, `Hq = num_q_heads`,
    `Hkv = num_kv_heads`, `D` the query/key head dim and `Dv` the value head
    dim:
    - `x : [B, S, E]`, results in `layout` (`bhsd`, the default:
      `[B, Hq, S, D]`, `[B, Hkv, S, D]`, `[B, Hkv, S, Dv]`; `bshd` swaps
      heads and sequence);
    - varlen `x : [T, E]` (tokens of all sequences packed), results
      `[T, Hq, D]`, `[T, Hkv, D]`, `[T, Hkv, Dv]`, the form `attn.sdpa`
      takes with `cu_seqlens`;
    - `wq : [E, Hq * D]`, `wk : [E, Hkv * D]`, `wv : [E, Hkv * Dv]`;
    - the optional biases (all three or none) are `[Hq * D]`,
      `[Hkv * D]`, `[Hkv * Dv]`.
    `Hq` must be a multiple of `Hkv` (GQA). All operands and results share
    one element type; the lowering accumulates in at least f32.

    Example:

    ```mlir
    %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wv
        {num_q_heads = 8 : i64, num_kv_heads = 2 : i64}
        : tensor<2x16x512xf32>, tensor<512x512xf32>, tensor<512x128xf32>,
          tensor<512x128xf32>
        -> tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x64xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$input,
    Attn_FloatTensor:$wq,
    Attn_FloatTensor:$wk,
    Attn_FloatTensor:$wv,
    Optional<Attn_FloatTensor>:$bq,
    Optional<Attn_FloatTensor>:$bk,
    Optional<Attn_FloatTensor>:$bv,
    I64Attr:$num_q_heads,
    I64Attr:$num_kv_heads,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                      Attn_FloatTensor:$value);
  let assemblyFormat = [{
    $input `,` $wq `,` $wk `,` $wv
    (`bias` `(` $bq^ `,` $bk `,` $bv `:` type($bq) `,` type($bk) `,`
       type($bv) `)`)?
    attr-dict `:` type($input) `,` type($wq) `,` type($wk) `,` type($wv)
    `->` type(results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether the input is packed `[tokens, embed]`.
    bool isVarlen() {
      return ::llvm::cast<::mlir::RankedTensorType>(getInput().getType())
                 .getRank() == 2;
    }
    bool hasBias() { return getBq() != nullptr; }
  }];
}

//===----------------------------------------------------------------------===//
// FusedQkvProjectionOp
//===----------------------------------------------------------------------===//

def Attn_FusedQkvProjectionOp : Attn_Op<"fused_qkv_projection"> {
  let summary = "project hidden states with one fused QKV weight";
  let description = [{
    The `attn.fused_qkv_projection` op computes `x W + b` with one weight
    `W : [E, (Hq + 2 * Hkv) * D]` whose columns are the query, key and value
    projections side by side, and returns the packed QKV tensor that
    `attn.split_qkv` splits into heads.

    Shapes:
    - `x : [B, S, E]` gives `[B, S, N]`, `N = (Hq + 2 * Hkv) * D`;
    - varlen `x : [T, E]` gives the packed `[1, T, N]`;
    - the optional bias is `[N]`.
    All operands and the result share one element type.

    Example:

    ```mlir
    %qkv = attn.fused_qkv_projection %x, %w bias(%b : tensor<768xf16>)
        : tensor<2x16x512xf16>, tensor<512x768xf16> -> tensor<2x16x768xf16>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$input,
    Attn_FloatTensor:$weight,
    Optional<Attn_FloatTensor>:$bias
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// SplitQkvOp
//===----------------------------------------------------------------------===//

def Attn_SplitQkvOp : Attn_Op<"split_qkv"> {
  let summary = "split a packed QKV tensor into query, key and value heads";
  let description = [{
    The `attn.split_qkv` op splits the last dimension of a packed QKV tensor,
    laid out as `[Q heads | K heads | V heads]` with `N = (Hq + 2 * Hkv) * D`
    features (`3 * H * D` for MHA), into query, key and value heads. Inside
    each part, feature `h * D + d` is dimension `d` of head `h`.

    Two input modes, told apart by the rank of the results:
    - padded: `packed : [B, S, N]` gives rank-4 results in `layout`
      (`bhsd`: `[B, Hq, S, D]`, `[B, Hkv, S, D]`, `[B, Hkv, S, D]`);
    - varlen: `packed : [1, T, N]` (the leading dim must be 1) gives rank-3
      results `[T, Hq, D]`, `[T, Hkv, D]`, `[T, Hkv, D]`, the form
      `attn.sdpa ... cu_seqlens(...)` takes. An optional
      `cu_seqlens(%cu : tensor<(B+1)xi32>)` operand documents the sequence
      boundaries of the `T` tokens (it is only allowed in this mode).

    Example:

    ```mlir
    %q, %k, %v = attn.split_qkv %qkv
        {num_q_heads = 8 : i64, num_kv_heads = 2 : i64, head_dim = 64 : i64}
        : tensor<2x16x768xf16>
        -> tensor<2x8x16x64xf16>, tensor<2x2x16x64xf16>, tensor<2x2x16x64xf16>
    %q2, %k2, %v2 = attn.split_qkv %packed cu_seqlens(%cu : tensor<3xi32>)
        {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 32 : i64}
        : tensor<1x100x384xf32>
        -> tensor<100x4x32xf32>, tensor<100x4x32xf32>, tensor<100x4x32xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$packed,
    Optional<Attn_IndexTensor>:$cu_seqlens,
    I64Attr:$num_q_heads,
    I64Attr:$num_kv_heads,
    I64Attr:$head_dim,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                      Attn_FloatTensor:$value);
  let assemblyFormat = [{
    $packed (`cu_seqlens` `(` $cu_seqlens^ `:` type($cu_seqlens) `)`)?
    attr-dict `:` type($packed) `->` type(results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether the results are varlen `[tokens, heads, head_dim]`.
    bool isVarlen() {
      return ::llvm::cast<::mlir::RankedTensorType>(getQuery().getType())
                 .getRank() == 3;
    }
  }];
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

def Attn_RopeOp : Attn_Op<"rope", [AttrSizedOperandSegments]> {
  let summary = "rotary position embedding";
  let description = [{
    The `attn.rope` op rotates pairs of features of every head of `x` by an
    angle that grows with the token's position.

    Shapes: `x : [B, H, S, D]` (`bhsd`, the default) or `[B, S, H, D]`
    (`bshd`), or varlen `[T, H, D]`; the result has the type of `x`.

    Position of token `s` of batch `b`:
    - `positions[b, s]` when `positions(%p)` is given (`[B, S]` or `[S]`,
      i32 or i64; varlen: `[T]`, required);
    - else `offsets[b] + s` when `offsets(%o)` is given (`[B]`, e.g. the
      cache lengths in decode);
    - else `s`.

    With `R = rotary_dim` (even, `<= D`, default `D`),
    `inv_freq[i] = theta^(-2i/R)` for `i` in `[0, R/2)` (computed in f64,
    rounded to f32) and `angle = f32(pos) * inv_freq[i]` in f32:
    - `neox`: `out[i] = x[i] cos - x[i + R/2] sin`,
      `out[i + R/2] = x[i + R/2] cos + x[i] sin`;
    - `gptj`: `out[2i] = x[2i] cos - x[2i+1] sin`,
      `out[2i+1] = x[2i+1] cos + x[2i] sin`.
    Features `>= R` pass through unchanged. f16/bf16 inputs are rotated in
    f32, f64 inputs in f64.

    Example:

    ```mlir
    %qr = attn.rope %q offsets(%lens : tensor<2xi32>)
        {style = #attn<rope_style gptj>, theta = 500000.0 : f32}
        : tensor<2x8x1x128xf16> -> tensor<2x8x1x128xf16>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$input,
    Optional<Attn_IndexTensor>:$positions,
    Optional<Attn_IndexTensor>:$offsets,
    DefaultValuedAttr<Attn_RopeStyleAttr, "::mlir::attn::RopeStyle::NeoX">
        :$style,
    DefaultValuedAttr<F32Attr, "10000.0f">:$theta,
    OptionalAttr<I64Attr>:$rotary_dim,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`positions` `(` $positions^ `:` type($positions) `)`)?
    (`offsets` `(` $offsets^ `:` type($offsets) `)`)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    bool isVarlen() {
      return ::llvm::cast<::mlir::RankedTensorType>(getInput().getType())
                 .getRank() == 3;
    }
    /// The rotary dim in effect: the attribute, or the head dim.
    int64_t getEffectiveRotaryDim();
  }];
}

//===----------------------------------------------------------------------===//
// OutputProjectionOp
//===----------------------------------------------------------------------===//

def Attn_OutputProjectionOp : Attn_Op<"output_projection"> {
  let summary = "merge attention heads and project back to the embedding";
  let description = [{
    The `attn.output_projection` op merges the heads of the attention output
    (head-major: feature `h * Dv + d` is dimension `d` of head `h`) and
    computes `merged Wo + b`.

    Shapes: `o : [B, H, S, Dv]` (`bhsd`, the default) or `[B, S, H, Dv]`
    (`bshd`) gives `[B, S, E]`; varlen `o : [T, H, Dv]` gives `[T, E]`;
    `wo : [H * Dv, E]`; the optional bias is `[E]`. All operands and the
    result share one element type.

    Example:

    ```mlir
    %y = attn.output_projection %o, %wo bias(%b : tensor<512xf32>)
        : tensor<2x8x16x64xf32>, tensor<512x512xf32> -> tensor<2x16x512xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$input,
    Attn_FloatTensor:$weight,
    Optional<Attn_FloatTensor>:$bias,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::BHSD">:$layout
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isVarlen() {
      return ::llvm::cast<::mlir::RankedTensorType>(getInput().getType())
                 .getRank() == 3;
    }
  }];
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNPROJECTIONOPS
