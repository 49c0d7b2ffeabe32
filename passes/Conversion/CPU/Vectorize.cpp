//===- Vectorize.cpp - the attn-cpu-vectorize pass ------------------------===//
//
// Tiles linalg ops on tensors to register tiles and vectorizes the tiles, so
// that the CPU code of attn-lower-to-cpu works on vectors instead of scalar
// loops. See the pass description in include/attn/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "DotContraction.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CPUVECTORIZEPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// How one linalg op is tiled before it is vectorized: a tile size per loop
/// (0 = the loop is not tiled). Tiles always have a static shape (no masked
/// vectorization): an op with a dynamic loop range that would be tiled is
/// not vectorized.
struct TilePlan {
  SmallVector<int64_t> tileSizes;
  /// Loop order (outermost first), empty for the dimensions' order.
  SmallVector<int64_t> interchange;
};

/// Columns (dot products) and reduction depth of the tile of a contraction
/// of few rows (planDotContraction).
constexpr int64_t kDotColumns = 8;
constexpr int64_t kDotDepth = 256;

/// The register-tile sizes the pass was configured with.
struct TileConfig {
  int64_t tileM, tileN, tileK, vectorWidth, maxInner;
};

/// The tile size of a loop of `range` iterations for a wanted tile of
/// `target`: 0 (the whole loop) when it is not larger, else the largest
/// divisor of `range` not larger than `target` (so that every tile has the
/// same static shape). Nothing for a dynamic range.
static std::optional<int64_t> pickTile(int64_t range, int64_t target) {
  if (ShapedType::isDynamic(range))
    return std::nullopt;
  if (range <= target)
    return 0;
  for (int64_t size = target; size > 1; --size)
    if (range % size == 0)
      return size;
  return 1;
}

/// pickTile for a dimension whose tiles become vectors: among the divisors
/// of `range` not larger than `target`, the largest multiple of 16 f32
/// lanes (one AVX-512 register, two AVX2 ones), else of 8 (one AVX2
/// register), else pickTile's. LLVM splits a vector of another length into
/// pieces and shuffles: the Q·Kᵀ of a 77-key tile padded to 80 columns,
/// in 8 x 20 register tiles, made that attention 4x slower than in 8 x 16
/// ones.
static std::optional<int64_t> pickVectorTile(int64_t range, int64_t target) {
  if (ShapedType::isDynamic(range))
    return std::nullopt;
  if (range <= target)
    return 0;
  for (int64_t lanes : {16, 8})
    for (int64_t size = target - target % lanes; size >= lanes; size -= lanes)
      if (range % size == 0)
        return size;
  return pickTile(range, target);
}

/// Returns the contraction dimensions of `op` when it is a contraction whose
/// innermost `n` dimension is the innermost dimension of its result (the
/// layout a register tile of `n` columns wants).
static std::optional<linalg::ContractionDimensions>
getRowMajorContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumDpsInputs() != 2 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0 ||
      outMap.getResults().back() !=
          getAffineDimExpr(dims->n.back(), op->getContext()))
    return std::nullopt;
  return *dims;
}

/// Whether the right-hand side of contraction `op` is stored `[..., n, k]`
/// (K of Q·Kᵀ): its innermost dimensions are the innermost `n` and `k`.
static bool isRhsStoredNK(linalg::LinalgOp op,
                          const linalg::ContractionDimensions &dims) {
  AffineMap map = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  unsigned rank = map.getNumResults();
  MLIRContext *ctx = op->getContext();
  return rank >= 2 && map.isProjectedPermutation() &&
         map.getResult(rank - 1) == getAffineDimExpr(dims.k.back(), ctx) &&
         map.getResult(rank - 2) == getAffineDimExpr(dims.n.back(), ctx);
}

