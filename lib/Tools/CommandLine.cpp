//===- CommandLine.cpp - options and version shared by attn tools ---------===//

#include "attn/Tools/CommandLine.h"
#include "attn/Version.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

const char *attn::getVersionString() { return ATTN_VERSION_STRING; }

const char *attn::getGitDescribe() { return ATTN_GIT_DESCRIBE; }

const char *attn::getLLVMVersionString() { return LLVM_VERSION_STRING; }

std::string attn::getVersionLine() {
#if ATTN_HAS_GIT_DESCRIBE
  return "attn version " ATTN_VERSION_STRING " (git " ATTN_GIT_DESCRIBE ")";
#else
  return "attn version " ATTN_VERSION_STRING;
#endif
}

void attn::registerVersionPrinter() {
  llvm::cl::AddExtraVersionPrinter(
      [](llvm::raw_ostream &os) { os << getVersionLine() << "\n"; });
}

void attn::registerMLIRCLOptions() {
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
}

void attn::hideUnrelatedOptions(llvm::cl::OptionCategory &toolCategory) {
  static llvm::cl::OptionCategory mlirCategory(
      "MLIR options", "The --mlir-* options of attn-opt");
  for (auto &entry : llvm::cl::getRegisteredOptions())
    if (entry.first.starts_with("mlir-"))
      entry.second->addCategory(mlirCategory);
  llvm::cl::HideUnrelatedOptions({&toolCategory, &mlirCategory});
}

LogicalResult mlir::attn::applyMLIRPassManagerOptions(PassManager &pm,
                                                      StringRef tool) {
  if (succeeded(applyPassManagerCLOptions(pm)))
    return success();
  llvm::errs() << tool
               << ": error: cannot apply the --mlir-* pass manager options\n";
  return failure();
}
