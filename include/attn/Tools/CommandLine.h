//===- CommandLine.h - options and version shared by attn tools -*- C++ -*-===//
//
// What attn-opt, attn-runner and attn-compile have in common on the command
// line: the attn version next to LLVM's in --version, and (for the tools not
// built on MlirOptMain) the --mlir-* options of attn-opt.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TOOLS_COMMANDLINE_H
#define ATTN_TOOLS_COMMANDLINE_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace llvm::cl {
class OptionCategory;
} // namespace llvm::cl

namespace mlir {
class PassManager;
} // namespace mlir

namespace mlir::attn {

/// "0.4.0", the project version.
const char *getVersionString();

/// `git describe` of the sources the tools were built from ("-dirty" when
/// tracked files differed from that commit), or the plain version when they
/// were not built from a git checkout.
const char *getGitDescribe();

/// The LLVM/MLIR release the tools are built against ("22.1.8").
const char *getLLVMVersionString();

/// "attn version 0.4.0 (git 3cf12f7)", without the parenthesis when the
/// sources were not a git checkout.
std::string getVersionLine();

/// Adds getVersionLine() to what --version prints, after LLVM's version.
void registerVersionPrinter();

/// Registers the --mlir-* options that attn-opt has through MlirOptMain:
/// those of the context (threading, diagnostics), the pass manager
/// (--mlir-print-ir-*, --mlir-pass-pipeline-crash-reproducer, statistics),
/// timing (--mlir-timing) and the asm printer (--mlir-print-debuginfo, ...).
/// Call before parsing the command line; apply them to each PassManager with
/// mlir::applyPassManagerCLOptions, and to a DefaultTimingManager with
/// mlir::applyDefaultTimingManagerCLOptions (contexts and printers pick them
/// up by themselves).
void registerMLIRCLOptions();

/// Applies the --mlir-* pass manager options to `pm`; on failure prints
/// "<tool>: error: cannot apply the --mlir-* pass manager options".
LogicalResult applyMLIRPassManagerOptions(PassManager &pm, StringRef tool);

/// Hides from --help every option except those of `toolCategory` and the
/// --mlir-* ones, which it lists under "MLIR options".
void hideUnrelatedOptions(llvm::cl::OptionCategory &toolCategory);

} // namespace mlir::attn

#endif // ATTN_TOOLS_COMMANDLINE_H
