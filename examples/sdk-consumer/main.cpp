//===- main.cpp - a tool built on the installed attn SDK ------------------===//
//
// Registers the attn dialect and passes with a DialectRegistry and an
// MLIRContext, parses a module holding one attn.sdpa, runs a pass pipeline
// on it (the first argument, attn-lower-to-cpu by default), verifies the
// result and prints what is left.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/InitAll.h"
#include "attn/Version.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

static const char *const kModule = R"mlir(
func.func @attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>,
                     %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>}
      : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
      -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
)mlir";

int main(int argc, char **argv) {
  // Passes to run on the module, in the textual form of attn-opt's
  // --pass-pipeline without the builtin.module(...) around it.
  std::string pipeline = argc > 1 ? argv[1] : "attn-lower-to-cpu";

  // The attn dialect plus the upstream dialects, extensions and interface
  // models its pipelines need; then attn's passes and pipelines (and the
  // upstream passes) in the global registry that parsePassPipeline reads.
  mlir::DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);
  mlir::attn::registerAllPasses();
  mlir::MLIRContext context(registry);

  llvm::outs() << "attn SDK " << ATTN_VERSION_STRING << "\n";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModule, &context);
  if (!module) {
    llvm::errs() << "error: the attn.sdpa module did not parse\n";
    return 1;
  }
  int sdpaOps = 0;
  module->walk([&](mlir::attn::SdpaOp) { ++sdpaOps; });
  llvm::outs() << "attn.sdpa ops before: " << sdpaOps << "\n";

  auto pm = mlir::PassManager::on<mlir::ModuleOp>(&context);
  if (mlir::failed(mlir::parsePassPipeline(pipeline, pm, llvm::errs()))) {
    llvm::errs() << "error: cannot parse the pipeline '" << pipeline << "'\n";
    return 1;
  }
  if (mlir::failed(pm.run(*module))) {
    llvm::errs() << "error: the pipeline '" << pipeline << "' failed\n";
    return 1;
  }
  if (mlir::failed(mlir::verify(*module))) {
    llvm::errs() << "error: the result does not verify\n";
    return 1;
  }

  int attnOps = 0;
  module->walk([&](mlir::Operation *op) {
    if (llvm::isa<mlir::attn::AttnDialect>(op->getDialect()))
      ++attnOps;
  });
  int llvmFuncs = 0;
  module->walk([&](mlir::LLVM::LLVMFuncOp) { ++llvmFuncs; });
  llvm::outs() << "after " << pipeline << ": attn ops " << attnOps
               << ", llvm.func ops " << llvmFuncs << "\n";
  return 0;
}
