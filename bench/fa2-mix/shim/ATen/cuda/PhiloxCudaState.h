// Minimal stand-in for PyTorch's ATen/cuda/PhiloxCudaState.h so that
// FlashAttention-2's flash_fwd_kernel.h compiles without PyTorch. Same layout
// and semantics as PyTorch's struct; only the dropout path reads it, and the
// wrapper instantiates the kernel without dropout.
#pragma once
#include <cstdint>

namespace at {
struct PhiloxCudaState {
  PhiloxCudaState() = default;
  PhiloxCudaState(uint64_t seed, uint64_t offset) {
    seed_.val = seed;
    offset_.val = offset;
  }
  union Payload {
    uint64_t val;
    int64_t *ptr;
  };
  Payload seed_{};
  Payload offset_{};
  uint32_t offset_intragraph_ = 0;
  bool captured_ = false;
};
} // namespace at
