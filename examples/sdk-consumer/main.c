/*===- main.c - a C program built on the installed attn SDK ----- -*- C -*-===*\
|*                                                                            *|
|* Registers attn through its C API, parses a module holding one attn.sdpa,   *|
|* lowers it with attn-lower-to-cpu and counts the attn.sdpa ops before and   *|
|* after.                                                                     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "attn-c/Dialects.h"
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
  mlirContextDestroy(ctx);
  return ok ? 0 : 1;
}
