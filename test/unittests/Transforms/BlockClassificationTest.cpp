//===- BlockClassificationTest.cpp - flash tiling block classes -----------===//
//
// Checks the compile-time block classification of attn-flash-tile against a
// brute force over MaskAttr::isVisible, the definition of `#attn.mask`.
//
//===----------------------------------------------------------------------===//

#include "BlockClassification.h"

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <random>
#include <sstream>

using namespace mlir;
using namespace mlir::attn;

namespace {

class BlockClassificationTest : public ::testing::Test {
protected:
  BlockClassificationTest() { context.loadDialect<AttnDialect>(); }

  MaskAttr toAttr(const MaskShape &m) {
    return MaskAttr::get(&context, m.causal,
                         m.bottomRight ? MaskAlign::BottomRight
                                       : MaskAlign::TopLeft,
                         m.windowLeft, m.windowRight);
  }

  /// Compares `classify` with the visibility of every element of every block.
  void checkAgainstBruteForce(int64_t tileQ, int64_t tileKV, int64_t sq,
                              int64_t sk, const MaskShape &m) {
    MaskAttr attr = toAttr(m);
    std::ostringstream what;
    what << "tileQ=" << tileQ << " tileKV=" << tileKV << " sq=" << sq
         << " sk=" << sk << " causal=" << m.causal
         << " bottomRight=" << m.bottomRight << " wl=" << m.windowLeft
         << " wr=" << m.windowRight;
    SCOPED_TRACE(what.str());
    std::vector<KVTileRanges<int64_t>> classes =
        classify(tileQ, tileKV, sq, sk, m);
    int64_t numQTiles = (sq + tileQ - 1) / tileQ;
    int64_t numKVTiles = (sk + tileKV - 1) / tileKV;
    ASSERT_EQ(static_cast<int64_t>(classes.size()), numQTiles);
    for (int64_t qt = 0; qt < numQTiles; ++qt) {
      const KVTileRanges<int64_t> &c = classes[qt];
      ASSERT_LE(c.visBegin, c.fullBegin) << "query tile " << qt;
      ASSERT_LE(c.fullBegin, c.fullEnd) << "query tile " << qt;
      ASSERT_LE(c.fullEnd, c.visEnd) << "query tile " << qt;
      if (c.visBegin < c.visEnd) {
        ASSERT_GE(c.visBegin, 0);
        ASSERT_LE(c.visEnd, numKVTiles);
      }
      int64_t q0 = qt * tileQ, q1 = std::min(q0 + tileQ, sq);
      for (int64_t kt = 0; kt < numKVTiles; ++kt) {
        int64_t k0 = kt * tileKV, k1 = std::min(k0 + tileKV, sk);
        int64_t visible = 0, total = (q1 - q0) * (k1 - k0);
        for (int64_t i = q0; i < q1; ++i)
          for (int64_t j = k0; j < k1; ++j)
            visible += attr.isVisible(i, j, sq, sk);
        bool inVisible = kt >= c.visBegin && kt < c.visEnd;
        bool inFull = kt >= c.fullBegin && kt < c.fullEnd;
        // Exact: a skipped tile has no visible element, a tile in range has
        // one; a tile classified full has all of them visible, and a fully
        // visible tile is classified full.
        EXPECT_EQ(inVisible, visible > 0)
            << "query tile " << qt << ", key tile " << kt << ": " << visible
            << "/" << total << " visible";
        EXPECT_EQ(inFull, visible == total)
            << "query tile " << qt << ", key tile " << kt << ": " << visible
            << "/" << total << " visible";
      }
    }
  }

  MLIRContext context;
};

TEST_F(BlockClassificationTest, CausalSquareTail) {
  // Sq = Sk = 17, tiles of 8: query tile 0 sees key tile 0 (partial), tile 1
  // sees tile 0 (full) and 1 (partial), tile 2 (row 16) sees 0, 1 fully and
  // 2 (key 16, the diagonal) fully as well.
  MaskShape causal{/*causal=*/true, /*bottomRight=*/false, -1, -1};
  std::vector<KVTileRanges<int64_t>> c = classify(8, 8, 17, 17, causal);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].visBegin, 0);
  EXPECT_EQ(c[0].fullBegin, 0);
  EXPECT_EQ(c[0].fullEnd, 0);
  EXPECT_EQ(c[0].visEnd, 1);
  EXPECT_EQ(c[1].visBegin, 0);
  EXPECT_EQ(c[1].fullBegin, 0);
  EXPECT_EQ(c[1].fullEnd, 1);
  EXPECT_EQ(c[1].visEnd, 2);
  EXPECT_EQ(c[2].visBegin, 0);
  EXPECT_EQ(c[2].fullBegin, 0);
  EXPECT_EQ(c[2].fullEnd, 3);
  EXPECT_EQ(c[2].visEnd, 3);
  checkAgainstBruteForce(8, 8, 17, 17, causal);
}

