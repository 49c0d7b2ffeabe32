//===- BlockClassification.h - flash tiling block classes -------*- C++ -*-===//
//
// Classifies the (query tile, key tile) blocks of an attention score matrix
// under a causal/sliding-window mask (`#attn.mask`): which key tiles a query
// tile sees at all and which of those are fully visible, so that the tiled
// code skips empty blocks through its loop bounds and evaluates the mask only
// in partially visible blocks.
//
// The formulas are written once, over an arithmetic "domain", so that they
// run on integers at compile time (static lengths; `classify`, unit-tested
// against a brute force over MaskAttr::isVisible) and emit `arith` ops on
// `index` values at run time (key lengths from `kv_lens`, dynamic lengths).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PASSES_TRANSFORMS_BLOCKCLASSIFICATION_H
#define ATTN_PASSES_TRANSFORMS_BLOCKCLASSIFICATION_H

#include <cstdint>
#include <vector>

namespace mlir::attn {

/// The parameters of a `#attn.mask` that shape its visible region.
struct MaskShape {
  bool causal = false;
  /// Bottom-right alignment: the diagonal is `d(i) = i + Sk - Sq`.
  bool bottomRight = false;
  /// Negative: unbounded.
  int64_t windowLeft = -1;
  int64_t windowRight = -1;

  bool isFull() const { return !causal && windowLeft < 0 && windowRight < 0; }
};

/// Key tiles of one query tile, as half-open ranges of tile indices:
/// `[visBegin, fullBegin)` and `[fullEnd, visEnd)` are partially visible
/// (mask needed), `[fullBegin, fullEnd)` fully visible (no mask), and tiles
/// outside `[visBegin, visEnd)` are invisible to every query of the tile.
/// Always `visBegin <= fullBegin <= fullEnd <= visEnd`.
template <typename V> struct KVTileRanges {
  V visBegin, fullBegin, fullEnd, visEnd;
};

/// Integer domain of the classification formulas.
/// Compile-time arithmetic, saturating at the int64 range (sizes near
/// INT64_MAX and unbounded-looking windows must not overflow).
struct IntDomain {
  using Value = int64_t;
  Value cst(int64_t v) { return v; }
  Value add(Value a, Value b) {
    Value r;
    if (__builtin_add_overflow(a, b, &r))
      return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
  }
  Value sub(Value a, Value b) {
    Value r;
    if (__builtin_sub_overflow(a, b, &r))
      return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
  }
  Value min(Value a, Value b) { return a < b ? a : b; }
  Value max(Value a, Value b) { return a < b ? b : a; }
  /// Floor division by a positive constant.
  Value floorDiv(Value a, int64_t d) {
    return a >= 0 ? a / d : -(sub(d - 1, a) / d);
  }
  /// `a >= b ? x : y`.
  Value selectGE(Value a, Value b, Value x, Value y) { return a >= b ? x : y; }
};

/// Classifies the key tiles of size `tileKV` for the query rows
/// `[q0, q1)` (non-empty) of a score matrix with `sk` keys whose mask
/// diagonal is `d(i) = i + diagOffset` (`diagOffset` is `sk - sq` for
/// bottom-right alignment, 0 otherwise). The key tile `t` covers
/// `[t * tileKV, min((t + 1) * tileKV, sk))`.
template <typename Domain>
KVTileRanges<typename Domain::Value>
classifyKVTiles(Domain &dom, const MaskShape &mask, int64_t tileKV,
                typename Domain::Value q0, typename Domain::Value q1,
                typename Domain::Value sk, typename Domain::Value diagOffset) {
  using V = typename Domain::Value;
  V zero = dom.cst(0), one = dom.cst(1);
  V numTiles = dom.floorDiv(dom.add(sk, dom.cst(tileKV - 1)), tileKV);
  // Visible keys of row i form the interval [lo(i), hi(i)] (before clipping
  // to [0, sk)); both ends grow with i, one key per row.
  auto lo = [&](V i) -> V {
    if (mask.windowLeft < 0)
      return zero;
    return dom.sub(dom.add(i, diagOffset), dom.cst(mask.windowLeft));
  };
  auto hi = [&](V i) -> V {
    V d = dom.add(i, diagOffset);
    if (mask.causal)
      return d; // The verifier keeps window_right <= 0 with causal.
    if (mask.windowRight >= 0)
      return dom.add(d, dom.cst(mask.windowRight));
    return dom.sub(sk, one);
  };
  V last = dom.sub(q1, one);
  // The union over the tile's rows of the clipped intervals is the clip of
  // [lo(q0), hi(q1 - 1)]: consecutive rows' intervals overlap or touch.
  V visLo = dom.max(lo(q0), zero);
  V visHi = dom.min(hi(last), dom.sub(sk, one));
  V visBegin = dom.floorDiv(visLo, tileKV);
  V visEnd = dom.selectGE(visHi, visLo,
                          dom.add(dom.floorDiv(visHi, tileKV), one), visBegin);
  // A tile [k0, k1) is fully visible iff lo(q1 - 1) <= k0 and
  // hi(q0) >= k1 - 1 (the tightest rows).
  V fullFirst = dom.floorDiv(
      dom.add(dom.max(lo(last), zero), dom.cst(tileKV - 1)), tileKV);
  V hiFirst = hi(q0);
  V fullLast = dom.selectGE(hiFirst, dom.sub(sk, one), numTiles,
                            dom.floorDiv(dom.add(hiFirst, one), tileKV));
  V fullBegin = dom.min(dom.max(fullFirst, visBegin), visEnd);
  V fullEnd = dom.max(dom.min(fullLast, visEnd), fullBegin);
  return {visBegin, fullBegin, fullEnd, visEnd};
}

/// Compile-time classification of every query tile of a `sq` x `sk` score
/// matrix, for query tiles of `tileQ` rows and key tiles of `tileKV` keys.
std::vector<KVTileRanges<int64_t>> classify(int64_t tileQ, int64_t tileKV,
                                            int64_t sq, int64_t sk,
                                            const MaskShape &mask);

} // namespace mlir::attn

#endif // ATTN_PASSES_TRANSFORMS_BLOCKCLASSIFICATION_H
