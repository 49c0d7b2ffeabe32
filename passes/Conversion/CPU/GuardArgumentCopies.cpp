//===- GuardArgumentCopies.cpp - the attn-guard-argument-copies pass ------===//
//
// A copy from one argument buffer of a function into another runs only when
// they are different buffers (see the pass description in
// include/attn/Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_GUARDARGUMENTCOPIESPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

struct GuardArgumentCopiesPass
    : attn::impl::GuardArgumentCopiesPassBase<GuardArgumentCopiesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto isArgument = [&](Value v) {
      auto arg = dyn_cast<BlockArgument>(v);
      return arg && arg.getOwner()->isEntryBlock() &&
             arg.getOwner()->getParentOp() == func;
    };
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) {
      auto type = dyn_cast<MemRefType>(copy.getSource().getType());
      // Same type and identity layout: equal start addresses mean the same
      // elements, so the copy would change nothing.
      if (isArgument(copy.getSource()) && isArgument(copy.getTarget()) &&
          type && type == copy.getTarget().getType() &&
          type.getLayout().isIdentity())
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      Location loc = copy.getLoc();
      Value from = memref::ExtractAlignedPointerAsIndexOp::create(
          b, loc, copy.getSource());
      Value to = memref::ExtractAlignedPointerAsIndexOp::create(
          b, loc, copy.getTarget());
      Value differ =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, from, to);
      auto guard = scf::IfOp::create(b, loc, differ, /*withElseRegion=*/false);
      copy->moveBefore(guard.thenBlock()->getTerminator());
    }
  }
};

} // namespace
