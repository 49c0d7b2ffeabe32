//===- Errors.h - attnGetLastError for the C API ----------------*- C++ -*-===//
//
// Each C API call that can fail starts an ErrorScope: it clears the thread's
// last error, collects the context's error diagnostics (with their locations
// and notes) while it lives, and takes explicit messages with fail().
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CAPI_ERRORS_H
#define ATTN_LIB_CAPI_ERRORS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/Twine.h"

#include <optional>
#include <string>

namespace mlir::attn::capi {

/// The thread's last error.
std::string &lastError();

class ErrorScope {
public:
  /// Without a context: explicit messages only.
  explicit ErrorScope(MLIRContext *ctx = nullptr);
  ~ErrorScope();
  ErrorScope(const ErrorScope &) = delete;
  ErrorScope &operator=(const ErrorScope &) = delete;

  /// Appends a message line to the thread's last error.
  void fail(const llvm::Twine &message);

private:
  MLIRContext *ctx;
  /// The context's printOpOnDiagnostic, restored at the end (errors are
  /// collected without the op dump MLIR attaches to verifier errors).
  bool printedOp = false;
  std::optional<ScopedDiagnosticHandler> handler;
};

} // namespace mlir::attn::capi

#endif // ATTN_LIB_CAPI_ERRORS_H
