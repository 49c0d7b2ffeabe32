//===- CheckGPUSupport.cpp - the attn-check-gpu-support pass --------------===//
//
// Reports every reason the GPU pipeline cannot compile a module, at the op,
// and names the function arguments and results after the attn.sdpa operands
// and results they carry (the kernel launch ABI).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CHECKGPUSUPPORTPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

bool mlir::attn::isSupportedGPUChip(StringRef chip) {
  return chip == "sm_80" || chip == "sm_90a";
}

namespace {

LogicalResult checkKernelInterface(Operation *op);

/// Checks one `attn.sdpa`; emits an error and returns failure when the GPU
/// pipeline cannot compile it.
LogicalResult checkSdpa(SdpaOp op, bool tensorCores, StringRef chip) {
  if (isFp8Sdpa(op)) {
    // Q, K and V as FP8 codes (attn.dequantize): only the sm_90a TMA
    // kernel reads them.
    if (!tensorCores || chip != "sm_90a")
      return op.emitOpError()
             << "is not supported by the GPU pipeline: FP8 attention "
                "(attn.dequantize operands) runs only on the sm_90a "
                "tensor-core kernel";
    std::string why = fp8SdpaUnsupportedReason(op, /*tma=*/true);
    if (!why.empty())
      return op.emitOpError()
             << "is not supported by the GPU pipeline: FP8 attention "
                "(attn.dequantize operands) does not take this op: "
             << why;
    for (Value v : {op.getQuery(), op.getKey(), op.getValue()})
      if (failed(checkKernelInterface(v.getDefiningOp())))
        return failure();
    return checkKernelInterface(op);
  }
  if (op.isVarlen()) {
    // Only the tensor-core kernel implements varlen.
    if (!tensorCores)
      return op.emitOpError()
             << "is not supported by the GPU pipeline: varlen (cu_seqlens) "
                "attention is implemented only by the tensor-core kernel, "
                "and the SIMT kernel was requested";
    // On sm_90a, the TMA kernel (the default there).
    bool sm90 = chip == "sm_90a";
    std::string why =
        tensorCoreUnsupportedReason(op, /*tma=*/sm90, /*wgmma=*/sm90);
    if (!why.empty())
      return op.emitOpError()
             << "is not supported by the GPU pipeline: varlen (cu_seqlens) "
                "attention is implemented only by the tensor-core kernel, "
                "which does not take this op: "
             << why;
  }
  Type elt = cast<RankedTensorType>(op.getQuery().getType()).getElementType();
  if (!elt.isF16() && !elt.isBF16() && !elt.isF32())
    return op.emitOpError()
           << "is not supported by the GPU pipeline: expected f16, bf16 or "
              "f32 query elements, got "
           << elt;
  return checkKernelInterface(op);
}

/// Checks one `attn.paged_attention`: only the tensor-core kernel
/// implements it.
LogicalResult checkPaged(PagedAttentionOp op, bool tensorCores) {
  if (!tensorCores)
    return op.emitOpError()
           << "is not supported by the GPU pipeline: paged attention is "
              "implemented only by the tensor-core kernel, and the SIMT "
              "kernel was requested";
  std::string why = pagedTensorCoreUnsupportedReason(op);
  if (!why.empty())
    return op.emitOpError()
           << "is not supported by the GPU pipeline: paged attention is "
              "implemented only by the tensor-core kernel, which does not "
              "take this op: "
           << why;
  return checkKernelInterface(op);
}

/// Checks one `attn.kv_cache_append`: the GPU kernel writes the pools in
/// place.
LogicalResult checkAppend(KVCacheAppendOp op) {
  std::string why = cacheAppendUnsupportedReason(op);
  if (!why.empty())
    return op.emitOpError() << "is not supported by the GPU pipeline: " << why;
  return checkKernelInterface(op);
}

/// Checks an `attn.rope`: on the GPU it is fused into the kernel of its
/// user, the append that stores its result as k_new (bshd) or the paged
/// attention that reads it as its query (bhsd).
LogicalResult checkFusedRope(RopeOp rope) {
  Operation *user = rope->hasOneUse() ? *rope->getUsers().begin() : nullptr;
  auto append = dyn_cast_or_null<KVCacheAppendOp>(user);
  auto paged = dyn_cast_or_null<PagedAttentionOp>(user);
  if (!(append && append.getKNew() == rope.getResult()) &&
      !(paged && paged.getQuery() == rope.getResult()))
    return rope.emitOpError()
           << "is not supported by the GPU pipeline: attn.rope is fused into "
              "the kernel that reads it, so its only use must be the k_new "
              "of an attn.kv_cache_append or the query of an "
              "attn.paged_attention";
  std::string why =
      fusedRopeUnsupportedReason(rope, append ? Layout::BSHD : Layout::BHSD);
  if (!why.empty())
    return rope.emitOpError()
           << "is not supported by the GPU pipeline: " << why;
  for (Value v : rope->getOperands()) {
    auto type = cast<RankedTensorType>(v.getType());
    if (!type.hasStaticShape() || !isa<BlockArgument>(v))
      return rope.emitOpError()
             << "is not supported by the GPU pipeline: expected its operands "
                "to be statically shaped function arguments";
  }
  return success();
}

/// Whether `v` is a pool updated by an attn.kv_cache_append (which the GPU
/// kernel writes in place, so it is the append's pool parameter).
bool isAppendedPool(Value v) {
  auto res = dyn_cast<OpResult>(v);
  return res && isa<KVCacheAppendOp>(res.getOwner());
}

/// Static shapes, operands that are function arguments (or pools an
/// attn.kv_cache_append updated) and results that are returned (or, for an
/// append, used as pools): what makes the op's operands and results kernel
/// parameters.
LogicalResult checkKernelInterface(Operation *op) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = cast<RankedTensorType>(operand.get().getType());
    if (!type.hasStaticShape())
      return op->emitOpError()
             << "is not supported by the GPU pipeline: expected static "
                "shapes, got "
             << type << " for operand #" << operand.getOperandNumber();
    // The codes and scales of an FP8 attention's attn.dequantize operands.
    if (isa<SdpaOp>(op) && operand.getOperandNumber() <= 2 &&
        operand.get().getDefiningOp<DequantizeOp>())
      continue;
    bool pool = isa<PagedAttentionOp>(op) && operand.getOperandNumber() >= 1 &&
                operand.getOperandNumber() <= 2 &&
                isAppendedPool(operand.get());
    // k_new or the query from a fused attn.rope (checked on its own).
    pool |= ((isa<KVCacheAppendOp>(op) && operand.getOperandNumber() == 2) ||
             (isa<PagedAttentionOp>(op) && operand.getOperandNumber() == 0)) &&
            operand.get().getDefiningOp<RopeOp>();
    if (!pool &&
        (!isa<BlockArgument>(operand.get()) ||
         !isa<func::FuncOp>(
             cast<BlockArgument>(operand.get()).getOwner()->getParentOp())))
      return op->emitOpError()
             << "is not supported by the GPU pipeline: expected operand #"
             << operand.getOperandNumber()
             << " to be a function argument (a kernel parameter)";
  }
  for (OpResult result : op->getResults()) {
    auto type = cast<RankedTensorType>(result.getType());
    if (!type.hasStaticShape())
      return op->emitOpError()
             << "is not supported by the GPU pipeline: expected static "
                "shapes, got "
             << type << " for result #" << result.getResultNumber();
    for (OpOperand &use : result.getUses())
      if (!isa<func::ReturnOp>(use.getOwner()) &&
          !(isa<KVCacheAppendOp>(op) &&
            isa<PagedAttentionOp>(use.getOwner())) &&
          !(isa<DequantizeOp>(op) && isa<SdpaOp>(use.getOwner())))
        return op->emitOpError()
               << "is not supported by the GPU pipeline: expected result #"
               << result.getResultNumber()
               << " to be returned by the function (a kernel parameter), "
                  "got a use by '"
               << use.getOwner()->getName() << "'";
    if (result.use_empty() && !isa<KVCacheAppendOp>(op) &&
        !isa<DequantizeOp>(op))
      return op->emitOpError()
             << "is not supported by the GPU pipeline: expected result #"
             << result.getResultNumber() << " to be returned by the function";
  }
  return success();
}

