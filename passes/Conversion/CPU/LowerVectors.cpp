//===- LowerVectors.cpp - the attn-cpu-lower-vectors pass -----------------===//
//
// Lowers the n-D vector ops that attn-cpu-vectorize produces (contractions,
// multi-reductions, transposes, ...) to 1-D vector ops that
// convert-vector-to-llvm turns into SIMD instructions, and math.exp2 on f32
// to a polynomial (LLVM would call libm's exp2f once per element).
//
//===----------------------------------------------------------------------===//

#include "DotContraction.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/Transforms.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CPULOWERVECTORSPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A bound on the number of rewrites of the greedy driver, so that patterns
/// that undo each other cannot hang the compiler (not converging leaves
/// valid IR that convert-vector-to-llvm still lowers).
static constexpr int64_t kMaxRewrites = 20000;

static GreedyRewriteConfig boundedConfig() {
  GreedyRewriteConfig config;
  config.setMaxNumRewrites(kMaxRewrites);
  return config;
}

/// math.exp2 on f32 (scalar or vector) as a polynomial, so that it stays
/// in vector registers: 2^x = 2^f · 2^n with n = x rounded to the nearest
/// integer, f = x - n in [-0.5, 0.5] and 2^f = 1 + f · P(f) (the degree-5
/// minimax polynomial of Cephes' exp2f; at most 1.2 ulp from the exact
/// value). 2^n is applied as two powers of two built in the exponent field,
/// 2^(n/2) and 2^(n - n/2), so that results between 2^-149 and 2^128 round
/// correctly through the subnormals. x is clamped to [-151, 128] first:
/// -inf (a masked score) gives exactly 0, +inf gives +inf, NaN stays NaN.
///
/// With `scalef` (AVX-512), a vector of a multiple of 16 lanes takes 2^n by
/// `vscalefps` instead, 16 lanes at a time: y · 2^n in one rounding, correct
/// through the subnormals too, where the exponent-field construction takes
/// a conversion to integers, two shifts, a subtraction, two additions and
/// two multiplications.
struct Exp2Polynomial : OpRewritePattern<math::Exp2Op> {
  Exp2Polynomial(MLIRContext *ctx, bool scalef)
      : OpRewritePattern(ctx), scalef(scalef) {}
  bool scalef;

  LogicalResult matchAndRewrite(math::Exp2Op op,
                                PatternRewriter &rw) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    Location loc = op.getLoc();
    auto vecType = dyn_cast<VectorType>(type);
    if (vecType && vecType.isScalable())
      return failure();
    Type intType = rw.getI32Type();
    if (vecType)
      intType = vecType.clone(intType);
    auto splat = [&](Type t, Attribute scalar) -> Value {
      auto typed = cast<TypedAttr>(scalar);
      if (auto vt = dyn_cast<VectorType>(t))
        typed = SplatElementsAttr::get(vt, scalar);
      return arith::ConstantOp::create(rw, loc, t, typed);
    };
    auto f = [&](float v) { return splat(type, rw.getF32FloatAttr(v)); };
    auto i = [&](int32_t v) { return splat(intType, rw.getI32IntegerAttr(v)); };