TEST_F(BlockClassificationTest, SlidingWindowSkipsLeadingTiles) {
  // Window of 4 keys to the left (and none to the right), 64 x 64 in tiles of
  // 16: query tile 3 (rows 48..63) sees keys 44..63: key tile 2 partially,
  // tile 3 partially, tiles 0 and 1 not at all.
  MaskShape window{/*causal=*/true, /*bottomRight=*/false, 4, -1};
  std::vector<KVTileRanges<int64_t>> c = classify(16, 16, 64, 64, window);
  ASSERT_EQ(c.size(), 4u);
  // No fully visible tile: the empty full range sits at the end.
  EXPECT_EQ(c[3].visBegin, 2);
  EXPECT_EQ(c[3].fullBegin, 4);
  EXPECT_EQ(c[3].fullEnd, 4);
  EXPECT_EQ(c[3].visEnd, 4);
  checkAgainstBruteForce(16, 16, 64, 64, window);
}

TEST_F(BlockClassificationTest, BottomRightDecodeSeesEverything) {
  // One query, bottom-right causal: the query is the last position and sees
  // all 1000 keys, every tile full.
  MaskShape br{/*causal=*/true, /*bottomRight=*/true, -1, -1};
  std::vector<KVTileRanges<int64_t>> c = classify(64, 64, 1, 1000, br);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].visBegin, 0);
  EXPECT_EQ(c[0].fullBegin, 0);
  EXPECT_EQ(c[0].fullEnd, 16);
  EXPECT_EQ(c[0].visEnd, 16);
  checkAgainstBruteForce(64, 64, 1, 1000, br);
}

TEST_F(BlockClassificationTest, NoVisibleKeys) {
  // A bottom-right causal mask with Sq > Sk hides every key from the first
  // Sq - Sk rows: query tiles 0 and 1 (rows 0..7) are skipped entirely.
  MaskShape br{/*causal=*/true, /*bottomRight=*/true, -1, -1};
  std::vector<KVTileRanges<int64_t>> c = classify(4, 4, 12, 3, br);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].visBegin, c[0].visEnd);
  EXPECT_EQ(c[1].visBegin, c[1].visEnd);
  checkAgainstBruteForce(4, 4, 12, 3, br);
  // A window entirely to the right of the keys.
  MaskShape right{/*causal=*/false, /*bottomRight=*/false, 0, 2};
  checkAgainstBruteForce(4, 4, 12, 3, right);
}

TEST_F(BlockClassificationTest, FullMaskIsAllFull) {
  MaskShape full;
  std::vector<KVTileRanges<int64_t>> c = classify(64, 64, 113, 1000, full);
  ASSERT_EQ(c.size(), 2u);
  for (const KVTileRanges<int64_t> &r : c) {
    EXPECT_EQ(r.visBegin, 0);
    EXPECT_EQ(r.fullBegin, 0);
    EXPECT_EQ(r.fullEnd, 16);
    EXPECT_EQ(r.visEnd, 16);
  }
}

TEST_F(BlockClassificationTest, InvalidSizesGiveNoTiles) {
  MaskShape causal{true, false, -1, -1};
  EXPECT_TRUE(classify(0, 8, 17, 17, causal).empty());
  EXPECT_TRUE(classify(8, -1, 17, 17, causal).empty());
  EXPECT_TRUE(classify(8, 8, 0, 17, causal).empty());
}

TEST_F(BlockClassificationTest, RandomShapesMatchBruteForce) {
  std::mt19937_64 rng(20240611);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 600; ++iter) {
    int64_t sq = pick(1, 70), sk = pick(1, 70);
    int64_t tileQ = pick(1, 20), tileKV = pick(1, 20);
    MaskShape m;
    m.causal = pick(0, 1);
    m.bottomRight = pick(0, 1);
    m.windowLeft = pick(0, 2) == 0 ? -1 : pick(0, 30);
    // The verifier keeps window_right <= 0 with causal.
    m.windowRight = pick(0, 2) == 0 ? -1 : (m.causal ? 0 : pick(0, 30));
    checkAgainstBruteForce(tileQ, tileKV, sq, sk, m);
    if (HasFatalFailure() || HasFailure())
      return;
  }
}

TEST_F(BlockClassificationTest, LongSequencesMatchBruteForce) {
  // Shapes of the lit tests (tails of 113 and 1000 keys).
  for (bool br : {false, true})
    for (int64_t wl : {-1, 0, 100})
      for (bool causal : {false, true}) {
        MaskShape m{causal, br, wl, causal ? -1 : 37};
        checkAgainstBruteForce(64, 64, 113, 1000, m);
        checkAgainstBruteForce(16, 32, 1000, 113, m);
      }
}

} // namespace
