//===- ShapeUtils.cpp - attention shape and quantization helpers ----------===//

#include "attn/Dialect/Attn/Utils/ShapeUtils.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

namespace mlir::attn {

static_assert(kDynamicSize == ShapedType::kDynamic,
              "kDynamicSize must match ShapedType::kDynamic");

HeadsDims getHeadsDims(bool bshd, bool varlen) {
  if (varlen)
    return HeadsDims{/*batch=*/-1, /*heads=*/1, /*seq=*/0, /*dim=*/2};
  if (bshd)
    return HeadsDims{/*batch=*/0, /*heads=*/2, /*seq=*/1, /*dim=*/3};
  return HeadsDims{/*batch=*/0, /*heads=*/1, /*seq=*/2, /*dim=*/3};
}

bool sizesAgree(int64_t a, int64_t b) {
  return a == b || a == kDynamicSize || b == kDynamicSize;
}

bool isBroadcastableTo(llvm::ArrayRef<int64_t> from,
                       llvm::ArrayRef<int64_t> to) {
  if (from.size() != to.size())
    return false;
  for (auto [f, t] : llvm::zip_equal(from, to))
    if (f != 1 && !sizesAgree(f, t))
      return false;
  return true;
}

std::optional<int64_t> getGroupSize(int64_t numQHeads, int64_t numKVHeads) {
  if (numQHeads == kDynamicSize || numKVHeads == kDynamicSize)
    return 0;
  if (numQHeads <= 0 || numKVHeads <= 0 || numQHeads % numKVHeads != 0)
    return std::nullopt;
  return numQHeads / numKVHeads;
}

std::optional<llvm::SmallVector<int64_t>>
getScaleShape(llvm::ArrayRef<int64_t> shape, int granularity, int64_t axis,
              std::string &error) {
  switch (granularity) {
  case 0:
    return llvm::SmallVector<int64_t>{};
  case 1: {
    int64_t rank = shape.size();
    if (axis < 0 || axis >= rank) {
      error = "per_head quantization needs an axis in [0, " +
              std::to_string(rank) + "), got " + std::to_string(axis);
      return std::nullopt;
    }
    return llvm::SmallVector<int64_t>{shape[axis]};
  }
  case 2:
    if (shape.empty()) {
      error = "per_token quantization needs a tensor of rank >= 1";
      return std::nullopt;
    }
    return llvm::SmallVector<int64_t>(shape.drop_back());
  default:
    error = "unknown granularity " + std::to_string(granularity);
    return std::nullopt;
  }
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += 'x';
    s += d == kDynamicSize ? std::string("?") : std::to_string(d);
  }
  return s;
}

} // namespace mlir::attn