    Value x = op.getOperand();
    // vscalefps takes the exponent as a float (NaN gives NaN); the
    // exponent-field construction converts it to an integer.
    bool byScalef = scalef && vecType && vecType.getRank() == 1 &&
                    vecType.getNumElements() % 16 == 0;
    // NaN-propagating clamp for the fraction; for an integer exponent, a
    // NaN-dropping one (no poison from converting NaN to an integer).
    Value xc = arith::MinimumFOp::create(
        rw, loc, arith::MaximumFOp::create(rw, loc, x, f(-151.0f)), f(128.0f));
    Value xn = byScalef ? xc
                        : arith::MinNumFOp::create(
                              rw, loc,
                              arith::MaxNumFOp::create(rw, loc, x, f(-151.0f)),
                              f(128.0f));
    Value n = math::RoundEvenOp::create(rw, loc, xn);
    Value frac = arith::SubFOp::create(rw, loc, xc, n);
    static constexpr float kP[] = {
        1.535336188319500e-4f, 1.339887440266574e-3f, 9.618437357674640e-3f,
        5.550332471162809e-2f, 2.402264791363012e-1f, 6.931472028550421e-1f};
    Value p = f(kP[0]);
    for (float c : ArrayRef<float>(kP).drop_front())
      p = math::FmaOp::create(rw, loc, p, frac, f(c));
    Value y = math::FmaOp::create(rw, loc, frac, p, f(1.0f));
    if (byScalef) {
      auto lanes = VectorType::get({16}, rw.getF32Type());
      Value allLanes = arith::ConstantOp::create(rw, loc, rw.getI16Type(),
                                                 rw.getI16IntegerAttr(-1));
      // _MM_FROUND_CUR_DIRECTION: the current rounding mode.
      Value rounding = arith::ConstantOp::create(rw, loc, rw.getI32Type(),
                                                 rw.getI32IntegerAttr(4));
      Value result = f(0.0f);
      for (int64_t k = 0; k < vecType.getNumElements(); k += 16) {
        auto slice = [&](Value v) -> Value {
          return vector::ExtractStridedSliceOp::create(
              rw, loc, v, ArrayRef<int64_t>{k}, ArrayRef<int64_t>{16},
              ArrayRef<int64_t>{1});
        };
        // The op's operands go to llvm.x86.avx512.mask.scalef.ps.512 in
        // order, i.e. as (value, exponent, pass-through): y · 2^n.
        Value yk = slice(y);
        Value scaled = x86vector::MaskScaleFOp::create(
            rw, loc, lanes, yk, slice(n), yk, allLanes, rounding);
        result = vector::InsertStridedSliceOp::create(rw, loc, scaled, result,
                                                      ArrayRef<int64_t>{k},
                                                      ArrayRef<int64_t>{1});
      }
      rw.replaceOp(op, result);
      return success();
    }
    Value ni = arith::FPToSIOp::create(rw, loc, intType, n);
    Value n1 = arith::ShRSIOp::create(rw, loc, ni, i(1));
    Value n2 = arith::SubIOp::create(rw, loc, ni, n1);
    auto pow2 = [&](Value e) -> Value {
      Value bits = arith::ShLIOp::create(
          rw, loc, arith::AddIOp::create(rw, loc, e, i(127)), i(23));
      return arith::BitcastOp::create(rw, loc, type, bits);
    };
    Value r = arith::MulFOp::create(rw, loc, y, pow2(n1));
    rw.replaceOpWithNewOp<arith::MulFOp>(op, r, pow2(n2));
    return success();
  }
};

/// arith.extf of a bf16 vector to f32 as integer ops: a bf16 value is the
/// upper half of the f32 with the same bits, so widening is a shift of its
/// 16 bits into the upper half (exact, as extf is). Without AVX512-BF16 the
/// x86 backend otherwise widens element by element (the bf16 flash tiles
/// widened to f32 ran 1.4x slower than f32 ones).
struct BF16ExtAsShift : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rw) const override {
    auto from = dyn_cast<VectorType>(op.getIn().getType());
    auto to = dyn_cast<VectorType>(op.getType());
    if (!from || !to || !from.getElementType().isBF16() ||
        !to.getElementType().isF32())
      return failure();
    Location loc = op.getLoc();
    VectorType i16 = from.clone(rw.getI16Type());
    VectorType i32 = from.clone(rw.getI32Type());
    Value bits = arith::BitcastOp::create(rw, loc, i16, op.getIn());
    Value wide = arith::ExtUIOp::create(rw, loc, i32, bits);
    Value sixteen = arith::ConstantOp::create(
        rw, loc, DenseElementsAttr::get(i32, rw.getI32IntegerAttr(16)));
    Value shifted = arith::ShLIOp::create(rw, loc, wide, sixteen);
    rw.replaceOpWithNewOp<arith::BitcastOp>(op, to, shifted);
    return success();
  }
};

