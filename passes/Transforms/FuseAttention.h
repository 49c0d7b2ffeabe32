//===- FuseAttention.h - shared pieces of attn-fuse-attention ---*- C++ -*-===//
//
// Private to passes/Transforms. Each input form (attn unfused ops, linalg on
// tensors, TOSA) has a matcher that walks back from the final
// probabilities-times-values matmul and fills an `AttentionMatch`; one
// builder turns every match into an `attn.sdpa`. The operand peeling and the
// symbolic mask evaluator are shared by the linalg and TOSA matchers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PASSES_TRANSFORMS_FUSEATTENTION_H
#define ATTN_PASSES_TRANSFORMS_FUSEATTENTION_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <functional>
#include <optional>
#include <string>

namespace mlir::attn::fuse {

//===----------------------------------------------------------------------===//
// AttentionMatch
//===----------------------------------------------------------------------===//

/// What a recognised mask amounts to: the visible keys of row i are a band
/// `i + lower <= j <= i + upper` (either side may be absent).
struct MaskClass {
  /// No key hidden.
  bool full = true;
  std::optional<int64_t> upper, lower;
  /// Hidden with a finite value (rows with no visible key would differ).
  bool finite = false;
  /// The score lengths it was classified over.
  int64_t sq = 0, sk = 0;
  /// The mask of `attn.sdpa` it amounts to, when not full.
  MaskAttr mask;
};

/// One matched attention chain. `query`, `key` and `value` are tensors whose
/// last two dimensions are `[S, D]` and whose leading dimensions, in row-major
/// order, enumerate (batch, head) pairs; the builder reshapes them to `bhsd`.
struct AttentionMatch {
  Value query, key, value;
  /// Query heads per key/value head (GQA), as found on the key and value
  /// sides: query batch-head `n` reads key batch-head `n / group`.
  int64_t keyGroup = 1, valueGroup = 1;
  /// Multiplier of `Q Kᵀ`, the product of every constant scale on the way.
  double scale = 1.0;
  /// Multiplier of the result (a constant scale inside the P·V
  /// contraction), applied after the fused op.
  double outputScale = 1.0;
  /// Structured mask, or null for none, and the band it stands for.
  MaskAttr mask;
  MaskClass band;
  /// Explicit mask operand, or null: a float mask is added, an i1 mask hides
  /// keys where false. Its dimensions align with the scores' from the right
  /// (`[..., Sq, Sk]`) and broadcast where they have size 1.
  Value attnMask;
  /// Whether the i1 `attnMask` shows keys where false (the builder negates
  /// it).
  bool attnMaskInverted = false;
  /// Leading dimensions of the scores `attnMask` was applied to.
  SmallVector<int64_t> scoreLeading;
  /// Operands and attributes only the attn unfused form carries: they are
  /// passed through unchanged (with the tensors already in `layout`).
  Value bias, alibiSlopes, kvLens;
  /// Flattened `[B·H, Sq, Sk]` scores whose ALiBi slopes are read at
  /// `d0 mod alibiHeads` (the head within the batch): the number of heads
  /// H, which fixes B; 0 when the slopes are read at the head dimension.
  int64_t alibiHeads = 0;
  std::optional<double> softcap;
  Layout layout = Layout::BHSD;
  /// Whether `query`, `key`, `value` and `root` are already rank-4 tensors
  /// in `layout` (and masks and biases broadcast as `attn.sdpa` wants): the
  /// builder then inserts no reshape.
  bool inLayout = false;
  /// Log-sum-exp of the score rows `[L..., Sq]` the chain also returns, or
  /// null; replaced by the second result of the `attn.sdpa`.
  Value lseRoot;
  /// Value the fused result replaces, `[L..., Sq, Dv]`.
  Value root;
  /// Ops of the chain, consumers before producers; erased once dead.
  SmallVector<Operation *> chain;
};

/// Builds the `attn.sdpa` of `match` (with reshapes to `bhsd` and back to the
/// type of `match.root`), replaces `match.root` and erases the dead chain.
/// Fails without touching the IR when the shapes cannot be reconciled
/// (dynamic sizes that need a reshape, head counts that do not divide, ...).
LogicalResult buildFusedAttention(PatternRewriter &rewriter,
                                  AttentionMatch &match);

/// Whether `buildFusedAttention` would succeed on `match`; on failure
/// `reason` says why. Touches no IR.
LogicalResult checkFusedAttention(const AttentionMatch &match,
                                  std::string &reason);

/// Matchers per input form, each from its final P·V op (`attn.weighted_sum`,
/// a linalg contraction, `tosa.matmul`). They touch no IR; on failure
/// `reason` names the step that did not match ("softmax: ...", "scores:
/// ...", "Q·Kᵀ: ...", "operands: ...") and why.
LogicalResult matchUnfusedAttention(Operation *pv, AttentionMatch &match,
                                    std::string &reason);
LogicalResult matchLinalgAttention(Operation *pv, AttentionMatch &match,
                                   std::string &reason);
LogicalResult matchTosaAttention(Operation *pv, AttentionMatch &match,
                                 std::string &reason);

//===----------------------------------------------------------------------===//
// Shared matching helpers (linalg/tensor and TOSA)
//===----------------------------------------------------------------------===//

/// A Q, K or V operand traced back through layout-only ops.
struct PeeledOperand {
  Value base;
  /// Whether the last two dimensions were swapped an odd number of times.
  bool swapped = false;
  /// Product of the constant scales met on the way.
  double scale = 1.0;
  /// Product of the GQA broadcast factors met on the way.
  int64_t group = 1;
};

/// Walks back from a matmul operand through reshapes that keep the last two
/// dimensions, transposes of the last two dimensions, multiplications or
/// divisions by constant splats, and broadcasts of the last leading dimension
/// (GQA: `repeat_interleave` of heads). Every op passed must have a single
/// use; the ops are appended to `chain`.
PeeledOperand peelOperand(Value v, SmallVectorImpl<Operation *> &chain);

/// Completes `match` with the peeled Q, K (`[..., Sk, D]`) and V: operands,
/// GQA groups and the scales met on Q and K; then checkFusedAttention.
LogicalResult finishMatch(AttentionMatch &match, const PeeledOperand &q,
                          const PeeledOperand &k, const PeeledOperand &v,
                          std::string &reason);

/// Walks back through reshapes that keep the last two dimensions and whose
/// result has a single use. Returns the first value that is not such a
/// reshape's result.
Value skipLeadingReshapes(Value v, SmallVectorImpl<Operation *> &chain);

/// Follows the single-use result of the final P·V matmul `pv` through
/// layout-preserving reshapes to the value the fused op replaces: sets
/// `match.root` and appends those reshapes, then `pv`, to `match.chain`.
void traceAttentionRoot(Operation *pv, AttentionMatch &match);

/// Walks the scores `s` (the softmax input) back to the Q·Kᵀ matmul through
/// layout-preserving reshapes, constant scales (folded into `match.scale`)
/// and masks `matchMask` recognises (it returns the unmasked scores or null).
/// Every op passed must have a single use and is appended to `match.chain`.
/// Returns the matmul (an op for which `isMatmul` holds) or failure, with the
/// reason in `reason`.
FailureOr<Operation *> traceScoresToMatmul(
    Value s, AttentionMatch &match, function_ref<bool(Operation *)> isMatmul,
    function_ref<Value(Operation *, AttentionMatch &)> matchMask,
    std::string &reason);

/// If `op` is a layout-preserving reshape (tensor.expand_shape,
/// tensor.collapse_shape, tosa.reshape) whose source and result share their
/// last two dimensions and the product of the leading ones, returns its
/// source.
Value getLeadingReshapeSource(Operation *op);

/// A multiplication or division by a constant splat (a linalg.generic with
/// a scalar or splat operand, or tosa.mul with a zero shift): (input,
/// factor).
std::optional<std::pair<Value, double>> matchConstantScale(Operation *op);

/// The constant value of a scalar (arith.constant, possibly through
/// extf/truncf/sitofp) or of a splat tensor constant (arith.constant,
/// tosa.const).
std::optional<double> getConstantScalar(Value v);

//===----------------------------------------------------------------------===//
// Mask recognition
//===----------------------------------------------------------------------===//

/// How a masking op treats one mask value: it shows the key, hides it (with
/// -inf, or with the lowest finite float, after which a row with no visible
/// key is not zero as in `attn.sdpa` but uniform) or does something else (a
/// finite bias).
enum class MaskEffect { Visible, Hidden, HiddenFinite, Other };

/// The `#attn.mask` of the band `i + lower <= j <= i + upper` over `sq`
/// queries and `sk` keys (top-left or bottom-right aligned, causal when the
/// upper side is the diagonal), or null when no mask says it.
MaskAttr bandMask(MLIRContext *ctx, std::optional<int64_t> upper,
                  std::optional<int64_t> lower, int64_t sq, int64_t sk);

/// Records a structured mask in `m`: the first one, or the other side of
/// the band of the one already there (a causal mask then a left window);
/// refuses anything else.
bool addMask(AttentionMatch &m, const MaskClass &cls);

/// Classifies a mask value given as a function of the score coordinates.
/// `scoreRank` is the rank of the score iteration space (row `i` is dimension
/// `scoreRank - 2`, column `j` the last one). Exactly one of `tensor` (with
/// `coords`: an affine map from the score iteration space to the tensor's
/// coordinates) or `scalar` (a value inside `generic`'s body, whose
/// iteration space is the scores') is used. `effect` says what each constant
/// mask value does. Recognises masks built from constants, iotas (linalg.index,
/// arange constants), comparisons, selects and broadcasts/reshapes, which hide
/// keys on one side of a diagonal `j <= i + c`: top-left or bottom-right
/// causal. Returns std::nullopt when the mask is not recognised, or when it
/// hides with a finite value and leaves some row without a visible key.
std::optional<MaskClass>
classifyMask(Value tensor, AffineMap coords, Value scalar, Operation *generic,
             int64_t scoreRank, int64_t sq, int64_t sk,
             const std::function<MaskEffect(double)> &effect);

/// A boolean mask tensor (read at `coords` of the score space, as in
/// classifyMask) computed by a linalg.generic that yields `a && b`, or by
/// tosa.logical_and (keys shown where both hold; `hiddenWhenTrue` false), or
/// `a || b` / tosa.logical_or (hidden where either holds; `hiddenWhenTrue`
/// true): the class of each side, a band's two halves computed into one
/// tensor. std::nullopt when the tensor is not
/// such a conjunction or a side is not recognised.
std::optional<SmallVector<MaskClass, 2>>
classifyMaskParts(Value tensor, AffineMap coords, bool hiddenWhenTrue,
                  int64_t scoreRank, int64_t sq, int64_t sk,
                  const std::function<MaskEffect(double)> &effect);

/// Whether `tensor` (read at `coords` of the score space) or `scalar` (in
/// `generic`'s body), as in classifyMask, is the key index `j` minus the
/// query index `i` or minus a constant, or `j` plus a constant: ALiBi's
/// distance (under the softmax the same as `j - i`). Built from iotas and
/// aranges, differences and integer-to-float casts.
bool isKeyDistance(Value tensor, AffineMap coords, Value scalar,
                   Operation *generic, int64_t scoreRank);

/// `effect` for masks applied with select: `hiddenWhenTrue` says which
/// boolean hides.
MaskEffect selectMaskEffect(double value, bool hiddenWhenTrue);

/// `effect` for additive masks: 0 shows, -inf (or the lowest float) hides.
MaskEffect additiveMaskEffect(double value);

//===----------------------------------------------------------------------===//
// Pattern population per input form
//===----------------------------------------------------------------------===//

void populateFuseUnfusedAttentionPatterns(RewritePatternSet &patterns);
void populateFuseLinalgAttentionPatterns(RewritePatternSet &patterns);
void populateFuseTosaAttentionPatterns(RewritePatternSet &patterns);

} // namespace mlir::attn::fuse

#endif // ATTN_PASSES_TRANSFORMS_FUSEATTENTION_H
