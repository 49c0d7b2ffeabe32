//===- Errors.cpp - attnGetLastError for the C API ------------------------===//

#include "Errors.h"

#include "attn-c/Run.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn::capi;

std::string &mlir::attn::capi::lastError() {
  thread_local std::string error;
  return error;
}

ErrorScope::ErrorScope(MLIRContext *ctx) : ctx(ctx) {
  lastError().clear();
  if (!ctx)
    return;
  printedOp = ctx->shouldPrintOpOnDiagnostic();
  ctx->printOpOnDiagnostic(false);
  // Errors (with their notes) become the last error; nothing is printed.
  handler.emplace(ctx, [this](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    std::string text;
    llvm::raw_string_ostream os(text);
    os << diag.getLocation() << ": error: " << diag;
    for (Diagnostic &note : diag.getNotes())
      os << "\n" << note.getLocation() << ": note: " << note;
    fail(text);
    return success();
  });
}

ErrorScope::~ErrorScope() {
  handler.reset();
  if (ctx)
    ctx->printOpOnDiagnostic(printedOp);
}

void ErrorScope::fail(const llvm::Twine &message) {
  std::string &error = lastError();
  if (!error.empty())
    error += "\n";
  error += message.str();
}

const char *attnGetLastError(void) { return lastError().c_str(); }