/// The plan of a contraction: batch and outer m/n/k loops get 1, the
/// innermost m, n and k loops get the register tile.
static std::optional<TilePlan>
planContraction(linalg::LinalgOp op, const linalg::ContractionDimensions &dims,
                const TileConfig &config) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  TilePlan plan;
  plan.tileSizes.assign(op.getNumLoops(), 1);
  for (unsigned i = 0, e = ranges.size(); i < e; ++i)
    if (ranges[i] == 1)
      plan.tileSizes[i] = 0;
  for (auto [dim, target] : {std::make_pair(dims.m.back(), config.tileM),
                             std::make_pair(dims.n.back(), config.tileN),
                             std::make_pair(dims.k.back(), config.tileK)}) {
    // The columns are the vectors.
    std::optional<int64_t> size = dim == dims.n.back()
                                      ? pickVectorTile(ranges[dim], target)
                                      : pickTile(ranges[dim], target);
    if (!size)
      return std::nullopt;
    plan.tileSizes[dim] = *size;
  }
  // The column loop outside the row loop: a panel of B (k x tile-n) stays
  // in the L1 cache while every row tile reads it, instead of all of B
  // streaming through for each row tile.
  unsigned m = dims.m.back(), n = dims.n.back();
  if (m < n) {
    plan.interchange = llvm::to_vector(llvm::seq<int64_t>(0, ranges.size()));
    std::swap(plan.interchange[m], plan.interchange[n]);
  }
  // The tile of the other dimensions is 1: they may be dynamic.
  return plan;
}

/// The plan of a contraction of at most kDotContractionMaxRows rows whose
/// right-hand side is stored `[..., n, k]` (Q·Kᵀ of a decode step): the rows
/// whole, kDotColumns columns, the reduction whole up to kDotDepth. Its tile
/// becomes dot products of rows (populateDotContractionLoweringPatterns, in
/// attn-cpu-lower-vectors) that read the right-hand side as stored instead
/// of a transposed copy.
static std::optional<TilePlan>
planDotContraction(linalg::LinalgOp op,
                   const linalg::ContractionDimensions &dims) {
  if (dims.k.size() != 1)
    return std::nullopt;
  unsigned k = dims.k.front(), n = dims.n.back();
  AffineMap lhsMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (!isRhsStoredNK(op, dims) || !lhsMap.isProjectedPermutation() ||
      lhsMap.getResults().back() != getAffineDimExpr(k, op->getContext()))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t rows = 1;
  for (unsigned m : dims.m) {
    if (ShapedType::isDynamic(ranges[m]))
      return std::nullopt;
    rows *= ranges[m];
  }
  if (rows > kDotContractionMaxRows)
    return std::nullopt;
  TilePlan plan;
  plan.tileSizes.assign(op.getNumLoops(), 1);
  for (unsigned i = 0, e = ranges.size(); i < e; ++i)
    if (ranges[i] == 1)
      plan.tileSizes[i] = 0;
  for (unsigned m : dims.m)
    plan.tileSizes[m] = 0;
  std::optional<int64_t> columns = pickTile(ranges[n], kDotColumns);
  std::optional<int64_t> depth = pickTile(ranges[k], kDotDepth);
  if (!columns || !depth)
    return std::nullopt;
  plan.tileSizes[n] = *columns;
  plan.tileSizes[k] = *depth;
  return plan;
}

/// The plan of any other op: 1 on every loop but the last one, which is kept
/// whole when it is small, and tiled by (a divisor near) the vector width
/// otherwise.
/// The plan of a transpose of the two innermost dimensions of f32 tensors
/// whose sizes are multiples of 8: 8 x 8 blocks (an 8 x 8 vector.transpose
/// each, which attn-cpu-lower-vectors lowers to AVX2 shuffles), instead of
/// rows gathered element by element from columns.
static std::optional<TilePlan> planTranspose8x8(linalg::LinalgOp op) {
  auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
  if (!transpose)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(transpose.getInput().getType());
  ArrayRef<int64_t> perm = transpose.getPermutation();
  int64_t rank = perm.size();
  if (!type || !type.getElementType().isF32() || rank < 2 ||
      !type.hasStaticShape())
    return std::nullopt;
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (perm[i] != i)
      return std::nullopt;
  if (perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2 ||
      type.getDimSize(rank - 1) % 8 != 0 || type.getDimSize(rank - 2) % 8 != 0)
    return std::nullopt;
  TilePlan plan;
  plan.tileSizes.assign(rank, 1);
  plan.tileSizes[rank - 2] = plan.tileSizes[rank - 1] = 8;
  return plan;
}

static std::optional<TilePlan> planDefault(linalg::LinalgOp op,
                                           const TileConfig &config) {
  unsigned numLoops = op.getNumLoops();
  if (numLoops == 0)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  TilePlan plan;
  plan.tileSizes.assign(numLoops, 1);
  int64_t inner = ranges.back();
  std::optional<int64_t> innerTile =
      ShapedType::isDynamic(inner) || inner > config.maxInner
          ? pickVectorTile(inner, config.vectorWidth)
          : std::optional<int64_t>(0);
  if (!innerTile)
    return std::nullopt;
  plan.tileSizes.back() = *innerTile;
  // Loops of one iteration need no loop.
  for (unsigned i = 0; i + 1 < numLoops; ++i)
    if (ranges[i] == 1)
      plan.tileSizes[i] = 0;
  return plan;
}

