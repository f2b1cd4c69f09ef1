// Inverted dropout with a counter-based mask: element i is kept iff
// uniform_at(seed, stream, i) >= p, and scaled by 1/(1-p). The mask is recomputed in
// backward from (seed, stream) rather than stored.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rg::cpu {

void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream);
void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream);

}  // namespace rg::cpu
