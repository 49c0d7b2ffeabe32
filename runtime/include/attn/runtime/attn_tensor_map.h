/*===- attn_tensor_map.h - TMA tensor maps for the simulator ------*- C -*-===*
 *
 * The 128-byte tensor map (TMA descriptor) as attn-gpu-sim reads it. On a
 * real GPU the driver's cuTensorMapEncodeTiled fills an opaque 128-byte
 * CUtensorMap instead; kernels only pass the 128 bytes through (by value as
 * a .param or by pointer), so the same kernel runs in both places with the
 * map encoded by the matching encoder. The fields and checks follow
 * cuTensorMapEncodeTiled: dims innermost first, strides in bytes for dims
 * 1..rank-1 (multiples of 16), a 16-byte aligned global address, box sizes
 * 1..256 with the inner box a multiple of 16 bytes, and with swizzling the
 * inner box at most the swizzle span.
 *
 * Plain C, header only; usable from C and C++.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTN_RUNTIME_ATTN_TENSOR_MAP_H
#define ATTN_RUNTIME_ATTN_TENSOR_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTN_TENSOR_MAP_MAGIC 0x314d5441u /* "ATM1" */

typedef enum attn_tensor_map_dtype {
  ATTN_TMAP_U8 = 0,
  ATTN_TMAP_U16 = 1,
  ATTN_TMAP_U32 = 2,
  ATTN_TMAP_I32 = 3,
  ATTN_TMAP_U64 = 4,
  ATTN_TMAP_F16 = 5,
  ATTN_TMAP_BF16 = 6,
  ATTN_TMAP_F32 = 7,
  ATTN_TMAP_E4M3 = 8,
  ATTN_TMAP_E5M2 = 9,
} attn_tensor_map_dtype;

typedef enum attn_tensor_map_swizzle {
  ATTN_TMAP_SWIZZLE_NONE = 0,
  ATTN_TMAP_SWIZZLE_32B = 1,
  ATTN_TMAP_SWIZZLE_64B = 2,
  ATTN_TMAP_SWIZZLE_128B = 3,
} attn_tensor_map_swizzle;

/* The remaining parameters of cuTensorMapEncodeTiled, with its values. */
typedef enum attn_tensor_map_interleave {
  ATTN_TMAP_INTERLEAVE_NONE = 0,
  ATTN_TMAP_INTERLEAVE_16B = 1,
  ATTN_TMAP_INTERLEAVE_32B = 2,
} attn_tensor_map_interleave;

typedef enum attn_tensor_map_l2_promotion {
  ATTN_TMAP_L2_PROMOTION_NONE = 0,
  ATTN_TMAP_L2_PROMOTION_64B = 1,
  ATTN_TMAP_L2_PROMOTION_128B = 2,
  ATTN_TMAP_L2_PROMOTION_256B = 3,
} attn_tensor_map_l2_promotion;

typedef enum attn_tensor_map_oob_fill {
  ATTN_TMAP_OOB_FILL_NONE = 0,                 /* zeros */
  ATTN_TMAP_OOB_FILL_NAN_REQUEST_ZERO_FMA = 1, /* NaN (float types only) */
} attn_tensor_map_oob_fill;

typedef struct attn_tensor_map {
  uint32_t magic;       /* ATTN_TENSOR_MAP_MAGIC */
  uint8_t dtype;        /* attn_tensor_map_dtype */
  uint8_t rank;         /* 1..5 */
  uint8_t swizzle;      /* attn_tensor_map_swizzle */
  uint8_t interleave;   /* attn_tensor_map_interleave */
  uint8_t l2_promotion; /* attn_tensor_map_l2_promotion (a hint) */
  uint8_t oob_fill;     /* attn_tensor_map_oob_fill */
  uint8_t element_bytes;
  uint8_t reserved0[5];
  uint64_t global_address;
  uint64_t dims[5];    /* elements, innermost first */
  uint64_t strides[4]; /* bytes between consecutive indices of dims 1.. */
  uint32_t box[5];     /* elements copied per dimension */
  uint8_t element_strides[5];
  uint8_t reserved1[7];
} attn_tensor_map;

#ifdef __cplusplus
static_assert(sizeof(attn_tensor_map) == 128, "a tensor map is 128 bytes");
#else
_Static_assert(sizeof(attn_tensor_map) == 128, "a tensor map is 128 bytes");
#endif

static inline unsigned attn_tensor_map_element_bytes(attn_tensor_map_dtype t) {
  switch (t) {
  case ATTN_TMAP_U8:
  case ATTN_TMAP_E4M3:
  case ATTN_TMAP_E5M2:
    return 1;
  case ATTN_TMAP_U16:
  case ATTN_TMAP_F16:
  case ATTN_TMAP_BF16:
    return 2;
  case ATTN_TMAP_U32:
  case ATTN_TMAP_I32:
  case ATTN_TMAP_F32:
    return 4;
  case ATTN_TMAP_U64:
    return 8;
  }
  return 0;
}

/* Swizzle span in bytes (0: none). */
static inline unsigned
attn_tensor_map_swizzle_bytes(attn_tensor_map_swizzle s) {
  return s == ATTN_TMAP_SWIZZLE_128B  ? 128u
         : s == ATTN_TMAP_SWIZZLE_64B ? 64u
         : s == ATTN_TMAP_SWIZZLE_32B ? 32u
                                      : 0u;
}