/// Rewrites a contraction whose right-hand side is stored `[..., n, k]`
/// (e.g. the Q·Kᵀ of attention) into a `linalg.transpose` of that operand to
/// `[..., k, n]` and the same contraction on the copy: the register tile then
/// reads contiguous rows of `n` elements. Returns the transpose, or null when
/// nothing is to be done.
static linalg::TransposeOp transposeContractionRhs(RewriterBase &rewriter,
                                                   linalg::LinalgOp op) {
  std::optional<linalg::ContractionDimensions> dims =
      getRowMajorContraction(op);
  if (!dims)
    return nullptr;
  OpOperand *rhs = op.getDpsInputOperand(1);
  AffineMap rhsMap = op.getMatchingIndexingMap(rhs);
  auto rhsType = dyn_cast<RankedTensorType>(rhs->get().getType());
  unsigned rank = rhsMap.getNumResults();
  MLIRContext *ctx = op->getContext();
  if (!rhsType || !isRhsStoredNK(op, *dims))
    return nullptr;
  // Only generics: the named ops with a transposed operand are rebuilt the
  // same way after generalization.
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic)
    return nullptr;

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(rewriter, loc, rhs->get());
  std::swap(sizes[rank - 1], sizes[rank - 2]);
  Value empty =
      tensor::EmptyOp::create(rewriter, loc, sizes, rhsType.getElementType());
  auto transpose =
      linalg::TransposeOp::create(rewriter, loc, rhs->get(), empty, perm);

  SmallVector<AffineExpr> results(rhsMap.getResults());
  std::swap(results[rank - 1], results[rank - 2]);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  maps[rhs->getOperandNumber()] =
      AffineMap::get(rhsMap.getNumDims(), 0, results, ctx);
  rewriter.modifyOpInPlace(generic, [&] {
    generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    rhs->set(transpose->getResult(0));
  });
  return transpose;
}

/// A `linalg.generic` like `generic` (same inits, iterators and body,
/// moved over) with `inputs` read at `inputMaps`; its block keeps the old
/// arguments for the caller to adjust.
static linalg::GenericOp rebuildWithInputs(RewriterBase &rewriter,
                                           linalg::GenericOp generic,
                                           ValueRange inputs,
                                           ArrayRef<AffineMap> inputMaps) {
  SmallVector<AffineMap> maps(inputMaps);
  for (OpOperand &init : generic.getDpsInitsMutable())
    maps.push_back(generic.getMatchingIndexingMap(&init));
  auto newOp = linalg::GenericOp::create(
      rewriter, generic.getLoc(), generic.getResultTypes(), inputs,
      generic.getDpsInits(), maps, generic.getIteratorTypesArray());
  rewriter.inlineRegionBefore(generic.getRegion(), newOp.getRegion(),
                              newOp.getRegion().end());
  return newOp;
}

