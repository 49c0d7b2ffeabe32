//===- CacheAppendToGPU.cpp - attn.kv_cache_append to a GPU kernel --------===//
//
// Replaces each attn.kv_cache_append by the launch of a generated gpu.func
// that writes the new tokens into the pools in place: one thread per
// 16-byte chunk of one (sequence, new token, KV head) row of K or V. Token
// t of sequence b goes to position p = cache_lens[b] + t, i.e. slot
// p % block_size of block block_table[b, p / block_size]; tokens past
// new_lens[b], past the table or whose block id is outside [0, blocks) are
// dropped. The pools are kernel parameters the kernel reads and writes
// (the op's results are those buffers), so an engine passes its cache; a
// function that returned them returns them no more. An attn.rope that
// produces k_new is fused: the kernel reads its input and rotates each K
// chunk as attn.rope defines (positions from its positions or offsets
// operand, which becomes a parameter too) before storing it.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CACHEAPPENDTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
#include "llvm/Support/MathExtras.h"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kThreads = 256;
constexpr int64_t kChunkBytes = 16;

} // namespace

std::string mlir::attn::fusedRopeUnsupportedReason(RopeOp rope,
                                                   Layout expected) {
  auto t = cast<RankedTensorType>(rope.getInput().getType());
  if (!t.getElementType().isF16() && !t.getElementType().isBF16())
    return "attn.rope fused into a GPU kernel needs f16 or bf16";
  if (rope.isVarlen() || rope.getLayout() != expected)
    return std::string("attn.rope fused into a GPU kernel needs layout ") +
           (expected == Layout::BSHD ? "bshd" : "bhsd");
  if (rope.getEffectiveRotaryDim() % 16)
    return "attn.rope fused into a GPU kernel needs a rotary dim that is a "
           "multiple of 16";
  return "";
}

std::string mlir::attn::cacheAppendUnsupportedReason(KVCacheAppendOp op) {
  auto kc = cast<RankedTensorType>(op.getKCache().getType());
  auto vc = cast<RankedTensorType>(op.getVCache().getType());
  auto kn = cast<RankedTensorType>(op.getKNew().getType());
  auto table = cast<RankedTensorType>(op.getBlockTable().getType());
  for (auto t : {kc, vc, kn, table}) {
    if (!t.hasStaticShape())
      return "dynamic shapes";
    if (llvm::is_contained(t.getShape(), 0))
      return "a zero-sized dimension";
  }
  Type elt = kc.getElementType();
  unsigned bits = elt.getIntOrFloatBitWidth();
  if (bits != 8 && bits != 16 && bits != 32)
    return "pool elements are not 1, 2 or 4 bytes";
  int64_t perChunk = kChunkBytes * 8 / bits;
  if (kc.getDimSize(3) % perChunk || vc.getDimSize(3) % perChunk)
    return "head dimensions are not a multiple of 16 bytes";
  // One thread per chunk of every new row: 32-bit thread ids.
  // (Sizes are positive and static here; products past 64 bits count as
  // too many.)
  int64_t rows, chunks, rowChunks;
  if (llvm::AddOverflow(kc.getDimSize(3), vc.getDimSize(3), rowChunks))
    return "more than 2^31 chunks to write";
  rowChunks /= perChunk;
  if (llvm::MulOverflow(kn.getDimSize(0), kn.getDimSize(1), rows) ||
      llvm::MulOverflow(rows, kn.getDimSize(2), rows) ||
      llvm::MulOverflow(rows, rowChunks, chunks) ||
      chunks >= (int64_t(1) << 31))
    return "more than 2^31 chunks to write";
  int64_t blockSize =
      kc.getDimSize(op.getCacheLayout() == CacheLayout::HND ? 2 : 1);
  int64_t positions;
  if (llvm::MulOverflow(table.getDimSize(1), blockSize, positions) ||
      positions >= (int64_t(1) << 31))
    return "positions beyond 32 bits";
  return "";
}

