// Vectorised dropout masks (plain header: no STL, no inline functions; see simd_isa.h).
#pragma once
#include <cstddef>
#include <cstdint>

namespace rg::cpu {

// y[i] = uniform_at(seed, stream, i) >= p ? x[i] * s : 0 for i in [begin, end); begin is a
// multiple of 4 (a Philox block). Bit-identical to the scalar path.
void dropout_range_avx512(float* y, const float* x, size_t begin, size_t end, float p, float s,
                          uint64_t seed, uint64_t stream);

}  // namespace rg::cpu
