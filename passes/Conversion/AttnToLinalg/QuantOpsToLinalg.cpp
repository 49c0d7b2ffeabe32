//===- QuantOpsToLinalg.cpp - lower quant attn ops to linalg --------------===//
//
// attn.quantize and attn.dequantize become one elementwise linalg.generic
// each. The scale and zero point are read through an indexing map that
// follows the granularity (per tensor: `()` or `(0)`, per head: `(d_axis)`,
// per token: every dim but the last).
//
// LLVM has no FP8 types, so `arith.truncf`/`arith.extf` to and from
// f8E4M3FN/f8E5M2 do not lower on the CPU. The FP8 codes are computed here
// on the integer bit pattern of the f32 (f64) value and moved in and out of
// the FP8 type with `arith.bitcast`, which lowers to a no-op on i8:
//
//   encode (round to nearest even, saturate, NaN stays NaN):
//     a      = |bits|                            (sign bit cleared)
//     normal = (a + (half - 1) + lsb) >> shift   (RNE on the dropped bits)
//              - ((bias_src - bias_f8) << M)     (rebias the exponent)
//     sub    = roundeven(|v| * 2^(bias_f8 - 1 + M))  (f8 subnormals, exact)
//     code   = a < min_normal ? sub : normal; code = min(code, max_code)
//   decode:
//     e == 0  : m * 2^(1 - bias_f8 - M)
//     else    : bits (e - bias_f8 + 127) << 23 | m << (23 - M) of an f32
//     specials: e4m3fn S.1111.111 is NaN; e5m2 S.11111.00 is inf, other
//               S.11111.xx are NaN.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;

/// Parameters of an FP8 format.
struct Fp8Format {
  int mantissaBits;
  int exponentBits;
  int bias;
  int64_t maxCode; // largest finite magnitude code
  int64_t nanCode; // the NaN code produced for NaN inputs (sign added)
};

Fp8Format getFp8Format(QuantScheme scheme) {
  if (scheme == QuantScheme::Fp8E4M3)
    return {/*mantissaBits=*/3, /*exponentBits=*/4, /*bias=*/7,
            /*maxCode=*/0x7E, /*nanCode=*/0x7F};
  return {/*mantissaBits=*/2, /*exponentBits=*/5, /*bias=*/15,
          /*maxCode=*/0x7B, /*nanCode=*/0x7E};
}

Value intConst(OpBuilder &b, Location loc, Type type, int64_t value) {
  return arith::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, value));
}

/// The indexing map of the scale (and zero point) of a tensor of rank `rank`.
AffineMap getScaleMap(MLIRContext *ctx, QuantAttr quant, int64_t rank,
                      RankedTensorType scaleType) {
  switch (quant.getGranularity()) {
  case QuantGranularity::PerTensor:
    if (scaleType.getRank() == 0)
      return AffineMap::get(rank, 0, ctx);
    return AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
  case QuantGranularity::PerHead:
    return AffineMap::get(rank, 0, {getAffineDimExpr(quant.getAxis(), ctx)},
                          ctx);
  case QuantGranularity::PerToken: {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d + 1 < rank; ++d)
      exprs.push_back(getAffineDimExpr(d, ctx));
    return AffineMap::get(rank, 0, exprs, ctx);
  }
  }
  return {};
}