/// `vector.transpose` of an 8 x 8 f32 vector as the 24 shuffles of the AVX
/// 8 x 8 transpose (unpacklo/hi of row pairs, shufps of those, vperm2f128
/// of the halves), all `vector.shuffle`s of two 8-lane rows that the x86
/// backend selects as single instructions; the element-by-element lowering
/// takes 64 extracts and inserts. (Upstream's x86vector variant blends with
/// inline assembly, which the JIT cannot assemble.)
struct Transpose8x8F32 : OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransposeOp op,
                                PatternRewriter &rw) const override {
    VectorType type = op.getSourceVectorType();
    if (type.getShape() != ArrayRef<int64_t>{8, 8} ||
        !type.getElementType().isF32() || type.isScalable() ||
        op.getPermutation() != ArrayRef<int64_t>{1, 0})
      return failure();
    namespace intrin = x86vector::avx2::intrin;
    using Mask = x86vector::MaskHelper;
    ImplicitLocOpBuilder ib(op.getLoc(), rw);
    Value rows[8];
    for (int64_t i = 0; i < 8; ++i)
      rows[i] = vector::ExtractOp::create(ib, op.getVector(), i);
    Value t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = intrin::mm256UnpackLoPs(ib, rows[i], rows[i + 1]);
      t[i + 1] = intrin::mm256UnpackHiPs(ib, rows[i], rows[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      u[i] = intrin::mm256ShufflePs(ib, t[i], t[i + 2],
                                    Mask::shuffle<1, 0, 1, 0>());
      u[i + 1] = intrin::mm256ShufflePs(ib, t[i], t[i + 2],
                                        Mask::shuffle<3, 2, 3, 2>());
      u[i + 2] = intrin::mm256ShufflePs(ib, t[i + 1], t[i + 3],
                                        Mask::shuffle<1, 0, 1, 0>());
      u[i + 3] = intrin::mm256ShufflePs(ib, t[i + 1], t[i + 3],
                                        Mask::shuffle<3, 2, 3, 2>());
    }
    Value result = arith::ConstantOp::create(
        ib, type, DenseElementsAttr::get(type, ib.getF32FloatAttr(0.0f)));
    for (int i = 0; i < 4; ++i) {
      Value lo = intrin::mm256Permute2f128Ps(ib, u[i], u[i + 4],
                                             Mask::permute<2, 0>());
      Value hi = intrin::mm256Permute2f128Ps(ib, u[i], u[i + 4],
                                             Mask::permute<3, 1>());
      result = vector::InsertOp::create(ib, lo, result, i);
      result = vector::InsertOp::create(ib, hi, result, i + 4);
    }
    rw.replaceOp(op, result);
    return success();
  }
};

/// `vector.transpose` of the two innermost dimensions of a vector whose
/// other dimensions are all 1 (`vector<1x8x8xf32>`, a tile of a transpose
/// of rank 3) as the same transpose of the 2-D vector between two
/// shape_casts, so that Transpose8x8F32 lowers it.
struct TransposeDropLeadingUnitDims : OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransposeOp op,
                                PatternRewriter &rw) const override {
    VectorType type = op.getSourceVectorType();
    int64_t rank = type.getRank();
    ArrayRef<int64_t> perm = op.getPermutation();
    if (rank <= 2 || type.isScalable() || perm[rank - 2] != rank - 1 ||
        perm[rank - 1] != rank - 2)
      return failure();
    for (int64_t i = 0; i + 2 < rank; ++i)
      if (perm[i] != i || type.getDimSize(i) != 1)
        return failure();
    auto flat =
        VectorType::get(type.getShape().take_back(2), type.getElementType());
    Location loc = op.getLoc();
    Value src = vector::ShapeCastOp::create(rw, loc, flat, op.getVector());
    Value t =
        vector::TransposeOp::create(rw, loc, src, ArrayRef<int64_t>{1, 0});
    rw.replaceOpWithNewOp<vector::ShapeCastOp>(op, op.getResultVectorType(), t);
    return success();
  }
};

struct CPULowerVectorsPass
    : attn::impl::CPULowerVectorsPassBase<CPULowerVectorsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Operation *root = getOperation();

    // 0. exp2 as a polynomial (vector math stays in vector registers), bf16
    // widened by shifts.
    {
      RewritePatternSet patterns(ctx);
      patterns.add<Exp2Polynomial>(ctx, avx512);
      patterns.add<BF16ExtAsShift>(ctx);
      (void)applyPatternsGreedily(root, std::move(patterns), boundedConfig());
    }
    // 1. Contractions to outer products (then FMAs), with the transfers'
    // permutation maps made minor identities and unit dims dropped.
    {
      RewritePatternSet patterns(ctx);
      populateDotContractionLoweringPatterns(patterns);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::populateSinkVectorOpsPatterns(patterns);
      // 0-D and one-element transfers become memref.load/store.
      vector::populateScalarVectorTransferLoweringPatterns(
          patterns, /*benefit=*/2, /*allowMultipleUses=*/true);
      (void)applyPatternsGreedily(root, std::move(patterns), boundedConfig());
    }
    // 2. Everything else that is n-D to 1-D.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerReduction);
      // 8 x 8 f32 transposes (the K tiles of Q·Kᵀ, transposed per 8 x 8
      // block by attn-cpu-vectorize) as unpack/shuffle/permute sequences;
      // any other transpose element by element.
      patterns.add<Transpose8x8F32, TransposeDropLeadingUnitDims>(
          ctx, /*benefit=*/10);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorGatherLoweringPatterns(patterns);
      vector::populateVectorStepLoweringPatterns(patterns);
      populateDotContractionLoweringPatterns(patterns);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      (void)applyPatternsGreedily(root, std::move(patterns), boundedConfig());
    }
  }
};

} // namespace