/// Rewrites an elementwise `linalg.generic` tile (no reduction loop, rank
/// >= 2, with `linalg.index`) that yields `init op x` for one of its inits
/// so that it reads that init as an input instead (the same value, also
/// still the init: the vector code reads and writes the same tile).
/// Upstream's vectorizer takes `init op x` for a reduction combiner even
/// without reduction loops, and an index of the innermost loop is a 1-D
/// vector there, never broadcast: `out + slope * j` over `[1, N]` became a
/// `vector.multi_reduction` of mismatched types (invalid IR, the pass
/// failed). Returns the new op, or `op` when nothing is to be done.
static linalg::LinalgOp readInitsAsInputs(RewriterBase &rewriter,
                                          linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumReductionLoops() != 0 ||
      generic.getNumLoops() < 2 ||
      generic.getBody()->getOps<linalg::IndexOp>().empty())
    return op;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  SmallVector<OpOperand *> read;
  for (OpOperand &init : generic.getDpsInitsMutable()) {
    BlockArgument arg = generic.getMatchingBlockArgument(&init);
    Operation *def =
        yield.getOperand(init.getOperandNumber() - generic.getNumDpsInputs())
            .getDefiningOp();
    if (def && def->getNumOperands() == 2 &&
        llvm::is_contained(def->getOperands(), Value(arg)))
      read.push_back(&init);
  }
  if (read.empty())
    return op;

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(generic);
  SmallVector<Value> inputs = generic.getDpsInputs();
  SmallVector<AffineMap> maps;
  for (OpOperand *input : generic.getDpsInputOperands())
    maps.push_back(generic.getMatchingIndexingMap(input));
  for (OpOperand *init : read) {
    inputs.push_back(init->get());
    maps.push_back(generic.getMatchingIndexingMap(init));
  }
  linalg::GenericOp newOp = rebuildWithInputs(rewriter, generic, inputs, maps);
  Block &body = newOp.getRegion().front();
  // The new input arguments go after the old inputs; the inits' uses move
  // to them.
  unsigned numInputs = generic.getNumDpsInputs();
  SmallVector<BlockArgument> initArgs;
  for (OpOperand *init : read)
    initArgs.push_back(body.getArgument(init->getOperandNumber()));
  for (auto [i, arg] : llvm::enumerate(initArgs)) {
    BlockArgument added =
        body.insertArgument(numInputs + i, arg.getType(), generic.getLoc());
    rewriter.replaceAllUsesWith(arg, added);
  }
  rewriter.replaceOp(generic, newOp->getResults());
  return newOp;
}

/// Rewrites the inputs of a `linalg.generic` whose indexing maps are not
/// projected permutations (e.g. `d3 mod 32` in the RoPE lowering), which the
/// vectorizer rejects, into `tensor.extract`s in the body at the map applied
/// to `linalg.index`es (the vectorizer turns those into gathers or
/// contiguous loads). Returns the new op, or `op` when nothing is to be done.
static linalg::LinalgOp demoteNonPermutationInputs(RewriterBase &rewriter,
                                                   linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic)
    return op;
  SmallVector<OpOperand *> demoted;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true) &&
        isa<RankedTensorType>(input->get().getType()) &&
        map.getNumSymbols() == 0)
      demoted.push_back(input);
  }
  if (demoted.empty())
    return op;

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(generic);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (!llvm::is_contained(demoted, input)) {
      inputs.push_back(input->get());
      maps.push_back(generic.getMatchingIndexingMap(input));
    }
  linalg::GenericOp newOp = rebuildWithInputs(rewriter, generic, inputs, maps);
  Block &body = newOp.getRegion().front();
  rewriter.setInsertionPointToStart(&body);
  SmallVector<Value> indices;
  for (unsigned d = 0, e = generic.getNumLoops(); d < e; ++d)
    indices.push_back(linalg::IndexOp::create(rewriter, generic.getLoc(), d));
  // Erase the block arguments from the last one so the numbers stay valid.
  for (OpOperand *input : llvm::reverse(demoted)) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    SmallVector<Value> at;
    for (AffineExpr expr : map.getResults())
      at.push_back(affine::expandAffineExpr(rewriter, generic.getLoc(), expr,
                                            indices, {}));
    Value element =
        tensor::ExtractOp::create(rewriter, generic.getLoc(), input->get(), at);
    unsigned argNumber = input->getOperandNumber();
    rewriter.replaceAllUsesWith(body.getArgument(argNumber), element);
    body.eraseArgument(argNumber);
  }
  rewriter.replaceOp(generic, newOp->getResults());
  return cast<linalg::LinalgOp>(newOp.getOperation());
}

