//===- Registration.cpp - register everything attn tools need -------------===//

#include "attn/InitAll.h"

#include "attn/Conversion/Passes.h"
#include "attn/Conversion/Pipelines.h"
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::attn::registerAllDialects(DialectRegistry &registry) {
  registry.insert<AttnDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates gpu.modules to LLVM IR.
  mlir::registerAllToLLVMIRTranslations(registry);
}

void mlir::attn::registerAllPasses() {
  mlir::registerAllPasses();
  registerAttnPasses();
  registerAttnConversionPasses();
  registerAttnPipelines();
}