/// Encodes the float `v` (f32 or f64) as an FP8 code in an i8.
Value encodeFp8(OpBuilder &b, Location loc, Value v, const Fp8Format &f8) {
  auto floatType = cast<FloatType>(v.getType());
  unsigned width = floatType.getWidth();
  int srcMantissa = floatType.getFPMantissaWidth() - 1;
  int srcBias = width == 64 ? 1023 : 127;
  Type intType = b.getIntegerType(width);
  Type i8 = b.getI8Type();
  auto c = [&](int64_t value) { return intConst(b, loc, intType, value); };
  using P = arith::CmpIPredicate;

  Value bits = arith::BitcastOp::create(b, loc, intType, v);
  int64_t signMask = static_cast<int64_t>(uint64_t(1) << (width - 1));
  Value a = arith::AndIOp::create(b, loc, bits, c(~signMask));
  Value negative = arith::CmpIOp::create(b, loc, P::slt, bits, c(0));

  // Normal f8 values: round to nearest even on the dropped mantissa bits.
  int shift = srcMantissa - f8.mantissaBits;
  Value lsb = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, a, c(shift)), c(1));
  Value rounded = arith::AddIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, a, c((int64_t(1) << (shift - 1)) - 1)),
      lsb);
  Value normal = arith::SubIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, rounded, c(shift)),
      c(int64_t(srcBias - f8.bias) << f8.mantissaBits));

  // Subnormal f8 values: |v| scaled to units of the smallest subnormal.
  Value absV = math::AbsFOp::create(b, loc, v);
  Value units = math::RoundEvenOp::create(
      b, loc,
      arith::MulFOp::create(
          b, loc, absV,
          floatConst(b, loc, floatType,
                     std::ldexp(1.0, f8.bias - 1 + f8.mantissaBits))));
  Value sub = arith::FPToSIOp::create(b, loc, intType, units);
  int64_t minNormal = int64_t(srcBias + 1 - f8.bias) << srcMantissa;
  Value isSub = arith::CmpIOp::create(b, loc, P::slt, a, c(minNormal));
  Value code = arith::SelectOp::create(b, loc, isSub, sub, normal);
  code = arith::MinSIOp::create(b, loc, code, c(f8.maxCode));

  // NaN stays NaN.
  int64_t expMask = ((int64_t(1) << (width - 1 - srcMantissa)) - 1)
                    << srcMantissa;
  Value isNan = arith::CmpIOp::create(b, loc, P::sgt, a, c(expMask));
  code = arith::SelectOp::create(b, loc, isNan, c(f8.nanCode), code);

  Value code8 = arith::TruncIOp::create(b, loc, i8, code);
  Value signBit = arith::SelectOp::create(
      b, loc, negative, intConst(b, loc, i8, 0x80), intConst(b, loc, i8, 0));
  return arith::OrIOp::create(b, loc, code8, signBit);
}

/// Decodes the FP8 code in the i8 `code` to an f32.
Value decodeFp8(OpBuilder &b, Location loc, Value code, const Fp8Format &f8) {
  Type i32 = b.getI32Type();
  Type f32 = b.getF32Type();
  auto c = [&](int64_t value) { return intConst(b, loc, i32, value); };
  using P = arith::CmpIPredicate;

  Value bits = arith::ExtUIOp::create(b, loc, i32, code);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, bits, c(0x80)), c(24));
  int m = f8.mantissaBits;
  int64_t expAll = (int64_t(1) << f8.exponentBits) - 1;
  Value exp = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, c(m)), c(expAll));
  Value mant = arith::AndIOp::create(b, loc, bits, c((int64_t(1) << m) - 1));

  // Normal: rebias the exponent and widen the mantissa.
  Value normalBits = arith::OrIOp::create(
      b, loc,
      arith::OrIOp::create(
          b, loc, sign,
          arith::ShLIOp::create(
              b, loc, arith::AddIOp::create(b, loc, exp, c(127 - f8.bias)),
              c(23))),
      arith::ShLIOp::create(b, loc, mant, c(23 - m)));
  Value normal = arith::BitcastOp::create(b, loc, f32, normalBits);

  // Subnormal: m * 2^(1 - bias - M), with the sign.
  Value magnitude = arith::MulFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, f32, mant),
      floatConst(b, loc, f32, std::ldexp(1.0, 1 - f8.bias - m)));
  Value negative = arith::CmpIOp::create(b, loc, P::ne, sign, c(0));
  Value subnormal = arith::SelectOp::create(
      b, loc, negative, arith::NegFOp::create(b, loc, magnitude), magnitude);
  Value isSub = arith::CmpIOp::create(b, loc, P::eq, exp, c(0));
  Value value = arith::SelectOp::create(b, loc, isSub, subnormal, normal);

  // Specials.
  Value nan = floatConst(b, loc, f32, std::nan(""));
  Value magnitudeBits = arith::AndIOp::create(b, loc, bits, c(0x7F));
  if (f8.exponentBits == 4) {
    Value isNan = arith::CmpIOp::create(b, loc, P::eq, magnitudeBits, c(0x7F));
    return arith::SelectOp::create(b, loc, isNan, nan, value);
  }
  Value special = arith::CmpIOp::create(b, loc, P::eq, exp, c(expAll));
  Value isInf = arith::CmpIOp::create(b, loc, P::eq, mant, c(0));
  Value inf = arith::BitcastOp::create(
      b, loc, f32, arith::OrIOp::create(b, loc, sign, c(0x7F800000)));
  Value specialValue = arith::SelectOp::create(b, loc, isInf, inf, nan);
  return arith::SelectOp::create(b, loc, special, specialValue, value);
}

