/*===- attn-capi-test.c - exercise the attn C API -----------------*- C -*-===*/
// RUN: attn-capi-test 2>&1 | FileCheck %s

#include "attn-c/Dialects.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#include <stdio.h>

static const char *kModule =
    "func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {\n"
    "  %o = attn.sdpa %q, %q, %q {mask = #attn.mask<causal = true>}\n"
    "      : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>\n"
    "      -> tensor<1x2x4x8xf32>\n"
    "  return %o : tensor<1x2x4x8xf32>\n"
    "}\n";

static void countSdpa(MlirOperation op, int *count) {
  if (attnOperationIsSdpa(op))
    ++*count;
  for (intptr_t r = 0; r < mlirOperationGetNumRegions(op); ++r) {
    MlirRegion region = mlirOperationGetRegion(op, r);
    for (MlirBlock b = mlirRegionGetFirstBlock(region); !mlirBlockIsNull(b);
         b = mlirBlockGetNextInRegion(b))
      for (MlirOperation o = mlirBlockGetFirstOperation(b);
           !mlirOperationIsNull(o); o = mlirOperationGetNextInBlock(o))
        countSdpa(o, count);
  }
}

int main(void) {
  /* Keep stdout and the diagnostics on stderr in program order. */
  setvbuf(stdout, NULL, _IONBF, 0);
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  attnRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);

  MlirDialect attn =
      mlirContextGetOrLoadDialect(ctx, mlirStringRefCreateFromCString("attn"));
  // CHECK: attn dialect loaded: 1
  printf("attn dialect loaded: %d\n", !mlirDialectIsNull(attn));

  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kModule));
  // CHECK: parsed: 1
  printf("parsed: %d\n", !mlirModuleIsNull(module));
  if (mlirModuleIsNull(module))
    return 1;

  int count = 0;
  countSdpa(mlirModuleGetOperation(module), &count);
  // CHECK: sdpa ops: 1
  printf("sdpa ops: %d\n", count);

  MlirModule bad = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString("func.func @g() { attn.sdpa }"));
  // CHECK: error: expected SSA operand
  // CHECK: malformed rejected: 1
  printf("malformed rejected: %d\n", mlirModuleIsNull(bad));

  attnRegisterAllPasses();
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      opm, mlirStringRefCreateFromCString("builtin.module(canonicalize)"), NULL,
      NULL);
  // CHECK: pipeline parsed: 1
  printf("pipeline parsed: %d\n", mlirLogicalResultIsSuccess(parsed));
  MlirLogicalResult ran =
      mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module));
  // CHECK: pipeline ran: 1
  printf("pipeline ran: %d\n", mlirLogicalResultIsSuccess(ran));

  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
