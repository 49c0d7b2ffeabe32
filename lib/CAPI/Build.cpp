//===- Build.cpp - build attn attributes, ops and modules from C ----------===//

#include "attn-c/Build.h"

#include "Errors.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using capi::ErrorScope;

namespace {

/// Loads the dialects the builders use.
void loadDialects(MLIRContext *ctx) {
  ctx->getOrLoadDialect<AttnDialect>();
  ctx->getOrLoadDialect<func::FuncDialect>();
}

} // namespace

MlirAttribute attnMaskAttrGet(MlirContext ctx, bool causal, bool bottomRight,
                              int64_t windowLeft, int64_t windowRight) {
  MLIRContext *c = unwrap(ctx);
  loadDialects(c);
  ErrorScope scope(c);
  Location loc = UnknownLoc::get(c);
  return wrap(MaskAttr::getChecked([&] { return emitError(loc); }, c, causal,
                                   bottomRight ? MaskAlign::BottomRight
                                               : MaskAlign::TopLeft,
                                   windowLeft, windowRight));
}

bool attnAttributeIsMask(MlirAttribute attr) {
  return isa<MaskAttr>(unwrap(attr));
}

MlirAttribute attnLayoutAttrGet(MlirContext ctx, AttnLayout layout) {
  MLIRContext *c = unwrap(ctx);
  loadDialects(c);
  return wrap(LayoutAttr::get(c, layout == ATTN_LAYOUT_BSHD ? Layout::BSHD
                                                            : Layout::BHSD));
}

MlirAttribute attnQuantAttrGet(MlirContext ctx, AttnQuantScheme scheme,
                               AttnQuantGranularity granularity, int64_t axis) {
  MLIRContext *c = unwrap(ctx);
  loadDialects(c);
  ErrorScope scope(c);
  std::optional<QuantScheme> s = symbolizeQuantScheme(scheme);
  std::optional<QuantGranularity> g = symbolizeQuantGranularity(granularity);
  if (!s || !g) {
    scope.fail("unknown quantization scheme " + llvm::Twine(int(scheme)) +
               " or granularity " + llvm::Twine(int(granularity)));
    return {nullptr};
  }
  Location loc = UnknownLoc::get(c);
  return wrap(
      QuantAttr::getChecked([&] { return emitError(loc); }, c, *s, *g, axis));
}

void attnSdpaOperandsInit(AttnSdpaOperands *operands) {
  *operands = AttnSdpaOperands();
  operands->layout = ATTN_LAYOUT_BHSD;
}

MlirOperation attnSdpaOpCreate(MlirLocation loc,
                               const AttnSdpaOperands *operands) {
  Location l = unwrap(loc);
  MLIRContext *c = l.getContext();
  loadDialects(c);
  ErrorScope scope(c);
  const AttnSdpaOperands &o = *operands;
  if (mlirValueIsNull(o.query) || mlirValueIsNull(o.key) ||
      mlirValueIsNull(o.value) || mlirTypeIsNull(o.resultType)) {
    scope.fail("attn.sdpa needs a query, key, value and result type");
    return {nullptr};
  }
  if (o.mask.ptr && !isa<MaskAttr>(unwrap(o.mask))) {
    scope.fail("the mask of attn.sdpa is not an #attn.mask attribute");
    return {nullptr};
  }
  auto value = [](MlirValue v) { return v.ptr ? unwrap(v) : Value(); };
  OpBuilder b(c);
  FloatAttr scale = o.hasScale ? b.getF32FloatAttr(o.scale) : FloatAttr();
  FloatAttr softcap =
      o.softcap != 0 ? b.getF32FloatAttr(o.softcap) : FloatAttr();
  auto op = SdpaOp::create(
      b, l, unwrap(o.resultType), o.lseType.ptr ? unwrap(o.lseType) : Type(),
      unwrap(o.query), unwrap(o.key), unwrap(o.value), value(o.bias),
      value(o.attnMask), value(o.alibiSlopes), value(o.kvLens),
      value(o.cuSeqlensQ), value(o.cuSeqlensK), scale, softcap,
      o.mask.ptr ? cast<MaskAttr>(unwrap(o.mask)) : MaskAttr(),
      o.layout == ATTN_LAYOUT_BSHD ? Layout::BSHD : Layout::BHSD);
  if (failed(verify(op))) {
    op->erase();
    return {nullptr};
  }
  return wrap(op.getOperation());
}

