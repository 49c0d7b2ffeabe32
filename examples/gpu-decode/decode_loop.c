/*===- decode_loop.c - a GPU decode loop with attn's runtime and kernels --===*
 *
 * Runs decode steps of one attention layer on the GPU: the runtime keeps the
 * paged KV cache in device memory and hands out blocks; the kernels that
 * attn-compile generated from decode_step.mlir append each step's K and V
 * (RoPE fused) and compute paged attention (RoPE on Q fused). Kernels are
 * loaded and launched through attn_kernels.h, parameters bound by the names
 * the manifest gives them.
 *
 *   attn-compile examples/gpu-decode/decode_step.mlir --chip=sm_90a \
 *       --out-dir=/tmp/decode
 *   attn-decode-loop /tmp/decode/decode_step.json [steps]
 *
 * After the last step it checks the output of every (sequence, head) against
 * a double-precision computation on the CPU from the cache's contents (read
 * back through the runtime), and prints the largest error and the time per
 * step. Exits 77 when there is no CUDA device (nothing to run), 1 on an
 * error or a result outside the tolerance.
 *
 *===----------------------------------------------------------------------===*/

#include "attn/runtime/attn_kernels.h"
#include "attn/runtime/attn_runtime.h"

#include <cuda_runtime_api.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The shapes decode_step.mlir was written for. */
enum { B = 4, HQ = 32, HKV = 8, D = 128, BS = 16, NB = 256, W = 64 };
static const float kTheta = 10000.0f;

