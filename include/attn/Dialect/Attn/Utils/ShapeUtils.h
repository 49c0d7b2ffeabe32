//===- ShapeUtils.h - attention shape and quantization helpers --*- C++ -*-===//
//
// Plain C++ helpers shared by the verifiers and the passes: how heads layouts
// place their dimensions, broadcasting rules, GQA grouping and the shapes that
// quantization scales must have. They take and return sizes only, so they can
// be unit-tested without building IR.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_SHAPEUTILS_H
#define ATTN_DIALECT_ATTN_UTILS_SHAPEUTILS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <optional>
#include <string>

namespace mlir::attn {

/// Size of a dynamic dimension, as in mlir::ShapedType.
constexpr int64_t kDynamicSize = INT64_MIN;

/// Dimension roles of a rank-4 heads tensor (`[B,H,S,D]` or `[B,S,H,D]`) or of
/// a rank-3 varlen tensor (`[T,H,D]`, batch = -1).
struct HeadsDims {
  int batch = -1;
  int heads = 1;
  int seq = 2;
  int dim = 3;
};

/// Roles for a rank-4 tensor in layout `bshd` (true) or `bhsd` (false), or
/// for a rank-3 varlen tensor (`[T, H, D]`).
HeadsDims getHeadsDims(bool bshd, bool varlen);

/// Two sizes agree when equal or when either is dynamic.
bool sizesAgree(int64_t a, int64_t b);

/// Whether `from` broadcasts to `to` under "same rank, each dim 1 or equal"
/// (the rule for attention bias and mask operands). Dynamic sizes agree.
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from,
                       llvm::ArrayRef<int64_t> to);

/// Query heads per KV head for GQA, or std::nullopt when `numQHeads` is not a
/// positive multiple of `numKVHeads`. Dynamic counts give 0 (unknown).
std::optional<int64_t> getGroupSize(int64_t numQHeads, int64_t numKVHeads);

/// Expected shape of the scale (and zero point) operand of a tensor of shape
/// `shape` quantized with the given granularity (0 per tensor, 1 per head,
/// 2 per token; see #attn.quant). `axis` is the head axis for per-head.
/// Returns std::nullopt and sets `error` when the combination is invalid.
std::optional<llvm::SmallVector<int64_t>>
getScaleShape(llvm::ArrayRef<int64_t> shape, int granularity, int64_t axis,
              std::string &error);

/// Formats a shape as `2x?x4` for diagnostics.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_UTILS_SHAPEUTILS_H
