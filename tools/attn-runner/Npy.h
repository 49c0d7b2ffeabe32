//===- Npy.h - read and write NumPy .npy files ------------------*- C++ -*-===//
//
// A minimal reader and writer for the NumPy .npy format (versions 1.0, 2.0
// and 3.0, C order, little endian), enough for attn-runner's inputs and
// outputs. Errors are returned as strings, never thrown.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TOOLS_ATTN_RUNNER_NPY_H
#define ATTN_TOOLS_ATTN_RUNNER_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn::runner {

/// The contents of a .npy file.
struct NpyArray {
  /// The dtype descriptor with its byte order, e.g. "<f4" or "|b1".
  std::string descr;
  std::vector<int64_t> shape;
  /// Raw element bytes in C order.
  std::vector<char> data;
};

/// Reads `path`; on failure returns false and sets `error`.
bool readNpy(llvm::StringRef path, NpyArray &array, std::string &error);

/// Writes `data` (C order) as a .npy file of dtype `descr` and `shape`; on
/// failure returns false and sets `error`.
bool writeNpy(llvm::StringRef path, llvm::StringRef descr,
              llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<char> data,
              std::string &error);

/// The size in bytes of one element of a supported descriptor, or 0.
int64_t npyItemSize(llvm::StringRef descr);

} // namespace mlir::attn::runner

#endif // ATTN_TOOLS_ATTN_RUNNER_NPY_H
