/* A C99 program using the attn runtime's C API: creates a CPU cache, appends
 * f16 host data with attn_kv_append_v2, reads it back as f32, and touches
 * the CUDA probe and the kernel loader so every part of the library links.
 * Exits 0 on success, 1 with a message otherwise. */
#include "attn/runtime/attn_kernels.h"
#include "attn/runtime/attn_runtime.h"

#include <stdio.h>
#include <string.h>

static int fail(const char *what, attn_status_t st) {
  fprintf(stderr, "c_consumer: %s: %s (%s)\n", what, attn_status_string(st),
          attn_last_error_message());
  return 1;
}

int main(void) {
  /* 1 layer, 2 KV heads, head dim 4, f16 storage. */
  attn_kv_cache_config_t cfg;
  attn_kv_cache_t *cache = NULL;
  int64_t seq = 0;
  uint16_t k[3 * 2 * 4], v[3 * 2 * 4];
  float kOut[3 * 2 * 4], vOut[3 * 2 * 4];
  attn_status_t st;
  size_t i;

  if (strcmp(attn_runtime_version(), ATTN_RUNTIME_VERSION_STRING) != 0) {
    fprintf(stderr, "c_consumer: header %s, library %s\n",
            ATTN_RUNTIME_VERSION_STRING, attn_runtime_version());
    return 1;
  }
  memset(&cfg, 0, sizeof cfg);
  cfg.num_layers = 1;
  cfg.num_kv_heads = 2;
  cfg.head_dim = 4;
  cfg.block_size = 2;
  cfg.num_blocks = 4;
  cfg.layout = ATTN_LAYOUT_NHD;
  cfg.dtype = ATTN_DTYPE_F16;
  cfg.granularity = ATTN_QUANT_NONE;
  cfg.memory = ATTN_MEMORY_CPU;
  if ((st = attn_kv_cache_create(&cfg, &cache)) != ATTN_OK)
    return fail("attn_kv_cache_create", st);
  if ((st = attn_kv_seq_create(cache, &seq)) != ATTN_OK)
    return fail("attn_kv_seq_create", st);
  /* f16 i / 4 for K (0x3400 is 0.25), -i for V. */
  for (i = 0; i < sizeof k / sizeof k[0]; ++i) {
    k[i] = attn_f32_to_f16((float)i / 4.0f);
    v[i] = attn_f32_to_f16(-(float)i);
  }
  st = attn_kv_append_v2(cache, seq, 3, 1, 2, 4, k, v, ATTN_DTYPE_F16,
                         ATTN_MEMORY_CPU);
  if (st != ATTN_OK)
    return fail("attn_kv_append_v2", st);
  if ((st = attn_kv_read(cache, seq, 0, 0, 3, kOut, vOut)) != ATTN_OK)
    return fail("attn_kv_read", st);
  for (i = 0; i < sizeof k / sizeof k[0]; ++i)
    if (kOut[i] != (float)i / 4.0f || vOut[i] != -(float)i) {
      fprintf(stderr, "c_consumer: element %u reads %g, %g\n", (unsigned)i,
              (double)kOut[i], (double)vOut[i]);
      return 1;
    }
  attn_kv_cache_destroy(cache);

  printf("c_consumer: attn runtime %s, CUDA memory %s, kernel loader GPU "
         "path %s\n",
         attn_runtime_version(),
         attn_runtime_has_cuda() ? "available" : "not available here",
         attn_kernel_built_with_cuda() ? "built" : "not built");
  return 0;
}
