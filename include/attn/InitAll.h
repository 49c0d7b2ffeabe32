//===- InitAll.h - register everything attn tools need ----------*- C++ -*-===//

#ifndef ATTN_INITALL_H
#define ATTN_INITALL_H

namespace mlir {
class DialectRegistry;
namespace attn {

/// Registers the attn dialect, all upstream dialects and their extensions
/// and interface models.
void registerAllDialects(DialectRegistry &registry);

/// Registers attn passes and pipelines plus all upstream passes.
void registerAllPasses();

} // namespace attn
} // namespace mlir

#endif // ATTN_INITALL_H