/* Fills `map` from the parameters of cuTensorMapEncodeTiled, in its order
 * and with its rules; returns 0, or -1 with a message in `err` (may be
 * NULL). Interleaved layouts are not supported (rejected). */
static inline int attn_tensor_map_encode(
    attn_tensor_map *map, attn_tensor_map_dtype dtype, uint32_t rank,
    uint64_t global_address, const uint64_t *dims, const uint64_t *strides,
    const uint32_t *box, const uint32_t *element_strides,
    attn_tensor_map_interleave interleave, attn_tensor_map_swizzle swizzle,
    attn_tensor_map_l2_promotion l2_promotion,
    attn_tensor_map_oob_fill oob_fill, char *err, size_t err_size) {
  unsigned eb = attn_tensor_map_element_bytes(dtype);
  unsigned span = attn_tensor_map_swizzle_bytes(swizzle);
  uint32_t i;
#define ATTN_TMAP_FAIL(...)                                                    \
  do {                                                                         \
    if (err && err_size)                                                       \
      snprintf(err, err_size, __VA_ARGS__);                                    \
    return -1;                                                                 \
  } while (0)
  if (!map)
    ATTN_TMAP_FAIL("no output tensor map");
  if (eb == 0)
    ATTN_TMAP_FAIL("unknown element type %d", (int)dtype);
  if (rank < 1 || rank > 5)
    ATTN_TMAP_FAIL("rank %u is outside 1..5", rank);
  if (interleave != ATTN_TMAP_INTERLEAVE_NONE)
    ATTN_TMAP_FAIL("interleaved tensor maps are not supported");
  if ((unsigned)swizzle > ATTN_TMAP_SWIZZLE_128B)
    ATTN_TMAP_FAIL("unknown swizzle mode %d", (int)swizzle);
  if ((unsigned)l2_promotion > ATTN_TMAP_L2_PROMOTION_256B)
    ATTN_TMAP_FAIL("unknown L2 promotion %d", (int)l2_promotion);
  if ((unsigned)oob_fill > ATTN_TMAP_OOB_FILL_NAN_REQUEST_ZERO_FMA)
    ATTN_TMAP_FAIL("unknown out-of-bounds fill %d", (int)oob_fill);
  if (oob_fill == ATTN_TMAP_OOB_FILL_NAN_REQUEST_ZERO_FMA &&
      !(dtype == ATTN_TMAP_F16 || dtype == ATTN_TMAP_BF16 ||
        dtype == ATTN_TMAP_F32))
    ATTN_TMAP_FAIL("NaN out-of-bounds fill needs a floating-point type");
  if (global_address % 16)
    ATTN_TMAP_FAIL("global address 0x%llx is not 16-byte aligned",
                   (unsigned long long)global_address);
  for (i = 0; i < rank; ++i) {
    if (dims[i] == 0 || dims[i] > (1ull << 32))
      ATTN_TMAP_FAIL("dimension %u has size %llu (must be 1..2^32)", i,
                     (unsigned long long)dims[i]);
    if (box[i] == 0 || box[i] > 256)
      ATTN_TMAP_FAIL("box dimension %u is %u (must be 1..256)", i, box[i]);
    if (element_strides && (element_strides[i] == 0 || element_strides[i] > 8))
      ATTN_TMAP_FAIL("element stride %u is %u (must be 1..8)", i,
                     element_strides[i]);
  }
  for (i = 0; i + 1 < rank; ++i) {
    uint64_t below = i == 0 ? dims[0] * eb : strides[i - 1] * dims[i];
    if (strides[i] % 16 || strides[i] >= (1ull << 40))
      ATTN_TMAP_FAIL("stride of dimension %u is %llu bytes (must be a "
                     "multiple of 16 below 2^40)",
                     i + 1, (unsigned long long)strides[i]);
    if (strides[i] < below)
      ATTN_TMAP_FAIL("stride of dimension %u is %llu bytes, less than the "
                     "%llu bytes of the dimensions inside it",
                     i + 1, (unsigned long long)strides[i],
                     (unsigned long long)below);
  }
  if ((box[0] * eb) % 16)
    ATTN_TMAP_FAIL("inner box of %u bytes is not a multiple of 16",
                   box[0] * eb);
  if (span && box[0] * eb > span)
    ATTN_TMAP_FAIL("inner box of %u bytes exceeds the %u-byte swizzle span",
                   box[0] * eb, span);
#undef ATTN_TMAP_FAIL
  memset(map, 0, sizeof *map);
  map->magic = ATTN_TENSOR_MAP_MAGIC;
  map->dtype = (uint8_t)dtype;
  map->rank = (uint8_t)rank;
  map->swizzle = (uint8_t)swizzle;
  map->interleave = (uint8_t)interleave;
  map->l2_promotion = (uint8_t)l2_promotion;
  map->oob_fill = (uint8_t)oob_fill;
  map->element_bytes = (uint8_t)eb;
  map->global_address = global_address;
  for (i = 0; i < rank; ++i) {
    map->dims[i] = dims[i];
    map->box[i] = box[i];
    map->element_strides[i] =
        (uint8_t)(element_strides ? element_strides[i] : 1);
  }
  for (i = 0; i + 1 < rank; ++i)
    map->strides[i] = strides[i];
  return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* ATTN_RUNTIME_ATTN_TENSOR_MAP_H */
