/*===- attn-capi-run-test.c - build, run and compile through the C API -*- C
 * -*-===*/
// RUN: rm -rf %t && attn-capi-run-test %t 2>&1 | FileCheck %s
//
// An engine's path without .mlir text: attn.sdpa from its shapes, JIT-run on
// the CPU against a plain fp64 reference written here, GPU kernels and their
// manifest written; and every error as a message, not a crash.

#include "attn-c/Build.h"
#include "attn-c/Run.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/IR.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, HQ = 4, HKV = 2, SQ = 5, SK = 7, D = 8 };

static void printToStdout(MlirStringRef s, void *userData) {
  (void)userData;
  fwrite(s.data, 1, s.length, stdout);
}

static float nextRandom(unsigned *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)((*state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/// softmax(scale q.k, causal bottom-right) v, and the lse, in double.
static void reference(const float *q, const float *k, const float *v,
                      double *out, double *lse) {
  double scale = 1.0 / sqrt((double)D);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < HQ; ++h)
      for (int i = 0; i < SQ; ++i) {
        int kh = h / (HQ / HKV);
        double s[SK], m = -INFINITY, sum = 0;
        int last = i + SK - SQ; /* bottom-right diagonal */
        for (int j = 0; j < SK; ++j) {
          s[j] = -INFINITY;
          if (j > last)
            continue;
          double dot = 0;
          for (int d = 0; d < D; ++d)
            dot += (double)q[((b * HQ + h) * SQ + i) * D + d] *
                   (double)k[((b * HKV + kh) * SK + j) * D + d];
          s[j] = scale * dot;
          if (s[j] > m)
            m = s[j];
        }
        for (int j = 0; j < SK; ++j)
          sum += j <= last ? exp(s[j] - m) : 0;
        for (int d = 0; d < D; ++d) {
          double acc = 0;
          for (int j = 0; j <= last && j < SK; ++j)
            acc += exp(s[j] - m) / sum *
                   (double)v[((b * HKV + kh) * SK + j) * D + d];
          out[((b * HQ + h) * SQ + i) * D + d] = acc;
        }
        lse[(b * HQ + h) * SQ + i] = m + log(sum);
      }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *outDir = argc > 1 ? argv[1] : "attn-capi-run-out";
  MlirContext ctx = attnContextCreate();
  // CHECK: version: {{[0-9]+\.[0-9]+\.[0-9]+}}
  printf("version: %s\n", attnGetVersion());

  /* Arguments of one printf are evaluated in any order: each call below runs
     before the attnGetLastError() that reports it. */

  /* Attributes. */
  MlirAttribute mask = attnMaskAttrGet(ctx, true, true, 16, -1);
  // CHECK: mask: #attn.mask<causal = true, align = bottom_right, window_left =
  // 16>
  printf("mask: ");
  mlirAttributePrint(mask, printToStdout, NULL);
  printf("\n");
  MlirAttribute badMask = attnMaskAttrGet(ctx, true, false, -1, 3);
  // CHECK: bad mask: null 1, error: {{.*}}window_right
  printf("bad mask: null %d, error: %s\n", mlirAttributeIsNull(badMask),
         attnGetLastError());
  MlirAttribute quant =
      attnQuantAttrGet(ctx, ATTN_QUANT_INT8_ASYM, ATTN_QUANT_PER_HEAD, 1);
  // CHECK: quant: #attn.quant<int8_asym, per_head, axis = 1>
  printf("quant: ");
  mlirAttributePrint(quant, printToStdout, NULL);
  printf("\n");
  // CHECK: layout: #attn<layout bshd>
  printf("layout: ");
  mlirAttributePrint(attnLayoutAttrGet(ctx, ATTN_LAYOUT_BSHD), printToStdout,
                     NULL);
  printf("\n");

  /* One op, built from values. */
  MlirAttribute noEncoding = {NULL};
  int64_t qShape[] = {B, HQ, SQ, D};
  MlirType f32 = mlirF32TypeGet(ctx);
  MlirType qType = mlirRankedTensorTypeGet(4, qShape, f32, noEncoding);
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  MlirBlock block = mlirBlockCreate(1, &qType, &loc);
  AttnSdpaOperands operands;
  attnSdpaOperandsInit(&operands);
  operands.query = operands.key = operands.value =
      mlirBlockGetArgument(block, 0);
  operands.mask = mask;
  operands.softcap = 30.0f;
  operands.resultType = qType;
  MlirOperation op = attnSdpaOpCreate(loc, &operands);
  // CHECK: op: %result = attn.sdpa {{.*}} {mask = #attn.mask<causal = true,
  // align = bottom_right, window_left = 16>, softcap = 3.000000e+01 : f32}
  printf("op: ");
  mlirBlockAppendOwnedOperation(block, op);
  mlirOperationPrint(op, printToStdout, NULL);
  printf("\n");
  int64_t wrongShape[] = {B, HQ, SQ, D + 1};
  operands.resultType = mlirRankedTensorTypeGet(4, wrongShape, f32, noEncoding);
  MlirOperation badOp = attnSdpaOpCreate(loc, &operands);
  // CHECK: bad op: null 1, error: loc(unknown): error: 'attn.sdpa' op expected
  // value and result to have the same head dim, got 8 and 9 CHECK-NOT: see
  // current operation
  printf("bad op: null %d, error: %s\n", mlirOperationIsNull(badOp),
         attnGetLastError());
  mlirBlockDestroy(block);

  /* A whole function from shapes. */
  AttnSdpaDesc desc;
  attnSdpaDescInit(&desc);
  desc.batch = B;
  desc.queryHeads = HQ;
  desc.kvHeads = HKV;
  desc.queryLen = SQ;
  desc.kvLen = SK;
  desc.headDim = D;
  desc.causal = true;
  desc.bottomRight = true;
  desc.lse = true;
  MlirModule module =
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("gqa"), &desc);
  // CHECK: func.func @gqa(%arg0: tensor<2x4x5x8xf32>, %arg1:
  // tensor<2x2x7x8xf32>, %arg2: tensor<2x2x7x8xf32>) -> (tensor<2x4x5x8xf32>,
  // tensor<2x4x5xf32>) CHECK: attn.sdpa %arg0, %arg1, %arg2 {mask =
  // #attn.mask<causal = true, align = bottom_right>}
  mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
  printf("\n");

  AttnSdpaDesc bad = desc;
  bad.kvHeads = 3;
  // CHECK: bad desc: null 1, error: loc("gqa"): error: 'attn.sdpa' op expected
  // the 4 heads of query to be a positive multiple of the 3 heads of key
  int isNull = mlirModuleIsNull(
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("gqa"), &bad));
  printf("bad desc: null %d, error: %s\n", isNull, attnGetLastError());
  bad = desc;
  bad.elementType = "f8";
  // CHECK: bad type: null 1, error: unsupported element type 'f8'
  isNull = mlirModuleIsNull(
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("gqa"), &bad));
  printf("bad type: null %d, error: %s\n", isNull, attnGetLastError());

  /* Pipelines by name. */
  MlirModule copy =
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("gqa"), &desc);
  // CHECK: bad pipeline: 0, error: invalid pipeline 'attn-no-such-pass'
  int ok = mlirLogicalResultIsSuccess(attnRunPipeline(
      copy, mlirStringRefCreateFromCString("attn-no-such-pass")));
  printf("bad pipeline: %d, error: %s\n", ok, attnGetLastError());
  // CHECK: flash tiled: 1
  printf("flash tiled: %d\n",
         mlirLogicalResultIsSuccess(attnRunPipeline(
             copy, mlirStringRefCreateFromCString(
                       "builtin.module(func.func(attn-flash-tile))"))));
  mlirModuleDestroy(copy);

  /* The CPU, against the reference. */
  MlirModule gpuModule =
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("gqa"), &desc);
  AttnCpuFunction *fn =
      attnCpuFunctionCreate(module, mlirStringRefCreateFromCString("gqa"), 2);
  if (!fn) {
    printf("JIT failed: %s\n", attnGetLastError());
    return 1;
  }
  int64_t sizes[4];
  intptr_t rank = attnCpuFunctionGetShape(fn, 4, sizes);
  // CHECK: 3 arguments, 2 results; result 1: rank 3 [2, 4, 5] f32
  printf("%ld arguments, %ld results; result 1: rank %ld [%ld, %ld, %ld] %s\n",
         (long)attnCpuFunctionGetNumArguments(fn),
         (long)attnCpuFunctionGetNumResults(fn), (long)rank, (long)sizes[0],
         (long)sizes[1], (long)sizes[2], attnCpuFunctionGetElementType(fn, 4));
  // CHECK: out of range: -1 ''
  printf("out of range: %ld '%s'\n", (long)attnCpuFunctionGetShape(fn, 5, NULL),
         attnCpuFunctionGetElementType(fn, 5));

  static float q[B * HQ * SQ * D], k[B * HKV * SK * D], v[B * HKV * SK * D];
  static float out[B * HQ * SQ * D], lse[B * HQ * SQ];
  static double refOut[B * HQ * SQ * D], refLse[B * HQ * SQ];
  unsigned state = 7;
  for (int i = 0; i < B * HQ * SQ * D; ++i)
    q[i] = nextRandom(&state);
  for (int i = 0; i < B * HKV * SK * D; ++i) {
    k[i] = nextRandom(&state);
    v[i] = nextRandom(&state);
  }
  void *buffers[] = {q, k, v, out, lse};
  // CHECK: wrong buffer count: 0, error: @gqa takes 5 buffers (arguments, then
  // results), got 3
  ok = mlirLogicalResultIsSuccess(attnCpuFunctionCall(fn, buffers, 3));
  printf("wrong buffer count: %d, error: %s\n", ok, attnGetLastError());
  MlirLogicalResult called = attnCpuFunctionCall(fn, buffers, 5);
  reference(q, k, v, refOut, refLse);
  double maxErr = 0, maxLseErr = 0;
  for (int i = 0; i < B * HQ * SQ * D; ++i)
    maxErr = fmax(maxErr, fabs(out[i] - refOut[i]));
  for (int i = 0; i < B * HQ * SQ; ++i)
    maxLseErr = fmax(maxLseErr, fabs(lse[i] - refLse[i]));
  // CHECK: called: 1, matches fp64: 1 1
  printf("called: %d, matches fp64: %d %d\n",
         mlirLogicalResultIsSuccess(called), maxErr < 1e-5, maxLseErr < 1e-5);
  attnCpuFunctionDestroy(fn);
  mlirModuleDestroy(module);

  /* A KV cache updated in place: the function returns the appended pools;
     with the pools' own buffers as the result buffers, a decode loop keeps
     one pool that every call appends to. 4 blocks of 2 tokens, 1 KV head,
     head dim 4; sequence 0 owns blocks 2 then 0. */
  MlirModule cacheModule = attnModuleParse(
      ctx, mlirStringRefCreateFromCString(
               "func.func @append(%kc: tensor<4x2x1x4xf32>, %vc: "
               "tensor<4x2x1x4xf32>, %k: tensor<1x1x1x4xf32>, %v: "
               "tensor<1x1x1x4xf32>, %table: tensor<1x2xi32>, %lens: "
               "tensor<1xi32>) -> (tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>) "
               "{\n"
               "  %a, %b = attn.kv_cache_append %kc, %vc, %k, %v, %table, "
               "%lens : tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>, "
               "tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1x2xi32>, "
               "tensor<1xi32>\n"
               "  return %a, %b : tensor<4x2x1x4xf32>, tensor<4x2x1x4xf32>\n"
               "}"));
  AttnCpuFunction *append = attnCpuFunctionCreate(
      cacheModule, mlirStringRefCreateFromCString("append"), 1);
  static float kPool[32], vPool[32], kOut[32], vOut[32], kTok[4], vTok[4];
  int32_t table[2] = {2, 0}, lens[1];
  int steps = 0, placed = 1;
  for (int t = 0; append && t < 3; ++t) {
    for (int d = 0; d < 4; ++d) {
      kTok[d] = (float)(10 * t + d);
      vTok[d] = -(float)(10 * t + d);
    }
    lens[0] = t;
    void *poolBuffers[] = {kPool, vPool, kTok, vTok, table, lens, kPool, vPool};
    steps +=
        mlirLogicalResultIsSuccess(attnCpuFunctionCall(append, poolBuffers, 8));
  }
  /* Token t is row t % 2 of block table[t / 2]. */
  for (int t = 0; t < 3; ++t)
    for (int d = 0; d < 4; ++d) {
      int at = (table[t / 2] * 2 + t % 2) * 4 + d;
      placed &=
          kPool[at] == (float)(10 * t + d) && vPool[at] == -(float)(10 * t + d);
    }
  /* Separate result buffers receive the appended pools as well (token 3:
     row 1 of block table[1]). */
  lens[0] = 3;
  void *outBuffers[] = {kPool, vPool, kTok, vTok, table, lens, kOut, vOut};
  int separate = append && mlirLogicalResultIsSuccess(
                               attnCpuFunctionCall(append, outBuffers, 8));
  separate &= memcmp(kOut, kPool, sizeof(kPool)) == 0 &&
              memcmp(vOut, vPool, sizeof(vPool)) == 0 &&
              kOut[(table[1] * 2 + 1) * 4 + 3] == kTok[3];
  // CHECK: in place: 3 steps, tokens placed 1, separate results 1
  printf("in place: %d steps, tokens placed %d, separate results %d\n", steps,
         placed, separate);
  if (append)
    attnCpuFunctionDestroy(append);
  mlirModuleDestroy(cacheModule);

  /* A function with a 4 MiB temporary (the scores of an unfused chain):
     the JIT keeps it for the next call until the cache is released. */
  const char *chainText =
      "func.func @chain(%q: tensor<1x4x512x8xf32>, %k: tensor<1x4x512x8xf32>)"
      "    -> tensor<1x4x512x8xf32> {\n"
      "  %s = attn.scores %q, %k : tensor<1x4x512x8xf32>,"
      "      tensor<1x4x512x8xf32> -> tensor<1x4x512x512xf32>\n"
      "  %p, %l = attn.softmax %s : tensor<1x4x512x512xf32>"
      "      -> tensor<1x4x512x512xf32>, tensor<1x4x512xf32>\n"
      "  %o = attn.weighted_sum %p, %k : tensor<1x4x512x512xf32>,"
      "      tensor<1x4x512x8xf32> -> tensor<1x4x512x8xf32>\n"
      "  return %o : tensor<1x4x512x8xf32>\n"
      "}\n";
  MlirModule chainModule =
      attnModuleParse(ctx, mlirStringRefCreateFromCString(chainText));
  AttnCpuFunction *chain =
      mlirModuleIsNull(chainModule)
          ? NULL
          : attnCpuFunctionCreate(chainModule,
                                  mlirStringRefCreateFromCString("chain"), 1);
  static float cq[4 * 512 * 8], cOut[4 * 512 * 8], cOut2[4 * 512 * 8];
  for (int i = 0; i < 4 * 512 * 8; ++i)
    cq[i] = nextRandom(&state);
  void *chainBuffers[] = {cq, cq, cOut};
  int chainCalls = chain && mlirLogicalResultIsSuccess(
                                attnCpuFunctionCall(chain, chainBuffers, 3));
  size_t kept = attnCpuReleaseCachedBuffers();
  size_t keptAgain = attnCpuReleaseCachedBuffers();
  void *chainBuffers2[] = {cq, cq, cOut2};
  chainCalls += chain && mlirLogicalResultIsSuccess(
                             attnCpuFunctionCall(chain, chainBuffers2, 3));
  // CHECK: released: at least 4 MiB 1, then 0 bytes; calls 2, same results 1
  printf("released: at least 4 MiB %d, then %zu bytes; calls %d, same "
         "results %d\n",
         kept >= (size_t)4 << 20, keptAgain, chainCalls,
         memcmp(cOut, cOut2, sizeof(cOut)) == 0);
  if (chain)
    attnCpuFunctionDestroy(chain);
  mlirModuleDestroy(chainModule);

  /* GPU kernels (PTX only: no ptxas needed). */
  AttnCompileOptions options;
  attnCompileOptionsInit(&options);
  options.cubin = false;
  options.moduleName = "gqa_kernels";
  intptr_t kernels = attnCompileKernels(gpuModule, &options,
                                        mlirStringRefCreateFromCString(outDir));
  char path[4096];
  snprintf(path, sizeof(path), "%s/gqa_kernels.json", outDir);
  FILE *manifest = fopen(path, "r");
  // CHECK: kernels: 1, manifest: 1
  printf("kernels: %ld, manifest: %d\n", (long)kernels, manifest != NULL);
  if (manifest)
    fclose(manifest);
  mlirModuleDestroy(gpuModule);
  MlirModule empty = attnModuleParse(ctx, mlirStringRefCreateFromCString(""));
  // CHECK: nothing to compile: -1, error: no attn.sdpa in the module: nothing
  // to compile
  kernels = attnCompileKernels(empty, &options,
                               mlirStringRefCreateFromCString(outDir));
  printf("nothing to compile: %ld, error: %s\n", (long)kernels,
         attnGetLastError());
  mlirModuleDestroy(empty);
  options.chip = "sm_75";
  MlirModule another =
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("gqa"), &desc);
  // CHECK: bad chip: -1, error: unsupported chip 'sm_75', expected sm_80 or
  // sm_90a
  kernels = attnCompileKernels(another, &options,
                               mlirStringRefCreateFromCString(outDir));
  printf("bad chip: %ld, error: %s\n", (long)kernels, attnGetLastError());
  mlirModuleDestroy(another);
  // CHECK: parse error: 1, error: loc("-":1:12): error: @ identifier expected
  // to start with letter or '_'
  MlirModule unparsed =
      attnModuleParse(ctx, mlirStringRefCreateFromCString("func.func @"));
  printf("parse error: %d, error: %s\n", mlirModuleIsNull(unparsed),
         attnGetLastError());
  mlirContextDestroy(ctx);
  return 0;
}
