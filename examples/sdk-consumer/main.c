/*===- main.c - a C program built on the installed attn SDK ----- -*- C -*-===*\
|*                                                                            *|
|* Registers attn through its C API, parses a module holding one attn.sdpa,   *|
|* lowers it with attn-lower-to-cpu and counts the attn.sdpa ops before and   *|
|* after; then builds one from its shapes and JIT-runs it on the CPU.         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "attn-c/Build.h"
#include "attn-c/Dialects.h"
#include "attn-c/Run.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#include <stdio.h>

static const char *kModule =
    "func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {\n"
    "  %o = attn.sdpa %q, %q, %q\n"
    "      : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>\n"
    "      -> tensor<1x2x4x8xf32>\n"
    "  return %o : tensor<1x2x4x8xf32>\n"
    "}\n";

static int countSdpa(MlirOperation op) {
  int count = attnOperationIsSdpa(op) ? 1 : 0;
  for (intptr_t r = 0; r < mlirOperationGetNumRegions(op); ++r) {
    MlirRegion region = mlirOperationGetRegion(op, r);
    for (MlirBlock b = mlirRegionGetFirstBlock(region); !mlirBlockIsNull(b);
         b = mlirBlockGetNextInRegion(b))
      for (MlirOperation o = mlirBlockGetFirstOperation(b);
           !mlirOperationIsNull(o); o = mlirOperationGetNextInBlock(o))
        count += countSdpa(o);
  }
  return count;
}

int main(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  attnRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  attnRegisterAllPasses();

  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kModule));
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "error: the attn.sdpa module did not parse\n");
    return 1;
  }
  MlirOperation top = mlirModuleGetOperation(module);
  printf("C API: attn.sdpa ops before: %d\n", countSdpa(top));

  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm),
      mlirStringRefCreateFromCString("builtin.module(attn-lower-to-cpu)"), NULL,
      NULL);
  int ok = mlirLogicalResultIsSuccess(parsed) &&
           mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, top)) &&
           mlirOperationVerify(top);
  printf("C API: lowered: %d, attn.sdpa ops after: %d\n", ok, countSdpa(top));

  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);

  /* Without .mlir text: attn.sdpa from its shapes, JIT-run on the CPU. One
     query attends to two keys; equal scores average the two value rows. */
  AttnSdpaDesc desc;
  attnSdpaDescInit(&desc);
  desc.kvLen = 2;
  desc.headDim = 4;
  MlirModule built =
      attnSdpaModuleCreate(ctx, mlirStringRefCreateFromCString("f"), &desc);
  AttnCpuFunction *fn =
      mlirModuleIsNull(built)
          ? NULL
          : attnCpuFunctionCreate(built, mlirStringRefCreateFromCString("f"),
                                  1);
  float q[4] = {0}, k[8] = {0}, v[8] = {1, 2, 3, 4, 3, 4, 5, 6}, o[4] = {0};
  void *buffers[] = {q, k, v, o};
  int ran =
      fn && mlirLogicalResultIsSuccess(attnCpuFunctionCall(fn, buffers, 4));
  if (!ran)
    fprintf(stderr, "error: %s\n", attnGetLastError());
  printf("C API: built and ran: %d, out = %g %g %g %g\n", ran, o[0], o[1], o[2],
         o[3]);
  if (fn)
    attnCpuFunctionDestroy(fn);
  if (!mlirModuleIsNull(built))
    mlirModuleDestroy(built);
  mlirContextDestroy(ctx);
  return ok && ran ? 0 : 1;
}