void attnSdpaDescInit(AttnSdpaDesc *desc) {
  *desc = AttnSdpaDesc();
  desc->batch = desc->queryHeads = desc->kvHeads = 1;
  desc->queryLen = desc->kvLen = 1;
  desc->headDim = 64;
  desc->elementType = "f32";
  desc->layout = ATTN_LAYOUT_BHSD;
  desc->windowLeft = desc->windowRight = -1;
}

MlirModule attnSdpaModuleCreate(MlirContext ctx, MlirStringRef funcName,
                                const AttnSdpaDesc *desc) {
  MLIRContext *c = unwrap(ctx);
  loadDialects(c);
  ErrorScope scope(c);
  const AttnSdpaDesc &d = *desc;
  StringRef name = unwrap(funcName);
  if (name.empty()) {
    scope.fail("the function needs a name");
    return {nullptr};
  }
  Builder b(c);
  StringRef eltName = d.elementType ? d.elementType : "";
  Type elt = llvm::StringSwitch<Type>(eltName)
                 .Case("f16", b.getF16Type())
                 .Case("bf16", b.getBF16Type())
                 .Case("f32", b.getF32Type())
                 .Case("f64", b.getF64Type())
                 .Default(Type());
  if (!elt) {
    scope.fail("unsupported element type '" + eltName +
               "' (expected f16, bf16, f32 or f64)");
    return {nullptr};
  }
  int64_t dv = d.valueDim ? d.valueDim : d.headDim;
  for (int64_t size :
       {d.batch, d.queryHeads, d.kvHeads, d.queryLen, d.kvLen, d.headDim, dv})
    if (size < 0 || size > std::numeric_limits<int32_t>::max()) {
      scope.fail("sizes must be in [0, 2^31), got " + llvm::Twine(size));
      return {nullptr};
    }
  bool bshd = d.layout == ATTN_LAYOUT_BSHD;
  auto tensor = [&](int64_t heads, int64_t seq, int64_t dim) {
    SmallVector<int64_t> shape =
        bshd ? SmallVector<int64_t>{d.batch, seq, heads, dim}
             : SmallVector<int64_t>{d.batch, heads, seq, dim};
    return RankedTensorType::get(shape, elt);
  };
  SmallVector<Type> args = {tensor(d.queryHeads, d.queryLen, d.headDim),
                            tensor(d.kvHeads, d.kvLen, d.headDim),
                            tensor(d.kvHeads, d.kvLen, dv)};
  if (d.alibi)
    args.push_back(RankedTensorType::get({d.queryHeads}, b.getF32Type()));
  if (d.kvLens)
    args.push_back(RankedTensorType::get({d.batch}, b.getI32Type()));
  SmallVector<Type> results = {tensor(d.queryHeads, d.queryLen, dv)};
  if (d.lse)
    results.push_back(RankedTensorType::get({d.batch, d.queryHeads, d.queryLen},
                                            b.getF32Type()));

  MaskAttr mask;
  if (d.causal || d.windowLeft >= 0 || d.windowRight >= 0 || d.bottomRight) {
    Location unknown = UnknownLoc::get(c);
    mask = MaskAttr::getChecked([&] { return emitError(unknown); }, c, d.causal,
                                d.bottomRight ? MaskAlign::BottomRight
                                              : MaskAlign::TopLeft,
                                d.windowLeft, d.windowRight);
    if (!mask)
      return {nullptr};
  }

  Location loc = NameLoc::get(b.getStringAttr(name));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder ob(c);
  ob.setInsertionPointToEnd(module->getBody());
  auto func =
      func::FuncOp::create(ob, loc, name, b.getFunctionType(args, results));
  Block *body = func.addEntryBlock();
  ob.setInsertionPointToStart(body);
  unsigned next = 3;
  Value slopes = d.alibi ? body->getArgument(next++) : Value();
  Value kvLens = d.kvLens ? body->getArgument(next++) : Value();
  FloatAttr scale = d.scale != 0 ? b.getF32FloatAttr(d.scale) : FloatAttr();
  FloatAttr softcap =
      d.softcap != 0 ? b.getF32FloatAttr(d.softcap) : FloatAttr();
  auto sdpa = SdpaOp::create(ob, loc, results[0], d.lse ? results[1] : Type(),
                             body->getArgument(0), body->getArgument(1),
                             body->getArgument(2), Value(), Value(), slopes,
                             kvLens, Value(), Value(), scale, softcap, mask,
                             bshd ? Layout::BSHD : Layout::BHSD);
  func::ReturnOp::create(ob, loc, sdpa->getResults());
  if (failed(verify(*module)))
    return {nullptr};
  return wrap(module.release());
}
