// bfloat16 rounding on the host, as the GPU's __float2bfloat16_rn does it for finite
// values: round to nearest, ties to even, on the upper 16 bits of the fp32 pattern.
#pragma once
#include <cstdint>
#include <cstring>

namespace rg {

inline uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  // NaN stays NaN (quiet)
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace rg
