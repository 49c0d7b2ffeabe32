//===- NVVMKernelABI.cpp - kernel ABI details after convert-gpu-to-nvvm ---===//
//
// convert-gpu-to-nvvm drops argument attributes such as `llvm.byval`, and the
// NVVM dialect accepts `nvvm.grid_constant` only on arguments of an
// llvm.func kernel: this pass sets both on the arguments an
// `attn.tensor_map_args` attribute names, once the kernels are llvm.funcs.
// It also declares the dynamic shared memory `.extern` (convert-gpu-to-nvvm
// makes it an internal zero-sized global, which the NVPTX backend demotes to
// a one-byte static variable).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::attn {
#define GEN_PASS_DEF_NVVMKERNELABIPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Bytes of a CUtensorMap and its alignment.
constexpr int64_t kTensorMapBytes = 128;
constexpr int64_t kTensorMapAlign = 64;

/// Alignment of the dynamic shared memory: the 128-byte swizzle atoms of
/// TMA and wgmma tiles are 1024 bytes.
constexpr int64_t kDynamicSharedAlign = 1024;

struct NVVMKernelABIPass
    : attn::impl::NVVMKernelABIPassBase<NVVMKernelABIPass> {
  using NVVMKernelABIPassBase::NVVMKernelABIPassBase;

  void runOnOperation() override {
    // The dynamic shared memory symbol: a zero-sized shared global.
    getOperation()->walk([&](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() != 3 || !array || array.getNumElements() != 0)
        return;
      global.setLinkage(LLVM::Linkage::External);
      global.setAlignment(std::max<uint64_t>(global.getAlignment().value_or(1),
                                             kDynamicSharedAlign));
    });
    WalkResult result = getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      auto indices = func->getAttrOfType<DenseI64ArrayAttr>(kTensorMapArgsAttr);
      if (!indices)
        return WalkResult::advance();
      if (!func->hasAttr(NVVM::NVVMDialect::getKernelFuncAttrName())) {
        func.emitOpError() << "has '" << kTensorMapArgsAttr
                           << "' but is not an NVVM kernel";
        return WalkResult::interrupt();
      }
      Builder b(func.getContext());
      unsigned numArgs = func.getNumArguments();
      for (int64_t i : indices.asArrayRef()) {
        if (i < 0 || i >= static_cast<int64_t>(numArgs) ||
            !isa<LLVM::LLVMPointerType>(func.getArgument(i).getType())) {
          func.emitOpError() << "'" << kTensorMapArgsAttr << "' names argument "
                             << i << ", which is not a pointer argument";
          return WalkResult::interrupt();
        }
        func.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(),
                        TypeAttr::get(LLVM::LLVMArrayType::get(
                            b.getI8Type(), kTensorMapBytes)));
        func.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                        b.getI64IntegerAttr(kTensorMapAlign));
        func.setArgAttr(i, NVVM::NVVMDialect::getGridConstantAttrName(),
                        b.getUnitAttr());
      }
      func->removeAttr(kTensorMapArgsAttr);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