/// Whether every `tensor.extract` in the body of `op` reads at indices
/// computed from `linalg.index`, constants and values defined outside the op
/// only. Data-dependent gathers (an index read from another tensor or taken
/// from an operand, e.g. the block table of paged attention) are left to the
/// scalar loops: the vectorizer's analysis of such reads is not trusted.
static bool hasOnlyIndexComputedExtracts(linalg::LinalgOp op) {
  Region &body = op->getRegion(0);
  auto isIndexComputed = [&](Value index) {
    SmallVector<Value> worklist{index};
    llvm::SmallPtrSet<Value, 8> seen;
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!seen.insert(value).second)
        continue;
      if (isa<BlockArgument>(value)) {
        if (cast<BlockArgument>(value).getOwner()->getParent() == &body)
          return false;
        continue;
      }
      Operation *def = value.getDefiningOp();
      if (!body.isAncestor(def->getParentRegion()))
        continue;
      if (isa<tensor::ExtractOp>(def) || def->getNumRegions() != 0 ||
          !isMemoryEffectFree(def))
        return false;
      llvm::append_range(worklist, def->getOperands());
    }
    return true;
  };
  WalkResult result = body.walk([&](tensor::ExtractOp extract) {
    for (Value index : extract.getIndices())
      if (!isIndexComputed(index))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// Whether an operand of `op` (or a tensor it reads with `tensor.extract`)
/// has elements narrower than a byte (i1 masks): memory holds one per byte,
/// a vector load or store of them is bit-packed.
static bool hasSubByteOperand(linalg::LinalgOp op) {
  auto isSubByte = [](Type type) {
    Type element = getElementTypeOrSelf(type);
    return element.isIntOrFloat() && element.getIntOrFloatBitWidth() < 8;
  };
  if (llvm::any_of(op->getOperandTypes(), isSubByte))
    return true;
  WalkResult result = op->getRegion(0).walk([&](tensor::ExtractOp extract) {
    return isSubByte(extract.getTensor().getType()) ? WalkResult::interrupt()
                                                    : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Whether an init of `op` is indexed by a constant (a reduction kept as a
/// unit dimension, `(d0, d1, d2, 0)`): the vector patterns that clean up such
/// tiles do not reach a fixed point, so these ops stay scalar.
static bool hasConstantInitIndex(linalg::LinalgOp op) {
  return llvm::any_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    return llvm::any_of(
        op.getMatchingIndexingMap(&init).getResults(),
        [](AffineExpr e) { return isa<AffineConstantExpr>(e); });
  });
}

/// Whether `op` is a reduction computed in f16 or bf16: the x86 backend
/// cannot legalize the vector reductions these become (it aborts with "do
/// not know how to soft promote"), so they stay scalar.
static bool isHalfReduction(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0)
    return false;
  auto isHalf = [](Type type) {
    Type element = getElementTypeOrSelf(type);
    return element.isF16() || element.isBF16();
  };
  if (llvm::any_of(op->getOperandTypes(), isHalf))
    return true;
  WalkResult result = op->getRegion(0).walk([&](Operation *inner) {
    return llvm::any_of(inner->getResultTypes(), isHalf)
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Tiles `op` by `plan` and vectorizes its tile. The op is left alone when
/// the vectorizer cannot handle it.
static void tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op,
                             const TilePlan &plan) {
  Operation *tile = op;
  if (llvm::any_of(plan.tileSizes, [](int64_t s) { return s != 0; })) {
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    options.setTileSizes(
        getAsIndexOpFoldResult(op->getContext(), plan.tileSizes));
    if (!plan.interchange.empty())
      options.setInterchange(plan.interchange);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return;
    rewriter.replaceOp(op, tiled->replacements);
    tile = tiled->tiledOps.front();
  }
  auto tileOp = dyn_cast<linalg::LinalgOp>(tile);
  if (!tileOp)
    return;
  // Only tiles of static shape are vectorized (no masks).
  if (tileOp.hasDynamicShape() || !hasOnlyIndexComputedExtracts(tileOp) ||
      hasSubByteOperand(tileOp) || hasConstantInitIndex(tileOp) ||
      isHalfReduction(tileOp))
    return;
  tileOp = readInitsAsInputs(rewriter, tileOp);
  if (failed(linalg::vectorizeOpPrecondition(tileOp, {}, {},
                                             /*vectorizeNDExtract=*/true)))
    return;
  rewriter.setInsertionPoint(tileOp);
  FailureOr<linalg::VectorizationResult> result =
      linalg::vectorize(rewriter, tileOp, {}, {}, /*vectorizeNDExtract=*/true);
  if (failed(result))
    return;
  if (tileOp->getNumResults() == 0)
    rewriter.eraseOp(tileOp);
  else
    rewriter.replaceOp(tileOp, result->replacements);
}

/// Contractions with fewer multiply-adds run on one thread: forking costs
/// more than it saves.
static constexpr int64_t kMinParallelWork = int64_t(1) << 21;

/// The chunk of a loop of `range` iterations split over `threads` threads:
/// the largest multiple of `unit` that divides `range` and leaves at least
/// `threads` chunks (every chunk then has the same static size, a whole
/// number of register tiles). Nothing when no such chunk exists.
static std::optional<int64_t> pickThreadChunk(int64_t range, int64_t unit,
                                              int64_t threads) {
  if (ShapedType::isDynamic(range) || unit <= 0)
    return std::nullopt;
  for (int64_t chunk = range / threads; chunk >= unit; --chunk)
    if (range % chunk == 0 && chunk % unit == 0)
      return chunk;
  return std::nullopt;
}

/// Splits a large contraction that no parallel loop encloses (the
/// projections of a layer) over `threads` threads: an scf.forall over
/// chunks of its rows (else of its columns), each a whole number of
/// register tiles, which the pipeline runs as an OpenMP loop. Returns the
/// op of one chunk (to be tiled and vectorized), or `op` unchanged.
static linalg::LinalgOp distributeOverThreads(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              int64_t threads,
                                              const TileConfig &config) {
  std::optional<linalg::ContractionDimensions> dims =
      getRowMajorContraction(op);
  if (threads <= 1 || !dims || op->getParentOfType<scf::ForallOp>() ||
      op.hasDynamicShape())
    return op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t work = 1;
  for (int64_t range : ranges)
    if (llvm::MulOverflow(work, range, work))
      return op;
  if (work < kMinParallelWork)
    return op;
  SmallVector<int64_t> tileSizes(op.getNumLoops(), 0);
  if (std::optional<int64_t> chunk =
          pickThreadChunk(ranges[dims->m.back()], config.tileM, threads))
    tileSizes[dims->m.back()] = *chunk;
  else if (std::optional<int64_t> chunk =
               pickThreadChunk(ranges[dims->n.back()], config.tileN, threads))
    tileSizes[dims->n.back()] = *chunk;
  else
    return op;
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tileSizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return op;
  auto chunkOp = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.front());
  if (!chunkOp)
    return op;
  rewriter.replaceOp(op, tiled->replacements);
  return chunkOp;
}

/// Splits a contraction whose innermost `m` dimension the register tile's
/// rows do not divide into the rows that whole tiles cover and the rest
/// (linalg::splitOp: two ops on slices), so that the first keeps the full
/// register tile (pickTile would otherwise take a smaller divisor: 4 rows of
/// a 6-row tile for 64 rows) and the second gets its own. Returns the ops
/// to tile, `op` alone when nothing is split.
static SmallVector<linalg::LinalgOp>
splitRowRemainder(RewriterBase &rewriter, linalg::LinalgOp op,
                  const TileConfig &config) {
  std::optional<linalg::ContractionDimensions> dims =
      getRowMajorContraction(op);
  if (!dims)
    return {op};
  unsigned m = dims->m.back();
  int64_t rows = op.getStaticLoopRanges()[m];
  if (ShapedType::isDynamic(rows) || rows <= config.tileM ||
      rows % config.tileM == 0 || rows <= kDotContractionMaxRows)
    return {op};
  rewriter.setInsertionPoint(op);
  auto [whole, rest] = linalg::splitOp(
      rewriter, cast<TilingInterface>(op.getOperation()), m,
      rewriter.getIndexAttr(rows / config.tileM * config.tileM));
  auto first = dyn_cast_or_null<linalg::LinalgOp>(whole.getOperation());
  auto second = dyn_cast_or_null<linalg::LinalgOp>(rest.getOperation());
  if (!first || !second)
    return {op};
  return {first, second};
}

/// The greedy driver's configuration for the clean-up patterns: a bound on
/// the number of rewrites, so that patterns that undo each other cannot hang
/// the compiler (not converging leaves valid, merely less simplified IR).
static constexpr int64_t kMaxRewrites = 20000;

static GreedyRewriteConfig boundedConfig() {
  GreedyRewriteConfig config;
  config.setMaxNumRewrites(kMaxRewrites);
  return config;
}

struct CPUVectorizePass : attn::impl::CPUVectorizePassBase<CPUVectorizePass> {
  using Base::Base;

  /// Bad option values are reported with the options (no location, no
  /// module dump), like values that do not parse.
  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(Pass::initializeOptions(options, errorHandler)))
      return failure();
    if (tileM <= 0 || tileN <= 0 || tileK <= 0 || vectorWidth <= 0 ||
        maxInner < 0 || threads <= 0)
      return errorHandler(
          "expected positive tile-m, tile-n, tile-k, vector-width and "
          "threads and a non-negative max-inner, got " +
          Twine(static_cast<int64_t>(tileM)) + ", " +
          Twine(static_cast<int64_t>(tileN)) + ", " +
          Twine(static_cast<int64_t>(tileK)) + ", " +
          Twine(static_cast<int64_t>(vectorWidth)) + ", " +
          Twine(static_cast<int64_t>(threads)) + " and " +
          Twine(static_cast<int64_t>(maxInner)));
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    if (tileM <= 0 || tileN <= 0 || tileK <= 0 || vectorWidth <= 0 ||
        maxInner < 0 || threads <= 0) {
      mlir::emitError(func.getLoc())
          << "expected positive tile-m, tile-n, tile-k, vector-width and "
             "threads and a non-negative max-inner, got "
          << static_cast<int64_t>(tileM) << ", " << static_cast<int64_t>(tileN)
          << ", " << static_cast<int64_t>(tileK) << ", "
          << static_cast<int64_t>(vectorWidth) << ", "
          << static_cast<int64_t>(threads) << " and "
          << static_cast<int64_t>(maxInner);
      return signalPassFailure();
    }
    TileConfig config{tileM, tileN, tileK, vectorWidth, maxInner};

    // Collect first: tiling creates new (tiled) linalg ops.
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && linalg::hasVectorizationImpl(op) &&
          isa<TilingInterface>(op.getOperation()))
        ops.push_back(op);
    });

    IRRewriter rewriter(ctx);
    // Large contractions are split over the threads, then their rows that
    // whole register tiles do not cover become ops of their own.
    SmallVector<linalg::LinalgOp> split;
    for (linalg::LinalgOp op : ops) {
      if (llvm::is_contained(op.getStaticLoopRanges(), 0)) {
        split.push_back(op);
        continue;
      }
      op = distributeOverThreads(rewriter, op, threads, config);
      llvm::append_range(split, splitRowRemainder(rewriter, op, config));
    }
    for (linalg::LinalgOp op : split) {
      // An empty iteration space (a 0-sized dimension): no iteration runs,
      // so the results are the inits; nothing to tile (tiling an empty
      // range is not supported upstream).
      if (llvm::is_contained(op.getStaticLoopRanges(), 0)) {
        rewriter.replaceOp(op, op.getDpsInits());
        continue;
      }
      op = demoteNonPermutationInputs(rewriter, op);
      std::optional<TilePlan> plan;
      if (std::optional<linalg::ContractionDimensions> dims =
              getRowMajorContraction(op))
        plan = planDotContraction(op, *dims);
      if (!plan) {
        if (linalg::TransposeOp transpose =
                transposeContractionRhs(rewriter, op)) {
          std::optional<TilePlan> plan = planTranspose8x8(transpose);
          if (!plan)
            plan = planDefault(transpose, config);
          if (plan)
            tileAndVectorize(rewriter, transpose, *plan);
        }
        if (std::optional<linalg::ContractionDimensions> dims =
                getRowMajorContraction(op))
          plan = planContraction(op, *dims, config);
      }
      if (!plan)
        plan = planTranspose8x8(op);
      if (!plan)
        plan = planDefault(op, config);
      if (plan)
        tileAndVectorize(rewriter, op, *plan);
    }
    // Clean up the tiles: fold the loop bounds, turn reductions of products
    // back into vector.contract (once the broadcasting reads are
    // minor-identity reads), then drop unit dimensions. Two separate rounds:
    // together these patterns can undo each other.
    {
      RewritePatternSet patterns(ctx);
      linalg::populateLinalgTilingCanonicalizationPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      (void)applyPatternsGreedily(func, std::move(patterns), boundedConfig());
    }
    {
      RewritePatternSet patterns(ctx);
      linalg::populateLinalgTilingCanonicalizationPatterns(patterns);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
      (void)applyPatternsGreedily(func, std::move(patterns), boundedConfig());
    }

    // Keep accumulator tiles in registers: hoist the read/write pairs of
    // loop-invariant subsets (tensor slices and vector transfers) out of the
    // reduction loops, innermost loops first.
    func.walk([&](scf::ForOp loop) {
      hoistLoopInvariantSubsets(rewriter,
                                cast<LoopLikeOpInterface>(loop.getOperation()));
    });

    {
      RewritePatternSet patterns(ctx);
      tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
      linalg::populateLinalgTilingCanonicalizationPatterns(patterns);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      (void)applyPatternsGreedily(func, std::move(patterns), boundedConfig());
    }
  }
};

} // namespace