/// The name of an operand of an `attn.kv_cache_append` in the kernel ABI.
StringRef getOperandRole(KVCacheAppendOp op, Value v) {
  if (v == op.getKCache())
    return "k_cache";
  if (v == op.getVCache())
    return "v_cache";
  if (v == op.getKNew())
    return "k_new";
  if (v == op.getVNew())
    return "v_new";
  if (v == op.getBlockTable())
    return "block_table";
  if (v == op.getCacheLens())
    return "cache_lens";
  if (v == op.getNewLens())
    return "new_lens";
  return "arg";
}

/// The name of an operand of an `attn.paged_attention` in the kernel ABI.
StringRef getOperandRole(PagedAttentionOp op, Value v) {
  if (v == op.getQuery())
    return "query";
  if (v == op.getKCache())
    return "k_cache";
  if (v == op.getVCache())
    return "v_cache";
  if (v == op.getBlockTable())
    return "block_table";
  if (v == op.getContextLens())
    return "context_lens";
  if (v == op.getKScale())
    return "k_scale";
  if (v == op.getVScale())
    return "v_scale";
  if (v == op.getKZeroPoint())
    return "k_zero_point";
  if (v == op.getVZeroPoint())
    return "v_zero_point";
  return "arg";
}

/// The name of an operand of an `attn.sdpa` in the kernel ABI.
StringRef getOperandRole(SdpaOp op, Value v) {
  if (v == op.getQuery())
    return "query";
  if (v == op.getKey())
    return "key";
  if (v == op.getValue())
    return "value";
  if (v == op.getBias())
    return "bias";
  if (v == op.getAttnMask())
    return "attn_mask";
  if (v == op.getAlibiSlopes())
    return "alibi_slopes";
  if (v == op.getKvLens())
    return "kv_lens";
  if (v == op.getCuSeqlensQ())
    return "cu_seqlens_q";
  if (v == op.getCuSeqlensK())
    return "cu_seqlens_k";
  return "arg";
}