static int fail(const char *what, const char *msg) {
  fprintf(stderr, "decode_loop: %s: %s\n", what, msg);
  return 1;
}
#define CHECK_ATTN(call)                                                       \
  do {                                                                         \
    if ((call) != ATTN_OK)                                                     \
      return fail(#call, attn_last_error_message());                           \
  } while (0)
#define CHECK_KERNELS(call)                                                    \
  do {                                                                         \
    if ((call) != ATTN_KERNEL_OK)                                              \
      return fail(#call, attn_kernel_last_error());                            \
  } while (0)
#define CHECK_CUDA(call)                                                       \
  do {                                                                         \
    cudaError_t e_ = (call);                                                   \
    if (e_ != cudaSuccess)                                                     \
      return fail(#call, cudaGetErrorString(e_));                              \
  } while (0)

/* A device buffer bound to a parameter name. */
typedef struct {
  const char *name;
  void *ptr;
} Binding;

static void *lookup(const Binding *bs, int n, const char *name) {
  for (int i = 0; i < n; ++i)
    if (strcmp(bs[i].name, name) == 0)
      return bs[i].ptr;
  return NULL;
}

static float uniform(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((*state >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void randomF16(uint16_t *out, size_t n, uint64_t *state) {
  for (size_t i = 0; i < n; ++i)
    out[i] = attn_f32_to_f16(uniform(state));
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MANIFEST.json [steps]\n", argv[0]);
    return 2;
  }
  int steps = argc > 2 ? atoi(argv[2]) : 16;
  if (steps < 1)
    steps = 1;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    printf("decode_loop: no CUDA device: nothing to run\n");
    return 77;
  }

  /* The cache, in device memory. */
  attn_kv_cache_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.num_layers = 1;
  cfg.num_kv_heads = HKV;
  cfg.head_dim = D;
  cfg.block_size = BS;
  cfg.num_blocks = NB;
  cfg.layout = ATTN_LAYOUT_NHD;
  cfg.dtype = ATTN_DTYPE_F16;
  cfg.memory = ATTN_MEMORY_CUDA;
  attn_kv_cache_t *cache = NULL;
  CHECK_ATTN(attn_kv_cache_create(&cfg, &cache));
  attn_kv_layer_view_t view;
  CHECK_ATTN(attn_kv_get_layer_view(cache, 0, &view));

  /* Sequences with prompts of different lengths, appended by the runtime
   * (RoPE on K as the kernels apply it, so the cache is consistent). */
  int64_t seqs[B];
  const int prompt[B] = {100, 37, 500, 1};
  uint64_t rng = 12345;
  attn_rope_params_t rope = {ATTN_ROPE_NEOX, 0, kTheta};
  for (int b = 0; b < B; ++b) {
    CHECK_ATTN(attn_kv_seq_create(cache, &seqs[b]));
    size_t n = (size_t)prompt[b] * HKV * D;
    float *k = malloc(n * sizeof *k), *v = malloc(n * sizeof *v);
    int64_t *pos = malloc((size_t)prompt[b] * sizeof *pos);
    for (size_t i = 0; i < n; ++i) {
      k[i] = uniform(&rng);
      v[i] = uniform(&rng);
    }
    for (int t = 0; t < prompt[b]; ++t)
      pos[t] = t;
    CHECK_ATTN(attn_rope_apply(k, prompt[b], HKV, D, pos, &rope));
    CHECK_ATTN(attn_kv_append(cache, seqs[b], prompt[b], 1, HKV, D, k, v));
    free(k);
    free(v);
    free(pos);
  }

  /* Kernels and buffers. */
  attn_kernel_manifest *manifest = NULL;
  attn_kernel_module *module = NULL;
  CHECK_KERNELS(attn_kernel_manifest_load(argv[1], &manifest));
  CHECK_KERNELS(attn_kernel_module_load(argv[1], &module));
  const size_t qBytes = (size_t)B * HQ * D * 2,
               kvBytes = (size_t)B * HKV * D * 2;
  void *dq, *dk, *dv, *dtable, *dcache, *dctx, *dout;
  CHECK_CUDA(cudaMalloc(&dq, qBytes));
  CHECK_CUDA(cudaMalloc(&dk, kvBytes));
  CHECK_CUDA(cudaMalloc(&dv, kvBytes));
  CHECK_CUDA(cudaMalloc(&dtable, (size_t)B * W * 4));
  CHECK_CUDA(cudaMalloc(&dcache, B * 4));
  CHECK_CUDA(cudaMalloc(&dctx, B * 4));
  CHECK_CUDA(cudaMalloc(&dout, qBytes));
  Binding bind[16] = {{"query_1", dq},
                      {"k_cache_0", view.k_pool},
                      {"v_cache_0", view.v_pool},
                      {"k_new_0", dk},
                      {"v_new_0", dv},
                      {"block_table_0", dtable},
                      {"cache_lens_0", dcache},
                      {"context_lens_1", dctx},
                      {"out_1", dout}};
  int nbind = 9;
  /* Workspaces (split-KV partials): allocated from the manifest. */
  int nk = attn_kernel_manifest_num_kernels(manifest);
  for (int ki = 0; ki < nk; ++ki) {
    attn_kernel_info info;
    CHECK_KERNELS(attn_kernel_manifest_kernel(manifest, ki, &info));
    for (int pi = 0; pi < info.num_params; ++pi) {
      attn_kernel_param_info p;
      CHECK_KERNELS(attn_kernel_manifest_param(manifest, info.name, pi, &p));
      if (p.kind == ATTN_KERNEL_PARAM_POINTER && !lookup(bind, nbind, p.name)) {
        if (nbind == 16)
          return fail("bind", "too many parameters");
        bind[nbind].name = p.name;
        CHECK_CUDA(cudaMalloc(&bind[nbind].ptr, p.bytes));
        ++nbind;
      }
    }
  }

  uint16_t *q = malloc(qBytes), *knew = malloc(kvBytes),
           *vnew = malloc(kvBytes), *out = malloc(qBytes);
  int32_t table[B * W], cacheLens[B], ctx[B];
  double seconds = 0;
  uint32_t lastSplits = 0; /* the split count of the last step's launch */
  for (int step = 0; step < steps; ++step) {
    randomF16(q, qBytes / 2, &rng);
    randomF16(knew, kvBytes / 2, &rng);
    randomF16(vnew, kvBytes / 2, &rng);
    /* The slots of the new tokens: cache_lens before, context lengths
     * after. */
    for (int b = 0; b < B; ++b) {
      int64_t len;
      CHECK_ATTN(attn_kv_seq_length(cache, seqs[b], &len));
      cacheLens[b] = (int32_t)len;
      CHECK_ATTN(attn_kv_reserve(cache, seqs[b], 1));
    }
    CHECK_ATTN(attn_kv_get_block_table(cache, seqs, B, W, table, ctx));
    CHECK_CUDA(cudaMemcpy(dq, q, qBytes, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(dk, knew, kvBytes, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(dv, vnew, kvBytes, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(dtable, table, sizeof table, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(dcache, cacheLens, sizeof cacheLens,
                          cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(dctx, ctx, sizeof ctx, cudaMemcpyHostToDevice));

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int ki = 0; ki < nk; ++ki) {
      attn_kernel_info info;
      attn_kernel *kernel = NULL;
      void *params[32];
      CHECK_KERNELS(attn_kernel_manifest_kernel(manifest, ki, &info));
      CHECK_KERNELS(attn_kernel_get(module, info.name, &kernel));
      if (info.num_params > 32)
        return fail("launch", "too many parameters");
      for (int pi = 0; pi < info.num_params; ++pi) {
        attn_kernel_param_info p;
        CHECK_KERNELS(attn_kernel_manifest_param(manifest, info.name, pi, &p));
        /* Tensor maps (none here) are encoded by the launch when NULL. */
        params[pi] = p.kind == ATTN_KERNEL_PARAM_TENSOR_MAP
                         ? NULL
                         : lookup(bind, nbind, p.name);
        if (p.kind == ATTN_KERNEL_PARAM_POINTER && !params[pi])
          return fail(p.name, "no buffer for this parameter");
      }
      /* The split-KV attention kernel takes its split count as grid x: keep
       * the default's keys per split (balanced for a full table) and launch
       * only as many splits as this step's longest context needs. */
      uint32_t grid[3] = {info.grid[0], info.grid[1], info.grid[2]};
      if (info.max_splits) {
        int32_t longest = 0;
        for (int b = 0; b < B; ++b)
          longest = ctx[b] > longest ? ctx[b] : longest;
        uint32_t tilesMax = (uint32_t)((W * BS + 63) / 64);
        uint32_t perSplit = (tilesMax + info.grid[0] - 1) / info.grid[0];
        uint32_t tiles = (uint32_t)((longest + 63) / 64);
        uint32_t splits = (tiles + perSplit - 1) / perSplit;
        grid[0] = splits < 1                 ? 1
                  : splits > info.max_splits ? info.max_splits
                                             : splits;
        lastSplits = grid[0];
      }
      CHECK_KERNELS(attn_kernel_launch(kernel, grid, NULL, NULL, params, NULL,
                                       info.num_params));
    }
    CHECK_CUDA(cudaDeviceSynchronize());
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (step > 0) /* the first step includes loading and warm-up */
      seconds += (double)(t1.tv_sec - t0.tv_sec) +
                 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  }
  CHECK_CUDA(cudaMemcpy(out, dout, qBytes, cudaMemcpyDeviceToHost));

  /* Check the last step on the CPU: K and V read back from the cache (the
   * appended K already rotated by the kernel), Q rotated here. */
  double maxErr = 0;
  for (int b = 0; b < B; ++b) {
    size_t n = (size_t)ctx[b] * HKV * D;
    float *k = malloc(n * sizeof *k), *v = malloc(n * sizeof *v);
    float qrow[HQ * D];
    int64_t pos = cacheLens[b];
    CHECK_ATTN(attn_kv_read(cache, seqs[b], 0, 0, ctx[b], k, v));
    for (int i = 0; i < HQ * D; ++i)
      qrow[i] = attn_f16_to_f32(q[(size_t)b * HQ * D + (size_t)i]);
    CHECK_ATTN(attn_rope_apply(qrow, 1, HQ, D, &pos, &rope));
    for (int h = 0; h < HQ; ++h) {
      const float *qh = qrow + h * D;
      int kvh = h / (HQ / HKV);
      double *s = malloc((size_t)ctx[b] * sizeof *s), mx = -INFINITY, sum = 0;
      for (int j = 0; j < ctx[b]; ++j) {
        double dot = 0;
        for (int d = 0; d < D; ++d)
          dot += (double)attn_f16_to_f32(attn_f32_to_f16(qh[d])) *
                 k[((size_t)j * HKV + (size_t)kvh) * D + (size_t)d];
        s[j] = dot / sqrt((double)D);
        if (s[j] > mx)
          mx = s[j];
      }
      for (int j = 0; j < ctx[b]; ++j)
        sum += (s[j] = exp(s[j] - mx));
      for (int d = 0; d < D; ++d) {
        double o = 0;
        for (int j = 0; j < ctx[b]; ++j)
          o += s[j] * v[((size_t)j * HKV + (size_t)kvh) * D + (size_t)d];
        double got =
            attn_f16_to_f32(out[((size_t)b * HQ + (size_t)h) * D + (size_t)d]);
        double err = fabs(got - o / sum);
        if (err > maxErr)
          maxErr = err;
      }
      free(s);
    }
    free(k);
    free(v);
  }
  printf("decode_loop: %d steps of batch %d (contexts %d %d %d %d, %u "
         "splits), %.1f us per step, max |error| %.3g\n",
         steps, B, ctx[0], ctx[1], ctx[2], ctx[3], lastSplits,
         steps > 1 ? 1e6 * seconds / (steps - 1) : 0.0, maxErr);

  for (int i = 0; i < nbind; ++i)
    if (i >= 1 && i <= 2)
      continue; /* the pools belong to the cache */
    else
      cudaFree(bind[i].ptr);
  free(q);
  free(knew);
  free(vnew);
  free(out);
  attn_kernel_module_free(module);
  attn_kernel_manifest_free(manifest);
  attn_kv_cache_destroy(cache);
  /* f16 output (half an ulp, 2^-11 relative) and f16 operands. */
  if (!(maxErr < 4e-3))
    return fail("check", "the output differs from the CPU computation");
  return 0;
}
