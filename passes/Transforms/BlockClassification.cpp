//===- BlockClassification.cpp - flash tiling block classes ---------------===//

#include "BlockClassification.h"

using namespace mlir::attn;

std::vector<KVTileRanges<int64_t>> mlir::attn::classify(int64_t tileQ,
                                                        int64_t tileKV,
                                                        int64_t sq, int64_t sk,
                                                        const MaskShape &mask) {
  std::vector<KVTileRanges<int64_t>> result;
  if (tileQ <= 0 || tileKV <= 0 || sq <= 0 || sk < 0)
    return result;
  IntDomain dom;
  int64_t offset = mask.bottomRight ? sk - sq : 0;
  for (int64_t q0 = 0; q0 < sq; q0 += tileQ) {
    int64_t q1 = q0 + tileQ < sq ? q0 + tileQ : sq;
    result.push_back(classifyKVTiles(dom, mask, tileKV, q0, q1, sk, offset));
  }
  return result;
}