/// Builds the elementwise generic shared by quantize and dequantize.
template <typename OpTy>
Value buildQuantGeneric(
    OpBuilder &b, OpTy op, Type resultElementType,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)> compute) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value input = op.getInput();
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  auto scaleType = cast<RankedTensorType>(op.getScale().getType());
  AffineMap scaleMap = getScaleMap(ctx, op.getQuant(), rank, scaleType);

  SmallVector<Value> inputs = {input, op.getScale()};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 scaleMap};
  Value zp = op.getZeroPoint();
  if (zp) {
    inputs.push_back(zp);
    maps.push_back(scaleMap);
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  Value init = tensor::EmptyOp::create(b, loc, sizes, resultElementType);
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  Value result = linalg::GenericOp::create(
                     b, loc, TypeRange{init.getType()}, inputs,
                     ValueRange{init}, maps, iterators,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       Value result = compute(nb, nloc, args[0], args[1],
                                              zp ? args[2] : Value());
                       linalg::YieldOp::create(nb, nloc, result);
                     })
                     .getResult(0);
  // The verifier lets a dynamic result size agree with a static input size.
  Type resultType = op.getResult().getType();
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}

bool isFp8(QuantScheme scheme) {
  return scheme == QuantScheme::Fp8E4M3 || scheme == QuantScheme::Fp8E5M2;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

struct QuantizeOpLowering : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    QuantScheme scheme = op.getQuant().getScheme();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type storage = resultType.getElementType();
    FloatType compute = getComputeType(
        cast<RankedTensorType>(op.getInput().getType()).getElementType());

    auto body = [&](OpBuilder &b, Location loc, Value x, Value scale,
                    Value zp) -> Value {
      // v = x / scale.
      Value v = arith::DivFOp::create(b, loc, castFloat(b, loc, x, compute),
                                      castFloat(b, loc, scale, compute));
      if (isFp8(scheme)) {
        Value code = encodeFp8(b, loc, v, getFp8Format(scheme));
        return arith::BitcastOp::create(b, loc, storage, code);
      }
      // q = clamp(roundeven(v) + zp, -128, 127); NaN gives zp.
      Value zpf = zp ? arith::SIToFPOp::create(b, loc, compute, zp).getResult()
                     : floatConst(b, loc, compute, 0.0);
      Value q = arith::AddFOp::create(
          b, loc, math::RoundEvenOp::create(b, loc, v), zpf);
      Value isNan =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, q, q);
      q = arith::SelectOp::create(b, loc, isNan, zpf, q);
      q = arith::MaximumFOp::create(b, loc, q,
                                    floatConst(b, loc, compute, -128.0));
      q = arith::MinimumFOp::create(b, loc, q,
                                    floatConst(b, loc, compute, 127.0));
      return arith::FPToSIOp::create(b, loc, storage, q);
    };
    rewriter.replaceOp(op, buildQuantGeneric(rewriter, op, storage, body));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

struct DequantizeOpLowering : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    QuantScheme scheme = op.getQuant().getScheme();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elementType = resultType.getElementType();
    FloatType compute = getComputeType(elementType);

    auto body = [&](OpBuilder &b, Location loc, Value q, Value scale,
                    Value zp) -> Value {
      Value real;
      if (isFp8(scheme)) {
        // real = f32(q) * scale.
        Value code = arith::BitcastOp::create(b, loc, b.getI8Type(), q);
        real = castFloat(b, loc, decodeFp8(b, loc, code, getFp8Format(scheme)),
                         compute);
      } else {
        // real = (q - zp) * scale.
        real = arith::SIToFPOp::create(b, loc, compute, q);
        if (zp)
          real = arith::SubFOp::create(
              b, loc, real, arith::SIToFPOp::create(b, loc, compute, zp));
      }
      real = arith::MulFOp::create(b, loc, real,
                                   castFloat(b, loc, scale, compute));
      return castFloat(b, loc, real, elementType);
    };
    rewriter.replaceOp(op, buildQuantGeneric(rewriter, op, elementType, body));
    return success();
  }
};

} // namespace

void mlir::attn::populateQuantOpsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeOpLowering, DequantizeOpLowering>(patterns.getContext());
}