namespace {

struct CacheAppendToGPUPass
    : attn::impl::CacheAppendToGPUPassBase<CacheAppendToGPUPass> {
  using CacheAppendToGPUPassBase::CacheAppendToGPUPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      SmallVector<KVCacheAppendOp> ops;
      func.walk([&](KVCacheAppendOp op) { ops.push_back(op); });
      for (auto [i, op] : llvm::enumerate(ops)) {
        std::string why = cacheAppendUnsupportedReason(op);
        if (!why.empty()) {
          op.emitOpError() << "has no GPU kernel: " << why;
          return signalPassFailure();
        }
        std::string name = func.getSymName().str();
        if (ops.size() > 1)
          name += "_" + std::to_string(i);
        name += "_append";
        if (failed(convert(func, op, name, symbols)))
          return signalPassFailure();
      }
    }
  }

  static StringAttr paramName(func::FuncOp func, Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                               kParamNameAttr);
    return {};
  }

  LogicalResult convert(func::FuncOp func, KVCacheAppendOp op, StringRef name,
                        SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    Location loc = op.getLoc();
    // A fused attn.rope: its input is k_new; its positions or offsets
    // follow the op's operands.
    auto rope = op.getKNew().getDefiningOp<RopeOp>();
    SmallVector<Value> tensors = {op.getKCache(),
                                  op.getVCache(),
                                  rope ? rope.getInput() : op.getKNew(),
                                  op.getVNew(),
                                  op.getBlockTable(),
                                  op.getCacheLens()};
    if (op.getNewLens())
      tensors.push_back(op.getNewLens());
    Value ropePos =
        rope ? (rope.getPositions() ? rope.getPositions() : rope.getOffsets())
             : Value();
    if (ropePos)
      tensors.push_back(ropePos);
    SmallVector<Type> types;
    SmallVector<Attribute> infos;
    for (auto [i, v] : llvm::enumerate(tensors)) {
      StringAttr pname = paramName(func, v);
      if (!pname)
        return op.emitOpError()
               << "expected its operands to be named kernel parameters (run "
                  "attn-check-gpu-support first)";
      auto t = cast<RankedTensorType>(v.getType());
      types.push_back(MemRefType::get(t.getShape(), t.getElementType()));
      // The pools are written in place.
      infos.push_back(kernelParamInfo(ctx, pname, /*written=*/i < 2));
    }

    auto kc = cast<MemRefType>(types[0]), vc = cast<MemRefType>(types[1]);
    auto kn = cast<MemRefType>(types[2]);
    bool hnd = op.getCacheLayout() == CacheLayout::HND;
    int64_t batch = kn.getDimSize(0), sNew = kn.getDimSize(1),
            heads = kn.getDimSize(2), dk = kc.getDimSize(3),
            dv = vc.getDimSize(3), numBlocks = kc.getDimSize(0),
            blockSize = kc.getDimSize(hnd ? 2 : 1),
            width = cast<MemRefType>(types[4]).getDimSize(1);
    int64_t perChunk = kChunkBytes * 8 / kc.getElementTypeBitWidth();
    int64_t kChunks = dk / perChunk, rowChunks = (dk + dv) / perChunk;
    int64_t total = batch * sNew * heads * rowChunks;
    int64_t blocks = (total + kThreads - 1) / kThreads;
    if (blocks > 0x7fffffff)
      return op.emitOpError() << "needs " << blocks << " blocks";

    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module().getBody());
    auto gpuModule = gpu::GPUModuleOp::create(b, loc, name);
    symbols.insert(gpuModule);
    b.setInsertionPointToStart(gpuModule.getBody());
    // RoPE: inv_freq[i] = theta^(-2i/R), computed in f64, rounded to f32.
    int64_t rotary = rope ? rope.getEffectiveRotaryDim() : 0;
    if (rope) {
      SmallVector<float> invFreq;
      double theta = rope.getTheta().convertToDouble();
      for (int64_t i = 0; i < rotary / 2; ++i)
        invFreq.push_back(static_cast<float>(
            std::pow(theta, -2.0 * static_cast<double>(i) /
                                static_cast<double>(rotary))));
      auto tableType = MemRefType::get({rotary / 2}, b.getF32Type());
      memref::GlobalOp::create(
          b, loc, "rope_inv_freq", b.getStringAttr("private"), tableType,
          DenseElementsAttr::get(
              RankedTensorType::get({rotary / 2}, b.getF32Type()),
              ArrayRef<float>(invFreq)),
          /*constant=*/true, /*alignment=*/nullptr);
    }
    auto kernel = gpu::GPUFuncOp::create(b, loc, gpuModule.getName(),
                                         b.getFunctionType(types, {}));
    setKernelLaunch(kernel, {blocks, 1, 1}, kThreads, infos);
    Block &entry = kernel.getBody().front();
    b.setInsertionPointToStart(&entry);
    auto ret = gpu::ReturnOp::create(b, loc);
    b.setInsertionPoint(ret);
    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
      return arith::CmpIOp::create(b, loc, p, x, y);
    };
    auto andi = [&](Value x, Value y) -> Value {
      return arith::AndIOp::create(b, loc, x, y);
    };
    auto divRem = [&](Value &rest, int64_t n) {
      Value r = arith::RemUIOp::create(b, loc, rest, idx(n));
      rest = arith::DivUIOp::create(b, loc, rest, idx(n));
      return r;
    };
    auto asIndex = [&](Value v) -> Value {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
    };
    Value tid = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc,
                              gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                              idx(kThreads)),
        gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
    // tid = ((b * sNew + t) * heads + h) * rowChunks + chunk.
    auto inRange = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::ult, tid, idx(total)), false);
    b.setInsertionPoint(inRange.thenBlock()->getTerminator());
    Value rest = tid;
    Value chunk = divRem(rest, rowChunks);
    Value head = divRem(rest, heads);
    Value tok = divRem(rest, sNew);
    Value seq = rest;
    Block::BlockArgListType args = entry.getArguments();
    Value pos = arith::AddIOp::create(
        b, loc,
        asIndex(memref::LoadOp::create(b, loc, args[5], ValueRange{seq})), tok);
    Value keep = cmp(arith::CmpIPredicate::sge, pos, idx(0));
    if (args.size() > 6)
      keep = andi(keep, cmp(arith::CmpIPredicate::slt, tok,
                            asIndex(memref::LoadOp::create(b, loc, args[6],
                                                           ValueRange{seq}))));
    Value blk = arith::DivSIOp::create(b, loc, pos, idx(blockSize));
    Value slot = arith::RemSIOp::create(b, loc, pos, idx(blockSize));
    keep = andi(keep, cmp(arith::CmpIPredicate::slt, blk, idx(width)));
    Value blkC = arith::MinSIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, blk, idx(0)), idx(width - 1));
    Value id =
        asIndex(memref::LoadOp::create(b, loc, args[4], ValueRange{seq, blkC}));
    keep = andi(keep, andi(cmp(arith::CmpIPredicate::sge, id, idx(0)),
                           cmp(arith::CmpIPredicate::slt, id, idx(numBlocks))));
    auto write = scf::IfOp::create(b, loc, keep, false);
    b.setInsertionPoint(write.thenBlock()->getTerminator());
    // K chunks first, then V's.
    Value isK = cmp(arith::CmpIPredicate::ult, chunk, idx(kChunks));
    auto kOrV = scf::IfOp::create(b, loc, isK, /*withElse=*/true);
    auto copy = [&](Value pool, Value src, int64_t c0, bool rotate) {
      Value col = arith::MulIOp::create(
          b, loc, arith::SubIOp::create(b, loc, chunk, idx(c0)), idx(perChunk));
      auto vt = VectorType::get(
          {perChunk}, cast<MemRefType>(pool.getType()).getElementType());
      Value v = vector::LoadOp::create(b, loc, vt, src,
                                       ValueRange{seq, tok, head, col});
      if (rotate) {
        // Chunks inside the rotary dims (R is a multiple of 16) rotate.
        auto inRotary = scf::IfOp::create(
            b, loc, vt, cmp(arith::CmpIPredicate::ult, col, idx(rotary)),
            /*withElseRegion=*/true);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inRotary.elseBlock());
        scf::YieldOp::create(b, loc, v);
        b.setInsertionPointToStart(inRotary.thenBlock());
        // The token's position: positions[b, t] / positions[t], or
        // offsets[b] + t, or t.
        Value pos = tok;
        if (rope.getPositions()) {
          auto pt = cast<MemRefType>(types.back());
          SmallVector<Value, 2> at = pt.getRank() == 2
                                         ? SmallVector<Value, 2>{seq, tok}
                                         : SmallVector<Value, 2>{tok};
          pos = asIndex(memref::LoadOp::create(b, loc, args.back(), at));
        } else if (rope.getOffsets()) {
          pos =
              arith::AddIOp::create(b, loc,
                                    asIndex(memref::LoadOp::create(
                                        b, loc, args.back(), ValueRange{seq})),
                                    tok);
        }
        Value posF = arith::SIToFPOp::create(
            b, loc, b.getF32Type(),
            arith::IndexCastOp::create(b, loc, b.getI64Type(), pos));
        Value table = memref::GetGlobalOp::create(
            b, loc, MemRefType::get({rotary / 2}, b.getF32Type()),
            "rope_inv_freq");
        auto f32v = VectorType::get({perChunk}, b.getF32Type());
        Value x = arith::ExtFOp::create(b, loc, f32v, v);
        bool neox = rope.getStyle() == RopeStyle::NeoX;
        int64_t half = rotary / 2;
        // neox: the partner of feature j is j -+ R/2 (another chunk);
        // gptj: the other feature of its pair (this chunk).
        Value lowHalf, partner;
        if (neox) {
          lowHalf = cmp(arith::CmpIPredicate::ult, col, idx(half));
          Value pcol = arith::SelectOp::create(
              b, loc, lowHalf, arith::AddIOp::create(b, loc, col, idx(half)),
              arith::SubIOp::create(b, loc, col, idx(half)));
          Value raw = vector::LoadOp::create(b, loc, vt, src,
                                             ValueRange{seq, tok, head, pcol});
          partner = arith::ExtFOp::create(b, loc, f32v, raw);
        }
        SmallVector<Value> out;
        for (int64_t e = 0; e < perChunk; ++e) {
          Value j = arith::AddIOp::create(b, loc, col, idx(e));
          Value i = neox
                        ? arith::SelectOp::create(
                              b, loc, lowHalf, j,
                              arith::SubIOp::create(b, loc, j, idx(half)))
                              .getResult()
                        : arith::DivUIOp::create(b, loc, j, idx(2)).getResult();
          Value angle = arith::MulFOp::create(
              b, loc, posF, memref::LoadOp::create(b, loc, table, i));
          auto [cs, sn] = emitCosSin(b, loc, angle);
          auto at = [&](Value vec, int64_t k) -> Value {
            return vector::ExtractOp::create(b, loc, vec, ArrayRef<int64_t>{k});
          };
          Value self = at(x, e);
          // out = self·cos ∓ other·sin: minus for the first of a pair.
          Value other = neox ? at(partner, e) : at(x, e ^ 1);
          Value first =
              neox
                  ? lowHalf
                  : arith::ConstantOp::create(b, loc, b.getBoolAttr(e % 2 == 0))
                        .getResult();
          Value term = arith::MulFOp::create(b, loc, other, sn);
          Value rotated = arith::SelectOp::create(
              b, loc, first,
              arith::SubFOp::create(
                  b, loc, arith::MulFOp::create(b, loc, self, cs), term),
              arith::AddFOp::create(
                  b, loc, arith::MulFOp::create(b, loc, self, cs), term));
          out.push_back(rotated);
        }
        Value r = vector::FromElementsOp::create(b, loc, f32v, out);
        scf::YieldOp::create(
            b, loc, arith::TruncFOp::create(b, loc, vt, r).getResult());
        v = inRotary.getResult(0);
      }
      SmallVector<Value, 4> at =
          hnd ? SmallVector<Value, 4>{id, head, slot, col}
              : SmallVector<Value, 4>{id, slot, head, col};
      vector::StoreOp::create(b, loc, v, pool, at);
    };
    b.setInsertionPoint(kOrV.thenBlock()->getTerminator());
    copy(args[0], args[2], 0, /*rotate=*/rope != nullptr);
    b.setInsertionPoint(kOrV.elseBlock()->getTerminator());
    copy(args[1], args[3], kChunks, /*rotate=*/false);

    // Host side: the launch writes the operands' buffers; the results are
    // those buffers.
    b.setInsertionPoint(op);
    SmallVector<Value> buffers;
    for (auto [i, v] : llvm::enumerate(tensors))
      buffers.push_back(bufferization::ToBufferOp::create(
          b, loc, cast<MemRefType>(types[i]), v, /*readOnly=*/i >= 2));
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    gpu::LaunchFuncOp::create(b, loc, kernel,
                              gpu::KernelDim3{cst(blocks), cst(1), cst(1)},
                              gpu::KernelDim3{cst(kThreads), cst(1), cst(1)},
                              /*dynamicSharedMemorySize=*/nullptr, buffers);
    SmallVector<Value, 2> pools;
    for (int r = 0; r < 2; ++r) {
      Value t = bufferization::ToTensorOp::create(
          b, loc, cast<RankedTensorType>(op->getResult(r).getType()),
          buffers[r], /*restrict=*/true, /*writable=*/true);
      op->getResult(r).replaceAllUsesWith(t);
      pools.push_back(t);
    }
    op.erase();
    if (rope)
      rope.erase();
    // A returned pool is the argument's own buffer, updated in place: the
    // function no longer returns it (returning it would copy the pool).
    auto funcRet = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    BitVector drop(funcRet.getNumOperands());
    for (OpOperand &operand : funcRet->getOpOperands())
      if (llvm::is_contained(pools, operand.get()))
        drop.set(operand.getOperandNumber());
    if (drop.any()) {
      funcRet->eraseOperands(drop);
      if (failed(func.eraseResults(drop)))
        return op.emitOpError() << "cannot drop the returned pools";
    }
    module()->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(ctx));
    return success();
  }

  ModuleOp module() { return getOperation(); }
};

} // namespace