/// Names arguments and results of `func` (`attn.param`), unique within it.
void nameParams(func::FuncOp func, ArrayRef<Operation *> ops) {
  MLIRContext *ctx = func.getContext();
  llvm::StringSet<llvm::MallocAllocator> used;
  auto unique = [&](std::string name) {
    std::string candidate = name;
    for (int i = 1; used.contains(candidate); ++i)
      candidate = name + "_" + std::to_string(i);
    used.insert(candidate);
    return candidate;
  };
  bool many = ops.size() > 1;
  for (BlockArgument arg : func.getArguments()) {
    std::string name = "arg" + std::to_string(arg.getArgNumber());
    for (auto [i, op] : llvm::enumerate(ops)) {
      if (!llvm::is_contained(op->getOperands(), arg))
        continue;
      if (auto sdpa = dyn_cast<SdpaOp>(op))
        name = getOperandRole(sdpa, arg).str();
      else if (auto append = dyn_cast<KVCacheAppendOp>(op))
        name = getOperandRole(append, arg).str();
      else
        name = getOperandRole(cast<PagedAttentionOp>(op), arg).str();
      if (many)
        name += "_" + std::to_string(i);
      break;
    }
    // Otherwise, the codes or the scale of an FP8 attention's operand.
    for (auto [i, op] : llvm::enumerate(ops)) {
      auto sdpa = dyn_cast<SdpaOp>(op);
      if (name.rfind("arg", 0) != 0 || !sdpa)
        continue;
      const StringRef roles[] = {"query", "key", "value"};
      const Value operands[] = {sdpa.getQuery(), sdpa.getKey(),
                                sdpa.getValue()};
      for (auto [role, v] : llvm::zip(roles, operands)) {
        auto dq = v.getDefiningOp<DequantizeOp>();
        if (!dq)
          continue;
        if (arg == dq.getInput())
          name = role.str();
        else if (arg == dq.getScale())
          name = role.take_front(1).str() + "_scale";
        else
          continue;
        if (many)
          name += "_" + std::to_string(i);
        break;
      }
    }
    // Otherwise, an operand of an attn.rope fused into an append's k_new.
    for (auto [i, op] : llvm::enumerate(ops)) {
      if (name.rfind("arg", 0) != 0)
        break;
      auto append = dyn_cast<KVCacheAppendOp>(op);
      auto paged = dyn_cast<PagedAttentionOp>(op);
      auto rope = append  ? append.getKNew().getDefiningOp<RopeOp>()
                  : paged ? paged.getQuery().getDefiningOp<RopeOp>()
                          : RopeOp();
      if (rope && llvm::is_contained(rope->getOperands(), arg)) {
        std::string k = append ? "k" : "q";
        name = arg == rope.getInput()       ? (append ? "k_new" : "query")
               : arg == rope.getPositions() ? k + "_positions"
                                            : k + "_offsets";
        if (many)
          name += "_" + std::to_string(i);
      }
    }
    func.setArgAttr(arg.getArgNumber(), kParamNameAttr,
                    StringAttr::get(ctx, unique(name)));
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (OpOperand &operand : ret->getOpOperands()) {
    std::string name = "result" + std::to_string(operand.getOperandNumber());
    if (auto res = dyn_cast<OpResult>(operand.get())) {
      auto it = llvm::find(ops, res.getOwner());
      if (it != ops.end() && isa<KVCacheAppendOp>(*it)) {
        // The pools, updated in place (not parameters of their own).
        name = res.getResultNumber() == 0 ? "k_cache_out" : "v_cache_out";
        if (many)
          name += "_" + std::to_string(it - ops.begin());
      } else if (it != ops.end()) {
        name = res.getResultNumber() == 0 ? "out" : "lse";
        if (many)
          name += "_" + std::to_string(it - ops.begin());
      }
    }
    func.setResultAttr(operand.getOperandNumber(), kParamNameAttr,
                       StringAttr::get(ctx, unique(name)));
  }
}

struct CheckGPUSupportPass
    : attn::impl::CheckGPUSupportPassBase<CheckGPUSupportPass> {
  using CheckGPUSupportPassBase::CheckGPUSupportPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!isSupportedGPUChip(chip)) {
      module.emitError() << "unsupported GPU chip '" << chip
                         << "', expected sm_80 or sm_90a";
      return signalPassFailure();
    }
    bool hasError = false;
    // Attn ops other than attn.sdpa and attn.paged_attention, anywhere.
    module.walk([&](Operation *op) {
      if (isa<AttnDialect>(op->getDialect()) &&
          !isa<SdpaOp, PagedAttentionOp, KVCacheAppendOp, RopeOp, DequantizeOp>(
              op)) {
        op->emitOpError() << "is not supported by the GPU pipeline: only "
                             "attn.sdpa, attn.paged_attention and "
                             "attn.kv_cache_append have a GPU lowering";
        hasError = true;
      }
    });
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> ops;
      for (Operation &op : func.getBody().getOps()) {
        if (auto sdpa = dyn_cast<SdpaOp>(op)) {
          hasError |= failed(checkSdpa(sdpa, tensorCores, chip));
          ops.push_back(sdpa);
          continue;
        }
        if (auto paged = dyn_cast<PagedAttentionOp>(op)) {
          hasError |= failed(checkPaged(paged, tensorCores));
          ops.push_back(paged);
          continue;
        }
        if (auto rope = dyn_cast<RopeOp>(op)) {
          hasError |= failed(checkFusedRope(rope));
          continue;
        }
        if (auto dq = dyn_cast<DequantizeOp>(op)) {
          // Read by an FP8 attention (checked with it), or not supported.
          auto user = dq->hasOneUse()
                          ? dyn_cast<SdpaOp>(*dq->getUsers().begin())
                          : SdpaOp();
          if (!user || llvm::is_contained(user->getOperands().drop_front(3),
                                          dq.getResult())) {
            dq.emitOpError()
                << "is not supported by the GPU pipeline: attn.dequantize is "
                   "fused into the FP8 attention kernel, so its only use must "
                   "be the query, key or value of an attn.sdpa";
            hasError = true;
          }
          continue;
        }
        if (auto append = dyn_cast<KVCacheAppendOp>(op)) {
          // Kernels run in the manifest's order, appends' first.
          if (llvm::any_of(
                  ops, [](Operation *o) { return !isa<KVCacheAppendOp>(o); })) {
            append.emitOpError()
                << "is not supported by the GPU pipeline: expected every "
                   "attn.kv_cache_append of a function before its "
                   "attention ops (the kernels run appends first)";
            hasError = true;
          }
          hasError |= failed(checkAppend(append));
          ops.push_back(append);
          continue;
        }
        if (isa<func::ReturnOp>(op) || isa<AttnDialect>(op.getDialect()))
          continue;
        op.emitOpError()
            << "is not supported by the GPU pipeline: expected only "
               "attn.sdpa, attn.paged_attention, attn.kv_cache_append and "
               "func.return in a function compiled to GPU kernels";
        hasError = true;
      }
      if (func.getBody().getBlocks().size() != 1) {
        func.emitOpError() << "is not supported by the GPU pipeline: "
                              "expected a single block, got "
                           << func.getBody().getBlocks().size();
        hasError = true;
      }
      for (Value v : func.getBody().front().getTerminator()->getOperands()) {
        if (v.getDefiningOp<SdpaOp>() || v.getDefiningOp<PagedAttentionOp>() ||
            v.getDefiningOp<KVCacheAppendOp>())
          continue;
        func.getBody().front().getTerminator()->emitOpError()
            << "is not supported by the GPU pipeline: expected every "
               "returned value to be an attn.sdpa, attn.paged_attention or "
               "attn.kv_cache_append result";
        hasError = true;
        break;
      }
      if (!hasError)
        nameParams(func, ops);
    }
    if (hasError)
      signalPassFailure();
  }
};

} // namespace
